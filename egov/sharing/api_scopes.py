"""The API scopes this app's API guards (collected by egov.core.api_scopes)."""

from egov.core.api_scopes import declare_scope

# Needed by every sharing service, together with a grant for the service itself (access.py).
USE = declare_scope(
    "sharing:use", "Gọi các dịch vụ chia sẻ dữ liệu (LGSP) mà ứng dụng được cấp quyền"
)
# Reading the message log through the API (operators read it with their session).
AUDIT = declare_scope("sharing:audit", "Đọc nhật ký trao đổi dữ liệu của các dịch vụ chia sẻ")
