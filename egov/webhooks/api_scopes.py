"""The API scopes this app's API guards (collected by egov.core.api_scopes)."""

from egov.core.api_scopes import declare_scope

MANAGE = declare_scope(
    "webhooks:manage", "Quản lý đăng ký nhận sự kiện của chính ứng dụng, xem nhật ký gửi, gửi lại"
)
PAYLOAD = declare_scope(
    "webhooks:payload",
    "Nhận toàn bộ nội dung sự kiện được gửi (mặc định chỉ mã đối tượng và trạng thái)",
)
