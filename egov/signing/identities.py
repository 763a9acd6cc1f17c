"""Choosing a signing identity and checking that it may sign (no state change)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from django.utils import timezone

from . import keystore
from .conf import setting
from .error_codes import SigningErrorCode
from .errors import SigningError
from .keystore import KeyMaterial
from .models import RevokedCertificate, SigningIdentity

if TYPE_CHECKING:
    from egov.org.models import Agency, Official


def _date(value: datetime) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y")


# --- choosing and checking an identity ---------------------------------------------------------


def revocation_record(identity: SigningIdentity) -> RevokedCertificate | None:
    return RevokedCertificate.objects.filter(
        issuer_hash=identity.issuer_hash, serial_hex=identity.serial_hex
    ).first()


def check_usable(identity: SigningIdentity, *, at: datetime | None = None) -> None:
    """Refuse (SigningError) a revoked, expired or not-yet-valid certificate."""
    at = at or timezone.now()
    owner = identity.owner_name
    revoked_at = identity.revoked_at
    if revoked_at is None:
        record = revocation_record(identity)
        revoked_at = record.revoked_at if record else None
    if revoked_at is not None and revoked_at <= at:
        raise SigningError(
            f"Chứng thư số của {owner} (số hiệu {identity.serial_hex}) đã bị thu hồi ngày "
            f"{_date(revoked_at)}: không thể ký.",
            code=SigningErrorCode.CERTIFICATE_REVOKED,
        )
    if identity.not_after < at:
        raise SigningError(
            f"Chứng thư số của {owner} đã hết hạn ngày {_date(identity.not_after)}: "
            "không thể ký. Đề nghị gia hạn hoặc cấp chứng thư mới.",
            code=SigningErrorCode.CERTIFICATE_EXPIRED,
        )
    if identity.not_before > at:
        raise SigningError(
            f"Chứng thư số của {owner} chưa có hiệu lực (hiệu lực từ ngày "
            f"{_date(identity.not_before)}): không thể ký.",
            code=SigningErrorCode.CERTIFICATE_NOT_YET_VALID,
        )


def _pick(candidates: list[SigningIdentity], who: str) -> SigningIdentity:
    if not candidates:
        raise SigningError(
            f"{who} chưa có chứng thư số để ký.", code=SigningErrorCode.NO_CERTIFICATE
        )
    candidates.sort(key=lambda i: (i.not_after, i.pk), reverse=True)
    for identity in candidates:
        try:
            check_usable(identity)
        except SigningError:
            continue
        return identity
    check_usable(candidates[0])  # raises the reason of the most recent one
    raise AssertionError("unreachable")


def identity_for_official(official: Official) -> SigningIdentity:
    """The official's current personal signing identity (the valid one that lasts longest)."""
    who = official.user.get_full_name() or official.user.username
    qs = SigningIdentity.objects.filter(official=official).select_related(
        "official__user", "official__agency"
    )
    return _pick(list(qs), f"Cán bộ {who}")


def identity_for_agency(agency: Agency) -> SigningIdentity:
    """The agency's current organisation signing identity."""
    qs = SigningIdentity.objects.filter(agency=agency).select_related("agency")
    return _pick(list(qs), f"Cơ quan {agency.name}")


def key_material(identity: SigningIdentity) -> KeyMaterial:
    """The certificate, key and chain of a PKCS#12 identity (decrypted in memory only)."""
    if identity.kind != SigningIdentity.Kind.PKCS12 or not identity.pkcs12_data:
        raise SigningError(
            "Chứng thư này không lưu khóa dạng PKCS#12.", code=SigningErrorCode.NOT_PKCS12
        )
    try:
        passphrase = keystore.decrypt_secret(identity.secret_encrypted)
        return keystore.load_pkcs12(bytes(identity.pkcs12_data), passphrase)
    except (keystore.KeystoreError, ValueError) as exc:
        raise SigningError(
            "Không mở được khóa ký số (sai khóa kho khóa SIGNING_KEYSTORE_KEY?).",
            code=SigningErrorCode.KEYSTORE_ERROR,
        ) from exc


def pkcs11_module_path() -> str:
    return setting("SIGNING_PKCS11_MODULE")


def validate_pkcs11_config(identity: SigningIdentity) -> None:
    """Refuse an incomplete PKCS#11 identity: the module library must exist, the token must be
    named (label or slot), the key label given and the certificate present."""
    errors: dict[str, list[str]] = {}
    module = pkcs11_module_path()
    if not module:
        errors["module"] = ["Chưa cấu hình thư viện PKCS#11 (SIGNING_PKCS11_MODULE)."]
    elif not Path(module).is_file():
        errors["module"] = [f"Không tìm thấy thư viện PKCS#11 {module}."]
    if not identity.pkcs11_token_label and identity.pkcs11_slot is None:
        errors["pkcs11_token_label"] = ["Nhập nhãn token hoặc số khe (slot)."]
    if not identity.pkcs11_key_label:
        errors["pkcs11_key_label"] = ["Nhập nhãn khóa trên token."]
    if not identity.certificate_pem.strip():
        errors["certificate_pem"] = ["Nhập chứng thư (PEM) tương ứng với khóa trên token."]
    if errors:
        raise SigningError(
            "Cấu hình ký số bằng token/HSM (PKCS#11) chưa đầy đủ.",
            code=SigningErrorCode.PKCS11_CONFIG,
            fields=errors,
        )
