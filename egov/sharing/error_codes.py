"""The codes the sharing services answer with (besides the core ones)."""

from __future__ import annotations

from egov.core.error_codes import ErrorCode


class SharingErrorCode(ErrorCode):
    # The client has no active grant for this service (none, revoked, expired, not yet valid).
    NO_GRANT = "sharing_no_grant"
    # The client must sign its requests and this one carries no signature.
    SIGNATURE_MISSING = "sharing_signature_missing"
    # The signature does not verify, names another key, covers other components, is malformed.
    SIGNATURE_INVALID = "sharing_signature_invalid"
    # `created` outside the clock window.
    SIGNATURE_STALE = "sharing_signature_stale"
    # The nonce was used before by this client.
    SIGNATURE_REPLAYED = "sharing_signature_replayed"
    # Content-Digest does not match the body.
    DIGEST_MISMATCH = "sharing_digest_mismatch"
    # A grant or key change an operator asked for that cannot be made.
    UNKNOWN_SERVICE = "sharing_unknown_service"
    INVALID_KEY = "sharing_invalid_key"
    FORBIDDEN = "sharing_forbidden"
