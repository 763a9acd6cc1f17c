"""The codes the one-stop engine and its API answer with. A refused transition and a stale
version are the case kernel's (egov.cases.CaseErrorCode: `invalid_transition`,
`stale_version`); the submission codes are the dossiers' (DossierErrorCode)."""

from __future__ import annotations

from egov.core.error_codes import ErrorCode


class OnestopErrorCode(ErrorCode):
    OFFICIAL_REQUIRED = "official_required"
    NO_PROCESS = "no_process"
    UNKNOWN_AGENCY = "unknown_agency"
    NO_RESULT_FILE = "no_result_file"
    INVALID_APPLICANT = "invalid_applicant"
    INVALID_CHANNEL = "invalid_channel"
    INVALID_DELIVERY = "invalid_delivery"
    INVALID_SET_COUNT = "invalid_set_count"
    INVALID_REASON = "invalid_reason"
    INVALID_SUPPLEMENT_ITEMS = "invalid_supplement_items"
    INVALID_ANSWER_DAYS = "invalid_answer_days"
    INVALID_NOTE = "invalid_note"
    INVALID_ASSIGNEE = "invalid_assignee"
    INVALID_STEP = "invalid_step"
    INVALID_AMOUNT = "invalid_amount"
    # The applicant has not paid the fees due yet (payments): the result waits, and cash is
    # recorded through the payments desk, not by the one-stop action.
    PAYMENT_DUE = "payment_due"
    INVALID_APPOINTMENT = "invalid_appointment"
    INVALID_CURSOR = "invalid_cursor"
    TOO_MANY_ROWS = "too_many_rows"
    SIGNATURE_REQUIRED = "result_signature_required"
    NO_RESULT_DRAFT = "no_result_draft"
    RESULT_NOT_PDF = "result_not_pdf"
    RESULT_SIGNATURE_INVALID = "result_signature_invalid"
    INVALID_AGENCY = "invalid_agency"
    BULK_MIXED = "bulk_mixed"
