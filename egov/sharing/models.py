"""Data-sharing services (the province's LGSP side): who may use which service, the clients'
request-signing keys, and the signed message log of every exchange (docs/sharing.md).

The services themselves are a registry in code (`registry.py`), not rows: a service is a set of
endpoints, and its code is what a grant names.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ServiceGrant(models.Model):
    """An API client's right to call one sharing service, for a period, until revoked.

    Changed only through `services.grant_service` / `services.revoke_grant` (events recorded)."""

    client = models.ForeignKey(
        "accounts.ApiClient",
        verbose_name=_("ứng dụng API"),
        on_delete=models.PROTECT,
        related_name="sharing_grants",
    )
    service = models.CharField(_("dịch vụ"), max_length=40)
    valid_from = models.DateTimeField(_("hiệu lực từ"), default=timezone.now)
    valid_until = models.DateTimeField(_("hiệu lực đến"), null=True, blank=True)
    granted_by = models.CharField(_("người cấp"), max_length=255)
    granted_at = models.DateTimeField(_("cấp lúc"), default=timezone.now)
    reason = models.CharField(_("căn cứ cấp quyền"), max_length=500, blank=True)
    revoked_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True)
    revoked_by = models.CharField(_("người thu hồi"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("quyền dùng dịch vụ chia sẻ")
        verbose_name_plural = _("quyền dùng dịch vụ chia sẻ")
        ordering = ["client", "service", "-granted_at"]
        indexes = [models.Index(fields=["client", "service"])]

    def __str__(self) -> str:
        return f"{self.client} → {self.service}"

    def is_active(self, at: object = None) -> bool:
        now = at or timezone.now()
        return (
            self.revoked_at is None
            and self.valid_from <= now  # type: ignore[operator]
            and (self.valid_until is None or self.valid_until > now)  # type: ignore[operator]
        )


class ClientKey(models.Model):
    """An API client's Ed25519 public key for signed requests (RFC 9421 subset, signatures.py);
    with `signatures_required` every sharing request of the client must carry a valid one."""

    client = models.OneToOneField(
        "accounts.ApiClient",
        verbose_name=_("ứng dụng API"),
        on_delete=models.PROTECT,
        related_name="sharing_key",
    )
    key_id = models.CharField(_("mã khóa"), max_length=64, unique=True)
    public_key_pem = models.TextField(_("khóa công khai (PEM, Ed25519)"))
    signatures_required = models.BooleanField(_("bắt buộc ký yêu cầu"), default=False)
    registered_at = models.DateTimeField(_("đăng ký lúc"), default=timezone.now)

    class Meta:
        verbose_name = _("khóa ký yêu cầu")
        verbose_name_plural = _("khóa ký yêu cầu")

    def __str__(self) -> str:
        return f"{self.client} ({self.key_id})"


class SeenNonce(models.Model):
    """The replay cache: a signature's nonce is accepted once per client within the window."""

    client_id = models.BigIntegerField()
    nonce = models.CharField(max_length=128)
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client_id", "nonce"], name="sharing_nonce_once")
        ]

    def __str__(self) -> str:
        return f"{self.client_id}:{self.nonce}"


class MessageLogHead(models.Model):
    """Where the message log's chain ends (one row), locked by each append."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash}"


class MessageLogEntry(models.Model):
    """One exchange of a sharing service, append-only (database triggers, migration 0002) and
    hash-chained: `hash` = SHA-256 over the previous hash and every field (`log.entry_hash`)."""

    seq = models.BigIntegerField(unique=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    at = models.DateTimeField(_("thời điểm"))
    request_id = models.CharField(_("mã yêu cầu"), max_length=64)
    client_id = models.BigIntegerField(_("ứng dụng API"), null=True, blank=True)
    client_label = models.CharField(_("tên ứng dụng"), max_length=160, blank=True)
    agency_id = models.BigIntegerField(_("cơ quan của ứng dụng"), null=True, blank=True)
    service = models.CharField(_("dịch vụ"), max_length=40)
    method = models.CharField(_("phương thức"), max_length=10)
    path = models.CharField(_("đường dẫn"), max_length=600)
    status_code = models.PositiveSmallIntegerField(_("mã trạng thái"))
    outcome = models.CharField(_("kết quả"), max_length=60, blank=True)
    signed = models.BooleanField(_("yêu cầu có chữ ký hợp lệ"), default=False)
    request_sha256 = models.CharField(_("SHA-256 nội dung yêu cầu"), max_length=64)
    response_sha256 = models.CharField(_("SHA-256 nội dung trả lời"), max_length=64)

    class Meta:
        verbose_name = _("nhật ký trao đổi dữ liệu")
        verbose_name_plural = _("nhật ký trao đổi dữ liệu")
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.method} {self.path} → {self.status_code}"


class MessageLogCheckpoint(models.Model):
    """A signed statement "at time T the message log ended at entry N with hash H" (Ed25519 under
    the platform's checkpoint key, egov.events.checkpoints), also recorded as an event so the
    event log's own checkpoints and timestamps cover it."""

    at = models.DateTimeField()
    seq = models.BigIntegerField()
    hash = models.CharField(max_length=64)
    key = models.CharField(max_length=64)
    sig = models.CharField(max_length=200)

    class Meta:
        verbose_name = _("điểm chốt nhật ký trao đổi")
        verbose_name_plural = _("điểm chốt nhật ký trao đổi")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"#{self.seq} @ {self.at:%Y-%m-%d %H:%M}"
