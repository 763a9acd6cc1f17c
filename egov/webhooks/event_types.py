"""The events webhooks record (subject "webhook_subscription", keyed by the subscription's id,
in the chain of the subscribing client's agency). None of them carries a secret or the target's
full URL (its query string may hold the receiver's own token): only its host.

These events are never delivered to subscribers (egov.webhooks.scopes.NOT_DELIVERED_SUBJECTS), so
a delivery can never cause another one; `webhook_subscription.pinged` is sent only to the
subscription that asked for it.
"""

from __future__ import annotations

from datetime import datetime

from egov.events.catalogue import Payload, declare

SUBJECT = "webhook_subscription"


class SubscriptionPayload(Payload):
    api_client: int
    name: str
    target_host: str
    event_types: list[str]
    is_active: bool


class Updated(SubscriptionPayload):
    changes: list[str]


class Disabled(SubscriptionPayload):
    reason: str


class Rotated(SubscriptionPayload):
    previous_valid_until: datetime


class Replayed(SubscriptionPayload):
    from_: datetime
    to: datetime
    count: int


class Pinged(Payload):
    api_client: int


CREATED = declare(
    "webhook_subscription.created",
    subject=SUBJECT,
    payload=SubscriptionPayload,
    description="Ứng dụng API đăng ký nhận sự kiện (địa chỉ nhận, các loại sự kiện).",
)
UPDATED = declare(
    "webhook_subscription.updated",
    subject=SUBJECT,
    payload=Updated,
    description="Đăng ký nhận sự kiện được sửa (tên, địa chỉ, loại sự kiện, bật/tắt).",
)
DELETED = declare(
    "webhook_subscription.deleted",
    subject=SUBJECT,
    payload=SubscriptionPayload,
    description="Đăng ký nhận sự kiện bị xóa; các lần gửi chưa xong bị bỏ qua.",
)
DISABLED = declare(
    "webhook_subscription.disabled",
    subject=SUBJECT,
    payload=Disabled,
    description="Đăng ký nhận sự kiện bị tạm dừng (bên nhận trả lời 410 Gone, hoặc quản trị tắt).",
)
SECRET_ROTATED = declare(
    "webhook_subscription.secret_rotated",
    subject=SUBJECT,
    payload=Rotated,
    description="Khóa ký được đổi; khóa cũ còn hiệu lực đến thời điểm ghi trong sự kiện.",
)
REPLAYED = declare(
    "webhook_subscription.replayed",
    subject=SUBJECT,
    payload=Replayed,
    description="Ứng dụng yêu cầu gửi lại các sự kiện trong một khoảng thời gian.",
)
PINGED = declare(
    "webhook_subscription.pinged",
    subject=SUBJECT,
    payload=Pinged,
    description="Ứng dụng yêu cầu gửi thử một thông báo tới địa chỉ nhận của đăng ký.",
)
