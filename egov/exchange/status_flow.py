"""The edXML status flow as data: which status may follow which, and who may send each one.

Codes (QCVN 102:2016/BTTTT, status message `StatusCode`): 01 arrived, 02 refused (or revoke
refused), 03 accepted/registered (or revoke agreed), 04 assigned by a leader, 05 being
processed, 06 completed, 13 the sender asks to take the document back, 15 take-back or update
agreed, 16 take-back or update refused.

What the standard states: the meaning of each code, that the recipient reports 01..06 and the
answers 15/16, and that the sender asks 13. The order below is OUR READING of those meanings
(the standard publishes no transition table; unverified against any official conformance
test). Where the reading is a choice it is marked "decision":

- A new document (BussinessDocType 0) and a replacing one (3) follow the processing flow
  01 → 02 | 03; 03 → 04 | 05 | 06; 04 → 04 | 05 | 06; 05 → 05 | 06; 02 and 06 are final.
  Decision: 04 may repeat (a leader re-assigns: documents' `assign` allows it) and 05 may
  repeat (each unit that starts reports it; the Bkav eDoc hub, QuangChuIT/edoc-integrator
  EdocTraceService/DynamicService, likewise refuses a repeated status code except 05). No step
  is skipped: 04 without 03, or 06 straight after 01, is refused.
- Beside it runs the take-back track: the sender may ask 13 once the package is sent and
  before processing ends (decision: not after 02, there is nothing to take back, nor after 06,
  a completed document is withdrawn with a revoke package, BussinessDocType 1); the recipient
  answers once, 15 or 16. After 15 (taken back) nothing further is accepted; after 16 the
  processing goes on. Decision: one take-back request per package (a refused one is not
  asked again; the sender revokes instead). While 13 waits for its answer the recipient's
  processing statuses are still accepted: they cross on the wire.
- A revoke package (1) is answered 01, then 02 (revoke refused) or 03 (revoke agreed);
  an update package (2) is answered 01, then 15 (update agreed) or 16 (update refused).
  Either may also be refused at the door (02 instead of 01). Both are final after the answer.

Late arrivals (decision, kept from the former "later timestamp wins" rule): a status that
repeats a step already passed on this package's path (the current step or one before it) is
*stale* when its timestamp is not later than the package's latest status: an older message
delivered late. It is recorded in the history but changes nothing. The same step sent again
with a later timestamp, or an earlier step with a later one, goes backwards and is refused.

The same table judges what arrives from another party (`statuses.receive_status`, refused with
HTTP 400 and recorded) and what our own officials send (`statuses.send_status`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from .edxml import (
    ACCEPTED,
    ARRIVED,
    ASSIGNED,
    COMPLETED,
    PROCESSING,
    REJECTED,
    TAKE_BACK_AGREED,
    TAKE_BACK_REFUSED,
    TAKE_BACK_REQUESTED,
    BusinessDocType,
)

NOT_YET = ""  # the package is sent, no status about it yet


class Role(StrEnum):
    """Who sends a status, relative to the package it is about."""

    SENDER = "sender"  # the agency that sent the package
    RECIPIENT = "recipient"  # the agency it was sent to


# Who may send each code.
SENT_BY: Mapping[str, Role] = {
    ARRIVED: Role.RECIPIENT,
    REJECTED: Role.RECIPIENT,
    ACCEPTED: Role.RECIPIENT,
    ASSIGNED: Role.RECIPIENT,
    PROCESSING: Role.RECIPIENT,
    COMPLETED: Role.RECIPIENT,
    TAKE_BACK_REQUESTED: Role.SENDER,
    TAKE_BACK_AGREED: Role.RECIPIENT,
    TAKE_BACK_REFUSED: Role.RECIPIENT,
}


@dataclass(frozen=True)
class Flow:
    """The statuses of one kind of package: the processing steps (code → the codes that may
    follow it) and, for a document, the take-back track beside them."""

    processing: Mapping[str, frozenset[str]]
    take_back: Mapping[str, frozenset[str]] = field(default_factory=dict)
    take_back_from: frozenset[str] = frozenset()  # processing steps 13 may be asked from
    taken_back: str = ""  # the take-back code after which nothing more is accepted

    @property
    def codes(self) -> frozenset[str]:
        out: set[str] = set()
        for table in (self.processing, self.take_back):
            for code, nexts in table.items():
                out |= nexts
                if code:
                    out.add(code)
        return frozenset(out)

    def before(self, code: str) -> frozenset[str]:
        """The processing steps on some path to `code` (itself excluded unless it repeats)."""
        seen: set[str] = set()
        frontier = [c for c, nexts in self.processing.items() if code in nexts]
        while frontier:
            current = frontier.pop()
            if current in seen or not current:
                continue
            seen.add(current)
            frontier += [c for c, nexts in self.processing.items() if current in nexts]
        return frozenset(seen)


_f = frozenset

DOCUMENT_FLOW = Flow(
    processing={
        NOT_YET: _f({ARRIVED, REJECTED}),
        ARRIVED: _f({REJECTED, ACCEPTED}),
        ACCEPTED: _f({ASSIGNED, PROCESSING, COMPLETED}),
        ASSIGNED: _f({ASSIGNED, PROCESSING, COMPLETED}),
        PROCESSING: _f({PROCESSING, COMPLETED}),
        REJECTED: _f(),
        COMPLETED: _f(),
    },
    take_back={
        NOT_YET: _f({TAKE_BACK_REQUESTED}),
        TAKE_BACK_REQUESTED: _f({TAKE_BACK_AGREED, TAKE_BACK_REFUSED}),
        TAKE_BACK_AGREED: _f(),
        TAKE_BACK_REFUSED: _f(),
    },
    take_back_from=_f({NOT_YET, ARRIVED, ACCEPTED, ASSIGNED, PROCESSING}),
    taken_back=TAKE_BACK_AGREED,
)

REVOKE_FLOW = Flow(
    processing={
        NOT_YET: _f({ARRIVED, REJECTED}),
        ARRIVED: _f({REJECTED, ACCEPTED}),
        REJECTED: _f(),
        ACCEPTED: _f(),
    }
)

UPDATE_FLOW = Flow(
    processing={
        NOT_YET: _f({ARRIVED, REJECTED}),
        ARRIVED: _f({TAKE_BACK_AGREED, TAKE_BACK_REFUSED}),
        REJECTED: _f(),
        TAKE_BACK_AGREED: _f(),
        TAKE_BACK_REFUSED: _f(),
    }
)

FLOWS: Mapping[int, Flow] = {
    BusinessDocType.NEW: DOCUMENT_FLOW,
    BusinessDocType.REVOKE: REVOKE_FLOW,
    BusinessDocType.UPDATE: UPDATE_FLOW,
    BusinessDocType.REPLACE: DOCUMENT_FLOW,
}


def flow_for(business_doc_type: int) -> Flow:
    return FLOWS.get(int(business_doc_type), DOCUMENT_FLOW)


@dataclass(frozen=True)
class FlowState:
    """Where a package stands: its processing step, its take-back step, and the time of its
    latest status."""

    processing: str = NOT_YET
    take_back: str = NOT_YET
    at: datetime | None = None


class Verdict(StrEnum):
    ADVANCE = "advance"  # accepted: the package moves on
    STALE = "stale"  # accepted into the history, changes nothing (an older message, late)
    OUT_OF_ORDER = "out_of_order"  # refused: not a step that may follow
    WRONG_SENDER = "wrong_sender"  # refused: this party may not send this code


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    state: FlowState  # after the status (unchanged unless it advanced)

    @property
    def accepted(self) -> bool:
        return self.verdict in (Verdict.ADVANCE, Verdict.STALE)


def state_of(
    business_doc_type: int, *, processing: str, take_back: str, latest: str, at: datetime | None
) -> FlowState:
    """A package's state from its stored fields. Rows stored before the flow was tracked only
    have their latest code: it stands for the step it belongs to."""
    if processing or take_back or not latest:
        return FlowState(processing, take_back, at)
    flow = flow_for(business_doc_type)
    if latest in flow.processing:
        return FlowState(latest, NOT_YET, at)
    return FlowState(ARRIVED, latest, at)


def _is_late(at: datetime, state: FlowState) -> bool:
    return state.at is not None and at <= state.at


def judge(
    business_doc_type: int,
    state: FlowState,
    code: str,
    role: Role,
    at: datetime,
    *,
    repeat: bool = False,
) -> Judgement:
    """May `role` send `code` about a package of this type standing at `state`?

    `repeat`: the recipient answered a package sent again (01 once more): a step already
    passed is then stale whatever its time."""
    flow = flow_for(business_doc_type)
    if SENT_BY.get(code) != role:
        return Judgement(Verdict.WRONG_SENDER, state)
    refused = Judgement(Verdict.OUT_OF_ORDER, state)
    if code not in flow.codes:
        return refused
    latest = max(at, state.at) if state.at else at
    if flow.taken_back and state.take_back == flow.taken_back:
        if code == state.take_back and _is_late(at, state):
            return Judgement(Verdict.STALE, state)
        return refused  # taken back: nothing follows
    if code in flow.take_back and code not in flow.processing:
        if code == state.take_back:
            return Judgement(Verdict.STALE, state) if repeat or _is_late(at, state) else refused
        allowed = flow.take_back.get(state.take_back, frozenset())
        if code not in allowed:
            return refused
        if code == TAKE_BACK_REQUESTED and state.processing not in flow.take_back_from:
            return refused
        return Judgement(Verdict.ADVANCE, FlowState(state.processing, code, latest))
    if code in flow.processing.get(state.processing, frozenset()):
        return Judgement(Verdict.ADVANCE, FlowState(code, state.take_back, latest))
    passed = code == state.processing or code in flow.before(state.processing)
    if passed and (repeat or _is_late(at, state)):
        return Judgement(Verdict.STALE, state)
    return refused


def allowed_next(business_doc_type: int, state: FlowState, role: Role) -> list[str]:
    """The codes `role` may send next (for the refusal's message)."""
    flow = flow_for(business_doc_type)
    if flow.taken_back and state.take_back == flow.taken_back:
        return []
    codes = set(flow.processing.get(state.processing, frozenset()))
    if flow.take_back and state.processing in flow.take_back_from:
        codes |= flow.take_back.get(state.take_back, frozenset())
    elif flow.take_back:
        codes |= flow.take_back.get(state.take_back, frozenset()) - {TAKE_BACK_REQUESTED}
    return sorted(c for c in codes if SENT_BY.get(c) == role)
