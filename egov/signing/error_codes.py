"""The codes signing refusals carry (egov.core.error_codes)."""

from __future__ import annotations

from egov.core.error_codes import ErrorCode


class SigningErrorCode(ErrorCode):
    SIGNING_ERROR = "signing_error"
    CERTIFICATE_REVOKED = "certificate_revoked"
    CERTIFICATE_EXPIRED = "certificate_expired"
    CERTIFICATE_NOT_YET_VALID = "certificate_not_yet_valid"
    CERTIFICATE_INVALID = "certificate_invalid"
    NO_CERTIFICATE = "no_certificate"
    KEYSTORE_ERROR = "keystore_error"
    IDENTITY_OWNER = "identity_owner"
    IDENTITY_DUPLICATE = "identity_duplicate"
    NO_DEMO_CA = "no_demo_ca"
    FONT_MISSING = "font_missing"
    IMAGE_INVALID = "image_invalid"
    PAGE_OUT_OF_RANGE = "page_out_of_range"
    SIGNING_ROLE = "signing_role"
    PDF_INVALID = "pdf_invalid"
    PDF_ENCRYPTED = "pdf_encrypted"
    NO_PERSONAL_SIGNATURE = "no_personal_signature"
    PDF_SIGN_FAILED = "pdf_sign_failed"
    PDFSIG_MISSING = "pdfsig_missing"
    NOT_PKCS12 = "not_pkcs12"
    PKCS12_INVALID = "pkcs12_invalid"
    PKCS11_CONFIG = "pkcs11_config"
    PKCS11_UNAVAILABLE = "pkcs11_unavailable"
    PKCS11_SESSION = "pkcs11_session"
    XML_PKCS11_UNSUPPORTED = "xml_pkcs11_unsupported"
