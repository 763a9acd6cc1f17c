"""The case kernel: the one way to run a state change on a case.

A case type (a dossier, an outgoing document, an incoming document, a meeting...) declares its
model, its state field and its transition table; every action on a case then runs as

    with perform(DOSSIER, "refuse", actor=actor, case=code, expected_version=version) as act:
        ...                     # act.case is the locked row, act.official the acting official
        act.save("finished_at")  # the declared target state, version + 1
        act.record(event_types.REFUSED, reason=reason)

(`begin(CASE_TYPE, "action", actor=...)` runs the action that makes a new case the same way)
and gets, in this order and in one durable transaction:
1. the acting official resolved once (transitions declare which actor kinds may run them);
2. the row locked (`SELECT ... FOR UPDATE`; before it, any row the case type's `lock_first`
   names, to keep the platform's lock order) and, when the caller passes the version it saw,
   refused with `stale_version` if someone acted in between — so two concurrent actions on one
   case cannot both succeed;
3. the transition checked against the declared table (state and role): a refused action
   changes nothing;
4. the caller's write, the typed event(s) and the outbox messages, committed together or not at
   all. An action that records no event fails: every state change is in the log.

`durable=True` (the default) makes an action called inside another action's transaction fail
loudly, as Zulip's actions do: composite work calls the inner steps' plain functions, never a
second entry point. Inner helpers that are meant to run inside a caller's action pass
`durable=False` explicitly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db import models, transaction

from egov.core.actors import Actor
from egov.core.errors import Conflict, NotAllowed, NotFoundError
from egov.events.catalogue import EventType
from egov.events.models import Event, OutboxMessage
from egov.events.services import enqueue, record_event
from egov.org.models import Official, Role

from .error_codes import CaseErrorCode

M = TypeVar("M", bound=models.Model)


class TransitionRefused(Conflict):
    """The case's state (or the table) does not allow the action; nothing changed."""

    code = CaseErrorCode.INVALID_TRANSITION


@dataclass(frozen=True)
class Transition:
    """One row of a case type's table.

    `target` is the state the action leads to; None when the action decides among `outcomes`
    (e.g. forwarding the last step ends processing) or keeps the state (an assignment).
    `role`: the org.Role an official must hold. `by`: the actor kinds that may run it.
    """

    action: str
    label: str
    sources: frozenset[Any]
    target: Any | None = None
    role: str | None = None
    by: frozenset[str] = frozenset({"official"})
    outcomes: frozenset[Any] = frozenset()

    def leads_to(self, state: Any) -> bool:
        if self.target is not None:
            return bool(state == self.target)
        return not self.outcomes or state in self.outcomes


class CaseType(Generic[M]):
    """A kind of case. Subclass to adapt how a row is found, labelled and logged."""

    def __init__(
        self,
        *,
        name: str,
        model: type[M],
        transitions: Iterable[Transition],
        key: str = "pk",
        state_field: str = "status",
        version_field: str = "version",
        related: tuple[str, ...] = (),
        noun: str = "hồ sơ",
        subject_type: str | None = None,
    ) -> None:
        self.name = name
        self.model = model
        self.transitions: dict[str, Transition] = {}
        for t in transitions:
            if t.action in self.transitions:
                raise ValueError(f"{name}: action {t.action!r} declared twice")
            self.transitions[t.action] = t
        self.key = key
        self.state_field = state_field
        self.version_field = version_field
        self.related = related
        self.noun = noun
        self.subject_type = subject_type or name

    # --- hooks -------------------------------------------------------------------------------

    def key_of(self, case: M | Any) -> Any:
        if isinstance(case, self.model):
            return getattr(case, self.key)
        return case

    def state_label(self, case: M) -> str:
        display = getattr(case, f"get_{self.state_field}_display", None)
        return str(display() if display else getattr(case, self.state_field))

    def agency_id(self, case: M) -> int | None:
        return getattr(case, "agency_id", None)

    def event_payload(self, act: Action[M]) -> dict[str, Any]:
        """Fields every event of this case type carries (defaults; the action's win)."""
        return {}

    def visible(self, actor: Actor, case: M) -> bool:
        """Whether the actor may see the locked case; one it may not is not found (checked
        before the transition, so a refusal never tells that the case exists)."""
        return True

    def not_found(self) -> NotFoundError:
        return NotFoundError(f"Không tìm thấy {self.noun}.")

    def stale(self) -> Conflict:
        return Conflict(
            f"{self.noun.capitalize()} vừa được người khác xử lý. Vui lòng tải lại trang và "
            "thử lại.",
            code=CaseErrorCode.STALE_VERSION,
        )

    # --- the table ---------------------------------------------------------------------------

    def transition(self, action: str) -> Transition:
        try:
            return self.transitions[action]
        except KeyError:
            raise LookupError(f"{self.name}: no action {action!r} in the table") from None

    def allowed_actions(self, state: Any) -> list[str]:
        return [name for name, t in self.transitions.items() if state in t.sources]

    def official_for(self, actor: Actor) -> Official:
        """The official acting (pages and the API ask before they offer an action; `perform`
        resolves it the same way, once per action)."""
        if actor.kind != "official" or actor.user_id is None:
            raise NotAllowed(f"Chỉ công chức được xử lý {self.noun}.")
        official = Official.of_user(actor.user_id)
        if official is None:
            raise NotAllowed("Tài khoản chưa gắn với cơ quan.")
        return official

    def resolve_official(self, actor: Actor, transition: Transition) -> Official | None:
        if actor.kind != "official":
            if actor.kind not in transition.by:
                raise NotAllowed(f"Chỉ công chức được xử lý {self.noun}.")
            return None
        if "official" not in transition.by:
            raise NotAllowed(f"Thao tác “{transition.label.lower()}” không dành cho công chức.")
        return self.official_for(actor)

    def check(self, transition: Transition, case: M, official: Official | None) -> None:
        state = getattr(case, self.state_field)
        if state not in transition.sources:
            raise TransitionRefused(
                f"Không thể “{transition.label.lower()}” khi {self.noun} đang ở trạng thái "
                f"“{self.state_label(case)}”."
            )
        if transition.role and official is not None and not official.has_role(transition.role):
            raise NotAllowed(
                f"Thao tác “{transition.label.lower()}” cần vai trò {Role(transition.role).label}."
            )

    def lock_first(self, case: M | Any) -> None:
        """Lock the rows the platform's lock order puts before the case (docs/architecture.md,
        "Lock order"; payments: the dossier). Nothing by default."""

    def lock(self, case: M | Any, expected_version: int | None) -> M:
        query = self.model._default_manager.select_for_update(of=("self",))
        if self.related:
            query = query.select_related(*self.related)
        locked = query.filter(**{self.key: self.key_of(case)}).first()
        if locked is None:
            raise self.not_found()
        if expected_version is not None and getattr(locked, self.version_field) != expected_version:
            raise self.stale()
        return locked


