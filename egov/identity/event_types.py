"""The events the electronic identity login records (subject "user" for what happened to an
account, "identity_login" for a refused attempt, keyed by a random attempt id)."""

from __future__ import annotations

from egov.events.catalogue import Payload, declare

USER = "user"
ATTEMPT = "identity_login"


class Linked(Payload):
    provider: str
    level: int
    created_account: bool = False


class LoggedIn(Payload):
    provider: str
    level: int
    previous_level: int = 0
    # The provider asserted this person under another subject than the link held.
    subject_changed: bool = False


class Refused(Payload):
    provider: str
    reason: str


LINKED = declare(
    "identity.linked",
    subject=USER,
    payload=Linked,
    description="Tài khoản được liên kết với danh tính điện tử (lần đầu đăng nhập bằng VNeID; "
    "tài khoản mới được tạo nếu số định danh chưa có tài khoản).",
)
LOGGED_IN = declare(
    "identity.logged_in",
    subject=USER,
    payload=LoggedIn,
    description="Đăng nhập bằng danh tính điện tử: mức độ định danh và thông tin đã xác thực "
    "được cập nhật.",
)
LOGIN_REFUSED = declare(
    "identity.login_refused",
    subject=ATTEMPT,
    payload=Refused,
    description="Từ chối một lần đăng nhập bằng danh tính điện tử (sai state, mã đã dùng, sai "
    "nonce, chữ ký hay thời hạn của ID token, người dùng hủy, thiếu số định danh...): không ai "
    "được đăng nhập.",
)
