"""The events the sharing area records (grants, signing keys, message-log checkpoints)."""

from __future__ import annotations

from egov.events.catalogue import Payload, declare

GRANT = "sharing_grant"
CLIENT = "api_client"
MESSAGE_LOG = "sharing_message_log"


class GrantPayload(Payload):
    client: int
    service: str
    valid_from: str
    valid_until: str | None = None


class GrantGiven(GrantPayload):
    reason: str = ""


class GrantRevoked(GrantPayload):
    pass


class KeyRegistered(Payload):
    key_id: str
    signatures_required: bool


class LogCheckpointed(Payload):
    seq: int
    hash: str
    at: str


GRANT_GIVEN = declare(
    "sharing_grant.given",
    subject=GRANT,
    payload=GrantGiven,
    description="Một ứng dụng API được cấp quyền dùng một dịch vụ chia sẻ dữ liệu.",
)
GRANT_REVOKED = declare(
    "sharing_grant.revoked",
    subject=GRANT,
    payload=GrantRevoked,
    description="Quyền dùng một dịch vụ chia sẻ dữ liệu bị thu hồi.",
)
KEY_REGISTERED = declare(
    "api_client.sharing_key_registered",
    subject=CLIENT,
    payload=KeyRegistered,
    description="Ứng dụng API đăng ký khóa công khai Ed25519 để ký yêu cầu chia sẻ dữ liệu.",
)
LOG_CHECKPOINTED = declare(
    "sharing_message_log.checkpointed",
    subject=MESSAGE_LOG,
    payload=LogCheckpointed,
    description="Điểm chốt có chữ ký của nhật ký trao đổi dữ liệu (số bản ghi cuối và mã băm).",
)
