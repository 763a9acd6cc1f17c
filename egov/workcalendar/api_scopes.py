"""The API scopes this app's API guards (collected by egov.core.api_scopes)."""

from egov.core.api_scopes import declare_scope

READ = declare_scope("calendar:read", "Tính ngày làm việc")
