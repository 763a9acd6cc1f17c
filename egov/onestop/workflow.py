"""The dossier state machine as data: which action may run from which status, and to what.

Status codes are the national ones (dossiers.models.Status). These rows are the dossier case
type's table (cases.py): the case kernel refuses any action not listed here with a clear message
and changes nothing. Beyond the status and the role, the engine (services.py) decides which
agency may act: the one holding the active step (liên thông: not one whose step is done or still
ahead), the receiving desk for a withdrawal.
"""

from __future__ import annotations

from egov.cases import Transition
from egov.dossiers.models import Status

S = Status
OPEN = frozenset({S.RECEIVED, S.PROCESSING})
APPLICANTS = frozenset({"citizen", "business"})

# target None: the engine decides the status among `outcomes` (any, when none are listed), or
# keeps it (an assignment, a result file, form 04).
TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        # Online: checked and received (2), then the process starts (4).
        Transition(
            "receive",
            "Tiếp nhận hồ sơ",
            frozenset({S.NEW}),
            role="receiver",
            outcomes=frozenset({S.RECEIVED, S.PROCESSING}),
        ),
        # At the desk the dossier is born received; the process starts at once.
        Transition(
            "start_processing",
            "Tiếp nhận hồ sơ",
            frozenset({S.RECEIVED}),
            S.PROCESSING,
            "receiver",
        ),
        Transition("refuse", "Từ chối tiếp nhận", frozenset({S.NEW}), S.REFUSED, "receiver"),
        Transition(
            "request_supplement",
            "Yêu cầu bổ sung",
            frozenset({S.NEW, *OPEN}),
            S.SUPPLEMENT_REQUESTED,
        ),
        # The applicant's answer: back to processing, or to new when not yet received.
        Transition(
            "supplement_provided",
            "Bổ sung hồ sơ",
            frozenset({S.SUPPLEMENT_REQUESTED}),
            by=APPLICANTS,
            outcomes=frozenset({S.PROCESSING, S.NEW}),
        ),
        Transition("assign", "Phân công xử lý", OPEN, None),
        Transition("forward", "Chuyển bước tiếp theo", OPEN, None),
        Transition("send_back", "Trả lại bước trước", OPEN, S.PROCESSING),
        Transition(
            "request_payment", "Yêu cầu thực hiện nghĩa vụ tài chính", OPEN, S.PAYMENT_REQUESTED
        ),
        Transition(
            "payment_received",
            "Xác nhận đã nộp phí",
            frozenset({S.PAYMENT_REQUESTED}),
            S.PROCESSING,
        ),
        # The payments app settled what was asked (a provider's confirmation, cash recorded at
        # the desk, a bank line matched): the dossier goes back to processing.
        Transition(
            "payment_confirmed",
            "Đã thanh toán",
            frozenset({S.PAYMENT_REQUESTED}),
            S.PROCESSING,
            by=frozenset({"system", "official"}),
        ),
        Transition("record_result", "Cập nhật kết quả", frozenset({*OPEN, S.DONE}), None),
        Transition(
            "stop",
            "Dừng xử lý",
            frozenset({*OPEN, S.SUPPLEMENT_REQUESTED, S.PAYMENT_REQUESTED}),
            S.STOPPED,
            "leader",
        ),
        Transition("return_result", "Trả kết quả", frozenset({S.DONE}), S.RETURNED, "receiver"),
        Transition(
            "withdraw",
            "Rút hồ sơ theo yêu cầu",
            frozenset({S.NEW, *OPEN, S.SUPPLEMENT_REQUESTED, S.PAYMENT_REQUESTED}),
            S.WITHDRAWAL_REQUESTED,
            "receiver",
        ),
        # The applicant withdraws on the portal themselves (#15): while processing has not ended
        # (not once done, 9, or returned, 10: the result exists; nor refused or stopped).
        Transition(
            "withdraw_online",
            "Rút hồ sơ",
            frozenset({S.NEW, *OPEN, S.SUPPLEMENT_REQUESTED, S.PAYMENT_REQUESTED}),
            S.WITHDRAWAL_REQUESTED,
            by=APPLICANTS,
        ),
        Transition(
            "draft_apology", "Lập phiếu xin lỗi", frozenset({*OPEN, S.PAYMENT_REQUESTED}), None
        ),
        Transition(
            "approve_apology",
            "Duyệt phiếu xin lỗi",
            frozenset({*OPEN, S.PAYMENT_REQUESTED}),
            None,
            "leader",
        ),
    ]
}

# End of processing for the on-time rule: done, returned, stopped, refused, withdrawn.
ENDING_STATUSES = frozenset({S.REFUSED, S.STOPPED, S.DONE, S.RETURNED, S.WITHDRAWAL_REQUESTED})


def allowed_actions(status: int) -> list[str]:
    """What the table allows from a status (the pages and the API show it)."""
    return [name for name, t in TRANSITIONS.items() if status in t.sources]
