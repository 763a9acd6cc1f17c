"""Codes the exchange answers with: errors its services raise, and the reasons a refused package
or status message carries back to its sender (the 02 answer's `code`)."""

from __future__ import annotations

from enum import StrEnum

from egov.core.error_codes import ErrorCode


class ExchangeErrorCode(ErrorCode):
    EXCHANGE_ERROR = "exchange_error"
    # The package or status message itself.
    EDXML_INVALID = "edxml_invalid"
    EDXML_MALFORMED = "edxml_malformed"
    PACKAGE_TOO_LARGE = "package_too_large"
    PACKAGE_SIGN_FAILED = "package_sign_failed"
    SIGNATURE_INVALID = "signature_invalid"
    SIGNER_MISMATCH = "signer_mismatch"
    ATTACHMENT_SIGNATURE_INVALID = "attachment_signature_invalid"
    # Who sends to whom.
    SENDER_MISMATCH = "sender_mismatch"
    SELF_RECIPIENT = "self_recipient"
    UNKNOWN_RECIPIENT = "unknown_recipient"
    RECIPIENT_NOT_ADDRESSED = "recipient_not_addressed"
    RECIPIENT_REQUIRED = "recipient_required"
    # Status messages.
    STATUS_REJECTED = "status_rejected"
    UNKNOWN_STATUS_CODE = "unknown_status_code"
    UNKNOWN_DOCUMENT = "unknown_document"
    FROM_AGENCY_REQUIRED = "from_agency_required"
    # The status flow (status_flow.py): a step that may not follow, or a party that may not
    # send this code (the recipient asking 13, the sender reporting 06...).
    STATUS_OUT_OF_ORDER = "status_out_of_order"
    STATUS_NOT_ALLOWED_FOR_SENDER = "status_not_allowed_for_sender"
    # An incoming handler (the documents app) refused the package without a code of its own.
    HANDLER_REFUSED = "handler_refused"
    # Operators' endpoint declarations.
    INVALID_ENDPOINT = "invalid_endpoint"
    # The receiving API's answer body: a refused package (no more specific reason known).
    PACKAGE_REJECTED = "package_rejected"


class ExchangeAnswerCode(StrEnum):
    """Not errors (so not an ErrorCode, nor in the error body's list): the `code` of the
    receiving API's successful answers."""

    ARRIVED = "arrived"
    DUPLICATE = "duplicate"
    STATUS_RECORDED = "status_recorded"
    STATUS_STALE = "status_stale"  # an older status delivered late: kept, changed nothing
