"""The codes payments' services and API answer with (besides the kernel's `stale_version` and
`invalid_transition`, egov.cases.CaseErrorCode, and the core ones)."""

from __future__ import annotations

from egov.core.error_codes import ErrorCode


class PaymentErrorCode(ErrorCode):
    # Nothing left to pay on this dossier (paid already, exempt, no fee).
    NOTHING_DUE = "nothing_due"
    # A provider that is not offered (unknown, switched off, not configured for the agency).
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    # A callback refused: its MaXacThuc does not verify, its amount differs from the attempt's,
    # it names an unknown reference, or it is malformed. Recorded raw, nothing else changes.
    CALLBACK_BAD_SIGNATURE = "callback_bad_signature"
    CALLBACK_AMOUNT_MISMATCH = "callback_amount_mismatch"
    CALLBACK_UNKNOWN_REFERENCE = "callback_unknown_reference"
    CALLBACK_MALFORMED = "callback_malformed"
    # A well-signed callback about an attempt whose outcome is already recorded otherwise (a
    # failure after a success, a payment that another attempt already paid: flagged for the
    # accountant, who refunds), or a callback we could not process (the platform sends it
    # again). Recorded raw, nothing else changes.
    CALLBACK_ATTEMPT_CLOSED = "callback_attempt_closed"
    CALLBACK_NOT_PROCESSED = "callback_not_processed"
    # An amount that is not a positive integer number of đồng, or not the amount due.
    INVALID_AMOUNT = "invalid_amount"
    # An exemption claimed without its proof, or for a group the fee does not exempt.
    EXEMPTION_INVALID = "exemption_invalid"
    # A bank statement file that cannot be read (format, size, columns), or imported before.
    STATEMENT_INVALID = "statement_invalid"
    STATEMENT_DUPLICATE = "statement_duplicate"
    # A statement line matched by hand to a payment it cannot settle.
    MATCH_INVALID = "match_invalid"
    # A refund the fee rules do not allow (the dossier's outcome, the amount).
    REFUND_NOT_ALLOWED = "refund_not_allowed"
    # The agency has not set up how it collects (receipt series, bank account).
    COLLECTOR_NOT_CONFIGURED = "collector_not_configured"
