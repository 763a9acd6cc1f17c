"""The dossier state machine as data: which action may run from which status, and to what.

Status codes are the national ones (dossiers.models.Status). The engine in services.py refuses any
action not listed here with a clear message and changes nothing. Beyond the status and the role,
the engine decides which agency may act: the one holding the active step (liên thông: not one
whose step is done or still ahead), the receiving desk for a withdrawal.
"""

from __future__ import annotations

from dataclasses import dataclass

from egov.dossiers.models import Status

S = Status
OPEN = frozenset({S.RECEIVED, S.PROCESSING})


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[int]
    target: int | None  # None: the status is decided by the engine (e.g. forward to the last step)
    role: str | None = None  # the org.Role the actor must hold, beyond being the step's assignee


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        Transition("receive", "Tiếp nhận hồ sơ", frozenset({S.NEW}), S.PROCESSING, "receiver"),
        Transition("refuse", "Từ chối tiếp nhận", frozenset({S.NEW}), S.REFUSED, "receiver"),
        Transition(
            "request_supplement",
            "Yêu cầu bổ sung",
            frozenset({S.NEW, *OPEN}),
            S.SUPPLEMENT_REQUESTED,
        ),
        Transition(
            "supplement_provided", "Bổ sung hồ sơ", frozenset({S.SUPPLEMENT_REQUESTED}), None
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
    return [name for name, t in TRANSITIONS.items() if status in t.sources]
