"""The API scopes this app's API guards (collected by egov.core.api_scopes)."""

from egov.core.api_scopes import declare_scope

READ = declare_scope("meetings:read", "Đọc lịch họp, tài liệu họp, kết quả biểu quyết")
WRITE = declare_scope("meetings:write", "Tổ chức họp, biểu quyết, lấy ý kiến")
