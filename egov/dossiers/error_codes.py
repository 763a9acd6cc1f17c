"""The codes the dossier services and the applicants' API answer with (besides the core ones,
egov.core.error_codes, and the upload checks' codes)."""

from __future__ import annotations

from egov.core.error_codes import ErrorCode


class DossierErrorCode(ErrorCode):
    SUBMISSION_INVALID = "submission_invalid"
    UNKNOWN_PROCEDURE = "unknown_procedure"
    NOT_ONLINE = "not_online"
    APPLICANT_TYPE = "applicant_type"
    AGENCY = "agency"
    INVALID_CHAIN = "invalid_chain"
    INVALID_STATE = "invalid_state"
    INVALID_RATING = "invalid_rating"
    ALREADY_RATED = "already_rated"
    DOSSIER_CODE_EXHAUSTED = "dossier_code_exhausted"
    # The procedure needs a higher electronic identity level than the account holds (403).
    IDENTITY_LEVEL_REQUIRED = "identity_level_required"
