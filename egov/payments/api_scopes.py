"""The API scopes this app's API guards (collected by egov.core.api_scopes)."""

from egov.core.api_scopes import declare_scope

READ = declare_scope("payments:read", "Đọc khoản thanh toán, biên lai, đối soát của cơ quan")
WRITE = declare_scope("payments:write", "Ghi nhận thu tiền, nhập sao kê, hoàn trả")
