"""The codes documents' services and API answer with (besides the kernel's `stale_version` and
`invalid_transition`, egov.cases.CaseErrorCode, and the core ones)."""

from __future__ import annotations

from egov.core.error_codes import ErrorCode


class DocumentErrorCode(ErrorCode):
    # An outgoing draft or step that is not valid (field errors in the body).
    DOCUMENT_INVALID = "document_invalid"
    # Signing needs a PDF and the current version is a DOCX that could not be converted.
    PDF_REQUIRED = "pdf_required"
    # The copy to sign changed after the leader's preview: they look again before signing.
    PREVIEW_CHANGED = "preview_changed"
    # The number/symbol given by the counter is already taken this year.
    DUPLICATE_SYMBOL = "duplicate_symbol"
    # An incoming document or a step on it that is not valid.
    INCOMING_INVALID = "incoming_invalid"
    NO_DOCUMENT_ID = "no_document_id"
    NO_SUBJECT = "no_subject"
    # A revoke/update names a document the receiving agency does not have.
    UNKNOWN_DOCUMENT = "unknown_document"
    # Revoke, update, replace (after sending): a reason is required; the document must have
    # been sent (and not revoked or replaced since); a revoke happens once.
    REASON_REQUIRED = "reason_required"
    NOT_SENT = "document_not_sent"
    ALREADY_REVOKED = "already_revoked"
    NO_LONGER_CURRENT = "document_no_longer_current"
    NO_EXCHANGE_RECIPIENTS = "no_exchange_recipients"
    NOTHING_TO_UPDATE = "nothing_to_update"
    # The exchange keeps one package per (document, recipient, business type): a second update
    # of the same document would not leave, so it is refused.
    ALREADY_UPDATED = "already_updated"
    REPLACE_INVALID = "replace_invalid"
    # The platform runs without the exchange app.
    EXCHANGE_UNAVAILABLE = "exchange_unavailable"
    # Upload refusals passed on from files.check_upload (documents/files.py).
    TOO_LARGE = "too_large"
    EMPTY = "empty"
    BAD_TYPE = "bad_type"
    EXTENSION_MISMATCH = "extension_mismatch"
    CONVERSION_FAILED = "conversion_failed"
    NO_CONVERTER = "no_converter"
