"""Digital-signature material: signing identities, the trust list, revocations, the demo CA.

Where the keys live: a PKCS#12 identity is kept in the database as the PKCS#12 archive itself
(encrypted with AES-256 under a random passphrase) and that passphrase encrypted with the
keystore key (`SIGNING_KEYSTORE_KEY`, outside the database; see `keystore.py`). A database dump
alone therefore never yields a private key, the key moves with the row in backups and
transactions (no file path that can drift between application servers), and an identity is
revoked or replaced in the same transaction as its event. A PKCS#11 identity keeps only the
certificate and where the key is on the token/HSM; the key never leaves the device.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CertificateAuthority(models.Model):
    """A certification authority whose key this platform holds: only the demo CA (development
    and tests, `make_demo_ca`): its root, its issuing CA and, under that, the demo time-stamping
    authority (`services.demo_tsa`). A real deployment uses certificates from a licensed CA and
    lists its root in the trust list instead."""

    name = models.CharField(_("tên"), max_length=255)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("CA cấp trên"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    certificate_pem = models.TextField(_("chứng thư (PEM)"))
    fingerprint_sha256 = models.CharField(_("dấu vân tay SHA-256"), max_length=64, unique=True)
    pkcs12_data = models.BinaryField(_("khóa (PKCS#12)"), editable=False)
    secret_encrypted = models.TextField(_("mật khẩu PKCS#12 (đã mã hóa)"), editable=False)
    not_after = models.DateTimeField(_("hết hạn"))
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)

    class Meta:
        verbose_name = _("CA minh họa")
        verbose_name_plural = _("CA minh họa")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name


class SigningIdentity(models.Model):
    """A certificate and the key to sign with it, for one official (personal signature) or one
    agency (the organisation's signature, in place of its seal)."""

    class Kind(models.TextChoices):
        PKCS12 = "pkcs12", _("Tệp PKCS#12 (khóa mềm)")
        PKCS11 = "pkcs11", _("Thiết bị PKCS#11 (khóa USB, HSM)")

    official = models.ForeignKey(
        "org.Official",
        verbose_name=_("công chức"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signing_identities",
    )
    agency = models.ForeignKey(
        "org.Agency",
        verbose_name=_("cơ quan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signing_identities",
    )
    label = models.CharField(_("nhãn"), max_length=255, blank=True)
    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices, default=Kind.PKCS12)
    pkcs12_data = models.BinaryField(_("PKCS#12"), null=True, blank=True, editable=False)
    secret_encrypted = models.TextField(
        _("mật khẩu/PIN (đã mã hóa)"), blank=True, default="", editable=False
    )
    pkcs11_token_label = models.CharField(_("nhãn thiết bị"), max_length=64, blank=True)
    pkcs11_slot = models.PositiveIntegerField(_("khe (slot)"), null=True, blank=True)
    pkcs11_key_label = models.CharField(_("nhãn khóa"), max_length=64, blank=True)
    certificate_pem = models.TextField(_("chứng thư (PEM)"))
    chain_pem = models.TextField(_("chuỗi CA trung gian (PEM)"), blank=True, default="")
    subject = models.CharField(_("chủ thể"), max_length=500)
    issuer = models.CharField(_("tổ chức cấp"), max_length=500)
    issuer_hash = models.CharField(max_length=64, editable=False)
    serial_hex = models.CharField(_("số hiệu"), max_length=64)
    fingerprint_sha256 = models.CharField(_("dấu vân tay SHA-256"), max_length=64, unique=True)
    not_before = models.DateTimeField(_("hiệu lực từ"))
    not_after = models.DateTimeField(_("hết hạn"))
    revoked_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True)
    revocation_reason = models.CharField(_("lý do thu hồi"), max_length=255, blank=True)
    issued_by = models.ForeignKey(
        CertificateAuthority,
        verbose_name=_("cấp bởi CA minh họa"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="identities",
    )
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)

    class Meta:
        verbose_name = _("chứng thư ký số")
        verbose_name_plural = _("chứng thư ký số")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(official__isnull=False, agency__isnull=True)
                    | models.Q(official__isnull=True, agency__isnull=False)
                ),
                name="signingidentity_one_owner",
            )
        ]
        indexes = [models.Index(fields=["issuer_hash", "serial_hex"])]

    def __str__(self) -> str:
        return self.label or self.subject

    @property
    def owner_name(self) -> str:
        if self.official_id:
            assert self.official is not None
            return self.official.user.get_full_name() or self.official.user.username
        assert self.agency is not None
        return self.agency.name

    @property
    def owner_agency_id(self) -> int | None:
        if self.agency_id:
            return self.agency_id
        return self.official.agency_id if self.official is not None else None


class TrustAnchor(models.Model):
    """A root CA certificate that signatures must chain to (the trust list)."""

    name = models.CharField(_("tên"), max_length=255)
    certificate_pem = models.TextField(_("chứng thư (PEM)"))
    subject = models.CharField(_("chủ thể"), max_length=500)
    fingerprint_sha256 = models.CharField(_("dấu vân tay SHA-256"), max_length=64, unique=True)
    not_after = models.DateTimeField(_("hết hạn"))
    is_active = models.BooleanField(_("đang tin cậy"), default=True)
    created_at = models.DateTimeField(_("thêm lúc"), default=timezone.now)

    class Meta:
        verbose_name = _("CA gốc tin cậy")
        verbose_name_plural = _("danh sách CA gốc tin cậy")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RevokedCertificate(models.Model):
    """A revoked certificate (issuer + serial number), consulted when signing and validating."""

    issuer = models.CharField(_("tổ chức cấp"), max_length=500)
    issuer_hash = models.CharField(max_length=64)
    serial_hex = models.CharField(_("số hiệu"), max_length=64)
    revoked_at = models.DateTimeField(_("thu hồi lúc"))
    reason = models.CharField(_("lý do"), max_length=255, blank=True)
    identity = models.ForeignKey(
        SigningIdentity,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="revocations",
    )

    class Meta:
        verbose_name = _("chứng thư bị thu hồi")
        verbose_name_plural = _("chứng thư bị thu hồi")
        constraints = [
            models.UniqueConstraint(
                fields=["issuer_hash", "serial_hex"], name="revokedcert_issuer_serial"
            )
        ]
        ordering = ["-revoked_at"]

    def __str__(self) -> str:
        return f"{self.serial_hex} ({self.issuer})"