@dataclass
class Action(Generic[M]):
    """What an action body works with: the locked case and who acts."""

    case_type: CaseType[M]
    transition: Transition
    actor: Actor
    official: Official | None
    case: M
    events: list[Event] = field(default_factory=list)
    messages: list[OutboxMessage] = field(default_factory=list)
    saved: bool = False

    @property
    def acting_official(self) -> Official:
        """The official running an officials-only action."""
        if self.official is None:
            raise RuntimeError(f"{self.case_type.name}.{self.transition.action}: no official")
        return self.official

    def save(self, *fields: str, state: Any = None) -> None:
        """Write the case: the given fields, the new state (the transition's target unless the
        action decides it) and version + 1."""
        ct = self.case_type
        new_state = state if state is not None else self.transition.target
        update = list(fields)
        if new_state is not None:
            if not self.transition.leads_to(new_state):
                raise RuntimeError(
                    f"{ct.name}.{self.transition.action} cannot lead to state {new_state!r}"
                )
            setattr(self.case, ct.state_field, new_state)
            update.append(ct.state_field)
        setattr(self.case, ct.version_field, getattr(self.case, ct.version_field) + 1)
        update.append(ct.version_field)
        if any(f.name == "updated_at" for f in self.case._meta.concrete_fields):
            update.append("updated_at")
        self.case.save(update_fields=list(dict.fromkeys(update)))
        self.saved = True

    def record(
        self,
        event_type: EventType[Any],
        *,
        agency_id: int | None = None,
        defaults: bool = True,
        **payload: Any,
    ) -> Event:
        """The action's typed event, on this case's chain, in this transaction. `defaults=False`
        leaves out the case type's default fields (an event the engine records, not the actor)."""
        ct = self.case_type
        body = {**(ct.event_payload(self) if defaults else {}), **payload}
        event = record_event(
            actor=self.actor,
            event_type=event_type,
            subject_type=ct.subject_type,
            subject_id=ct.key_of(self.case),
            agency_id=agency_id if agency_id is not None else ct.agency_id(self.case),
            payload=body,
        )
        self.events.append(event)
        return event

    def enqueue(
        self, topic: str, payload: Mapping[str, Any], *, idempotency_key: str, **options: Any
    ) -> OutboxMessage:
        """A message to another system, sent only if this action commits (transactional
        outbox)."""
        message = enqueue(topic, dict(payload), idempotency_key=idempotency_key, **options)
        self.messages.append(message)
        return message


@contextmanager
def perform(
    case_type: CaseType[M],
    action: str,
    *,
    actor: Actor,
    case: M | Any,
    expected_version: int | None = None,
    durable: bool = True,
) -> Iterator[Action[M]]:
    """Run one action on one case (see the module docstring for what it guarantees)."""
    transition = case_type.transition(action)
    official = case_type.resolve_official(actor, transition)
    with transaction.atomic(durable=durable):
        case_type.lock_first(case)
        locked = case_type.lock(case, expected_version)
        if not case_type.visible(actor, locked):
            raise case_type.not_found()
        case_type.check(transition, locked, official)
        act = Action(case_type, transition, actor, official, locked)
        yield act
        if not act.events:
            raise RuntimeError(
                f"{case_type.name}.{action} recorded no event: every state change is logged"
            )


@contextmanager
def begin(
    case_type: CaseType[M], action: str, *, actor: Actor, durable: bool = True
) -> Iterator[Action[M]]:
    """Run the action that makes a case (a draft written, a document arriving): the same
    guarantees as `perform` without a row to lock yet. The body builds and saves the row, sets
    `act.case`, and records the event; the state it is born in must be the action's target."""
    transition = case_type.transition(action)
    if transition.sources:
        raise LookupError(f"{case_type.name}.{action} acts on an existing case: use perform()")
    official = case_type.resolve_official(actor, transition)
    with transaction.atomic(durable=durable):
        act: Action[M] = Action(case_type, transition, actor, official, None)  # type: ignore[arg-type]
        yield act
        if act.case is None or act.case.pk is None:
            raise RuntimeError(f"{case_type.name}.{action} made no case")
        if not transition.leads_to(getattr(act.case, case_type.state_field)):
            raise RuntimeError(f"{case_type.name}.{action} made a case in the wrong state")
        if not act.events:
            raise RuntimeError(
                f"{case_type.name}.{action} recorded no event: every state change is logged"
            )
