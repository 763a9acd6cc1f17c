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
    # A SOAP Envelope around the edXML that we do not take apart (a Fault, a Header entry
    # with mustUnderstand, more or other than one edXML in the Body).
    SOAP_ENVELOPE_REFUSED = "soap_envelope_refused"
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
    # Packages held for the clerk (signature not verifiable): the clerk's decision.
    HELD_PACKAGE_NOT_FOUND = "held_package_not_found"
    HELD_ALREADY_DECIDED = "held_already_decided"
    HELD_ALREADY_ARRIVED = "held_already_arrived"
    HELD_REASON_REQUIRED = "held_reason_required"
    REFUSED_BY_CLERK = "refused_by_clerk"  # the error_code of a held package the clerk refused
    # Operators' endpoint declarations.
    INVALID_ENDPOINT = "invalid_endpoint"
    # The receiving API's answer body: a refused package (no more specific reason known).
    PACKAGE_REJECTED = "package_rejected"


class ExchangeAnswerCode(StrEnum):
    """Not errors (so not an ErrorCode, nor in the error body's list): the `code` of the
    receiving API's successful answers."""

    ARRIVED = "arrived"
    DUPLICATE = "duplicate"
    HELD = "held"  # 01, but waiting for a clerk: the signature could not be verified
    STATUS_RECORDED = "status_recorded"
    STATUS_STALE = "status_stale"  # an older status delivered late: kept, changed nothing
