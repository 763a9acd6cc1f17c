"""The API scopes this app's API guards (collected by egov.core.api_scopes)."""

from egov.core.api_scopes import declare_scope

READ = declare_scope("dossiers:read", "Đọc hồ sơ")
WRITE = declare_scope("dossiers:write", "Nộp và xử lý hồ sơ")
