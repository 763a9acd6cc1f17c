"""The codes meetings' services and API answer with (besides the kernel's `stale_version` and
`invalid_transition`, egov.cases.CaseErrorCode, and the core ones)."""

from __future__ import annotations

from egov.core.error_codes import ErrorCode


class MeetingErrorCode(ErrorCode):
    # A meeting, agenda item, participant list or material that is not valid (fields in body).
    MEETING_INVALID = "meeting_invalid"
    # A material upload that is not a PDF or an office document, or too large.
    MATERIAL_REJECTED = "material_rejected"
    # A confidential material asked by someone not named on it.
    MATERIAL_CONFIDENTIAL = "material_confidential"
    # Speaking: the list of the item is closed; already waiting to speak.
    SPEAKERS_CLOSED = "speakers_closed"
    ALREADY_REGISTERED = "already_registered"
    # Votes: outside the open window, a second ballot, not entitled to vote here.
    VOTE_NOT_OPEN = "vote_not_open"
    ALREADY_VOTED = "already_voted"
    NOT_A_VOTER = "not_a_voter"
    INVALID_CHOICE = "invalid_choice"
    RECEIPT_UNKNOWN = "receipt_unknown"
    # A vote's question or options that are not valid (fields in body); a vote opened while
    # the meeting is not in session.
    VOTE_INVALID = "vote_invalid"
    MEETING_NOT_IN_SESSION = "meeting_not_in_session"
    # Written consultation: answer after the deadline, twice, or not signed.
    DEADLINE_PASSED = "deadline_passed"
    ALREADY_ANSWERED = "already_answered"
    CONSULTATION_INVALID = "consultation_invalid"
    # Minutes and conclusions.
    MINUTES_INVALID = "minutes_invalid"
    CONCLUSION_INVALID = "conclusion_invalid"
    TASK_INVALID = "task_invalid"
