"""Status messages (QCVN 102:2016): sending ours, taking in the other side's, and each recipient's
latest status as the sender sees it.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q

from egov.core.actors import SYSTEM, Actor
from egov.core.errors import NotFoundError
from egov.core.scoping import visible_to
from egov.events.services import enqueue, record_event
from egov.org.models import Agency

from . import edxml, signature
from .common import (
    ExchangeError,
    StatusFlowRefused,
    StatusRefused,
    UnknownRecipient,
    exchange_now,
    known_name,
    logger,
    outbox_key,
    require_rights,
    staff_fields,
)
from .edxml import (
    ARRIVED,
    REJECTED,
    STATUS_LABELS,
    BusinessDocType,
    EdxmlError,
    ResponseFor,
    StaffInfo,
    StatusMessage,
    max_package_bytes,
    parse_status,
    status_label,
)
from .error_codes import ExchangeErrorCode
from .event_types import (
    STATUS_RECEIVED,
    STATUS_REFUSED_FOR_INCOMING,
    STATUS_REFUSED_FOR_OUTGOING,
    STATUS_SENT,
    SUBJECT_INCOMING,
    SUBJECT_OUTGOING,
    SUBJECT_STATUS,
)
from .handlers import ReceivedStatus, status_handlers
from .hub import TOPIC_STATUS, local_agency, organ_for_agency, resolve
from .models import IncomingPackage, OutgoingPackage, StatusRecord
from .status_flow import (
    SENT_BY,
    FlowState,
    Judgement,
    Role,
    Verdict,
    allowed_next,
    flow_for,
    judge,
    state_of,
)

Package = OutgoingPackage | IncomingPackage
# Received packages a status may be about: arrived ones, and held ones (answered 01, waiting
# for a clerk, who may refuse them with 02: held.refuse_held).
REPORTABLE = (IncomingPackage.Status.ARRIVED, IncomingPackage.Status.HELD)


@dataclass
class StatusResult:
    record: StatusRecord | None  # None when refused
    duplicate: bool = False
    stale: bool = False
    refusal: StatusFlowRefused | None = None


@dataclass
class _Candidate:
    """A package a status may be about, and the role of the party sending the status."""

    package: Package
    role: Role


def package_state(package: Package) -> FlowState:
    return state_of(
        package.business_doc_type,
        processing=package.processing_code,
        take_back=package.take_back_code,
        latest=package.status_code,
        at=package.status_at,
    )


def _candidates(code: str, by_role: dict[Role, Any]) -> list[_Candidate]:
    """The packages a status may be about, newest first, those where its sender has the role
    that sends this code first."""
    expected = SENT_BY.get(code, Role.RECIPIENT)
    roles = [expected] + [r for r in by_role if r != expected]
    return [_Candidate(p, role) for role in roles for p in by_role.get(role, [])]


def _choose(
    candidates: list[_Candidate],
    code: str,
    at: datetime,
    *,
    repeat: bool = False,
    stale_ok: bool = True,
) -> tuple[_Candidate, Judgement]:
    """The package a status is about: the newest one (of the party's role first) whose flow
    accepts it; when none does, the refusal judged on the one it most likely meant.
    `stale_ok=False` (our own statuses, stamped now): only a step forward is accepted."""
    judged = [
        (
            c,
            judge(
                c.package.business_doc_type,
                package_state(c.package),
                code,
                c.role,
                at,
                repeat=repeat,
            ),
        )
        for c in candidates
    ]
    for candidate, judgement in judged:
        if judgement.verdict == Verdict.ADVANCE or (stale_ok and judgement.accepted):
            return candidate, judgement
    for candidate, judgement in judged:
        if judgement.accepted:  # stale, from our side: a step back
            return candidate, Judgement(Verdict.OUT_OF_ORDER, judgement.state)
    for candidate, judgement in judged:
        if (
            judgement.verdict == Verdict.OUT_OF_ORDER
            and code in flow_for(candidate.package.business_doc_type).codes
        ):
            return candidate, judgement
    for candidate, judgement in judged:
        if judgement.verdict == Verdict.OUT_OF_ORDER:
            return candidate, judgement
    return judged[0]


def _answered(package: Package) -> bool:
    """Has the other side answered this package's delivery? A package we received always has
    (we answered it); one we sent once its own delivery answer was recorded."""
    return not isinstance(package, OutgoingPackage) or package.answered_at is not None


def _arrived_by(package: Package, at: datetime) -> bool:
    """Had the package reached the other side when it stamped its status? (It cannot answer a
    package before it arrived.)"""
    if isinstance(package, OutgoingPackage):
        return package.answered_at is not None and package.answered_at <= at
    return package.received_at.replace(microsecond=0) <= at


def _age(candidate: _Candidate) -> tuple[datetime, int]:
    package = candidate.package
    when = package.created_at if isinstance(package, OutgoingPackage) else package.received_at
    return when, package.pk


def _match_arrival(
    candidates: list[_Candidate], code: str, at: datetime, *, repeat: bool = False
) -> tuple[_Candidate, Judgement]:
    """The package a status message from the other party is about.

    A status message names the document (DocumentId), its two parties (From, To), a StatusCode
    and a Timestamp, but not the business type: one DocumentId may stand for the document, its
    update and its revoke, and "01" or "03" fits more than one of them. We match on what it
    carries and on each package's status flow, and an answer to one package never settles
    another (only a package's own delivery answer settles its delivery, answers.py). Among the
    packages whose flow accepts it, in this order:

    0. A repeat of a 01: the same Timestamp as a 01 already recorded on a package (a peer's
       message repeating its answer to the update) stays on that package and changes nothing,
       whatever another package could make of it. A repeat of another code comes after 1:
       two answers stamped in the same second (a registration's 03, then the revoke agreed
       by a handler at once) are told apart by the flow, the later package taking the step.
    1. A step forward on a package whose delivery the other side has answered (every package
       we received; one we sent once its answer is recorded) and that had arrived by the
       status's Timestamp (nothing is answered before it arrives): the most recent one, since
       a later package of the same document supersedes the earlier for the other side ("03"
       after a revoke arrived is the revoke agreed, "02" the revoke refused).
    2. A step forward on a package still waiting for its delivery answer (the status overtook
       the answer): the oldest, as the other side receives packages in the order we send
       them. Its delivery is not changed: the outbox still carries it.
    3. A late step already passed (stale, changes nothing): the package holding this code
       nearest in time. A "01" about a package whose delivery is answered is such a repeat.
    4. A step forward on an answered package whose answer is stamped after the status (the
       two clocks apart), then 5. a stale step on a package still waiting.

    When none accepts it, the refusal is judged on the package it most likely meant. Ties go
    to the older package (then the lower id): the choice is deterministic.
    """
    judged: list[tuple[_Candidate, Judgement]] = []
    for c in candidates:
        again = repeat or (
            code == ARRIVED and isinstance(c.package, OutgoingPackage) and _answered(c.package)
        )
        state = package_state(c.package)
        judged.append(
            (c, judge(c.package.business_doc_type, state, code, c.role, at, repeat=again))
        )
    accepted = [(c, j) for c, j in judged if j.accepted]
    if not accepted:
        return _choose(candidates, code, at, repeat=repeat)
    nearest = _nearest_holder(accepted, code, at)

    def tier(item: tuple[_Candidate, Judgement]) -> tuple[Any, ...]:
        c, j = item
        advance = j.verdict == Verdict.ADVANCE
        when, pk = _age(c)
        newest_first = (-when.timestamp(), -pk)
        gap = nearest.get(_key(c.package), float("inf"))
        if not _answered(c.package):
            return (2 if advance else 5), when, pk
        if not advance:
            if gap == 0:
                return (0 if code == ARRIVED else 1.5), gap, when, pk
            return 3, gap, when, pk
        return (1 if _arrived_by(c.package, at) else 4), newest_first

    return min(accepted, key=tier)


def _key(package: Package) -> tuple[str, int]:
    return ("out" if isinstance(package, OutgoingPackage) else "in", package.pk)


def _nearest_holder(
    accepted: list[tuple[_Candidate, Judgement]], code: str, at: datetime
) -> dict[tuple[str, int], float]:
    """Package key → how far (seconds) its nearest recorded status with this code is from `at`,
    for the stale candidates that hold one."""
    stale = [c.package for c, j in accepted if j.verdict == Verdict.STALE]
    out_ids = [p.pk for p in stale if isinstance(p, OutgoingPackage)]
    in_ids = [p.pk for p in stale if isinstance(p, IncomingPackage)]
    if not stale:
        return {}
    rows = StatusRecord.objects.filter(
        direction=StatusRecord.Direction.IN, status_code=code
    ).filter(Q(outgoing_package_id__in=out_ids) | Q(incoming_package_id__in=in_ids))
    nearest: dict[tuple[str, int], float] = {}
    for record in rows.only("timestamp", "outgoing_package_id", "incoming_package_id"):
        key = (
            ("out", record.outgoing_package_id)
            if record.outgoing_package_id
            else ("in", record.incoming_package_id or 0)
        )
        gap = abs((record.timestamp - at).total_seconds())
        nearest[key] = min(gap, nearest.get(key, gap))
    return nearest


def _refusal(candidate: _Candidate, judgement: Judgement, code: str) -> StatusFlowRefused:
    package, state = candidate.package, judgement.state
    label = f"{code} ({status_label(code)})"
    if judgement.verdict == Verdict.WRONG_SENDER:
        allowed = "cơ quan gửi văn bản" if SENT_BY.get(code) == Role.SENDER else "cơ quan nhận"
        party = "cơ quan gửi văn bản" if candidate.role == Role.SENDER else "cơ quan nhận"
        return StatusFlowRefused(
            f"Trạng thái {label} chỉ do {allowed} gửi; {party} không được gửi trạng thái này.",
            code=ExchangeErrorCode.STATUS_NOT_ALLOWED_FOR_SENDER,
            fields={"status_code": [f"Chỉ {allowed} được gửi mã {code}."]},
        )
    current = package.status_code
    now = f"{current} ({status_label(current)})" if current else "chưa có trạng thái nào"
    allowed_codes = allowed_next(package.business_doc_type, state, candidate.role)
    hint = (
        f"Trạng thái tiếp theo hợp lệ: {', '.join(allowed_codes)}."
        if allowed_codes
        else "Văn bản đã ở bước cuối, không nhận thêm trạng thái."
    )
    return StatusFlowRefused(
        f"Trạng thái {label} không được tiếp sau trạng thái hiện tại của văn bản ({now}): "
        f"sai trình tự. {hint}",
        code=ExchangeErrorCode.STATUS_OUT_OF_ORDER,
        fields={"status_code": [hint]},
    )


def _advance(package: Package, judgement: Judgement, code: str, at: datetime) -> list[str]:
    """Move the package on (nothing changes for a stale status); the fields changed."""
    if judgement.verdict != Verdict.ADVANCE:
        return []
    package.processing_code = judgement.state.processing
    package.take_back_code = judgement.state.take_back
    package.status_code = code
    package.status_at = at
    return ["processing_code", "take_back_code", "status_code", "status_at"]


def _status_parties(document_id: str, to_organ_id: str, from_agency: Agency | None) -> Agency:
    """Which of our agencies may report on `document_id` to `to_organ_id`."""
    incoming = IncomingPackage.objects.filter(
        document_id=document_id,
        sender_organ_id=to_organ_id,
        status__in=REPORTABLE,
        recipient_agency__isnull=False,
    )
    outgoing = OutgoingPackage.objects.filter(
        document_id=document_id, recipient_organ_id=to_organ_id
    )
    if from_agency is not None:
        if (
            incoming.filter(recipient_agency=from_agency).exists()
            or outgoing.filter(sender_agency=from_agency).exists()
        ):
            return from_agency
        raise NotFoundError(
            f"{from_agency.name} không có văn bản {document_id} trao đổi với cơ quan "
            f"{to_organ_id}.",
            code=ExchangeErrorCode.UNKNOWN_DOCUMENT,
        )
    agency_ids = set(incoming.values_list("recipient_agency_id", flat=True)) | set(
        outgoing.values_list("sender_agency_id", flat=True)
    )
    if not agency_ids:
        raise NotFoundError(
            f"Không có văn bản {document_id} trao đổi với cơ quan {to_organ_id}.",
            code=ExchangeErrorCode.UNKNOWN_DOCUMENT,
        )
    if len(agency_ids) > 1:
        raise ExchangeError(
            "Nhiều cơ quan trên nền tảng cùng có văn bản này: cần nêu cơ quan gửi trạng thái.",
            code=ExchangeErrorCode.FROM_AGENCY_REQUIRED,
        )
    return Agency.objects.get(pk=agency_ids.pop())


def _our_side(
    document_id: str, agency: Agency, other_organ_id: str, *, lock: bool = False
) -> tuple[list[IncomingPackage], list[OutgoingPackage]]:
    """The packages `agency` received from / sent to `other_organ_id` about the document,
    newest first. A package received under a UUID DocumentId is found by that UUID too."""
    incoming = IncomingPackage.objects.filter(
        Q(document_id=document_id) | Q(sent_document_id=document_id),
        recipient_agency=agency,
        sender_organ_id=other_organ_id,
        status__in=REPORTABLE,
    ).order_by("-received_at", "-id")
    outgoing = OutgoingPackage.objects.filter(
        document_id=document_id, sender_agency=agency, recipient_organ_id=other_organ_id
    ).order_by("-created_at", "-id")
    if lock:
        incoming = incoming.select_for_update()
        outgoing = outgoing.select_for_update()
    return list(incoming), list(outgoing)


def _holders(document_id: str, other_organ_id: str) -> list[Agency]:
    """Our agencies holding a package of the document exchanged with `other_organ_id` (received
    from it, or sent to it), as `_our_side` finds them: who a status without To is for.

    Without To, a status is taken to be for the document's sender (ResponseFor/OrganId); but
    the Bkav `Status` layout never writes To, and then a status from the document's own sender
    (a 13 asking to take it back) would be addressed to that sender itself."""
    received = IncomingPackage.objects.filter(
        Q(document_id=document_id) | Q(sent_document_id=document_id),
        sender_organ_id=other_organ_id,
        status__in=REPORTABLE,
    ).values("recipient_agency_id")
    sent = OutgoingPackage.objects.filter(
        document_id=document_id, recipient_organ_id=other_organ_id
    ).values("sender_agency_id")
    return list(
        Agency.objects.filter(Q(pk__in=received) | Q(pk__in=sent), is_active=True).order_by(
            "identifier"
        )
    )


def _superseding(package: IncomingPackage) -> tuple[int, float, int]:
    """The order our own status considers the packages we received of one document: a revoke,
    then an update (they supersede the document whatever order they arrived in: "03" while a
    revoke waits is the revoke agreed), then the newest."""
    rank = {BusinessDocType.REVOKE: 0, BusinessDocType.UPDATE: 1}.get(
        BusinessDocType(package.business_doc_type), 2
    )
    return rank, -package.received_at.timestamp(), -package.pk


def _links(package: Package) -> dict[str, Package]:
    """The StatusRecord foreign key naming the package a status is about."""
    if isinstance(package, OutgoingPackage):
        return {"outgoing_package": package}
    return {"incoming_package": package}


def _addressed(message: StatusMessage, package: Package) -> StatusMessage:
    """Our status about a package its sender named by a UUID goes back naming that UUID (with
    OrganId, Code and PromulgationDate from the package), so the sender can match it."""
    sent = getattr(package, "sent_document_id", "")
    if not sent or not edxml.is_uuid(sent):
        return message
    organ_id, day, code = edxml.split_document_id(package.document_id)
    return dataclasses.replace(
        message, document_id=sent, response=ResponseFor(organ_id, code, day, sent)
    )


def known_document_ids(agency: Agency, sender_organ_id: str, document_ids: list[str]) -> list[str]:
    """The ids `agency` knows documents from `sender_organ_id` by, for ids the sender may have
    written as it named them (a UUID: the package received under it is known by the standard
    id). Ids not matched are returned as given."""
    uuids = [d for d in document_ids if edxml.is_uuid(d)]
    known = dict(
        IncomingPackage.objects.filter(
            recipient_agency=agency, sender_organ_id=sender_organ_id, sent_document_id__in=uuids
        ).values_list("sent_document_id", "document_id")
        if uuids
        else []
    )
    return [known.get(d, d) for d in document_ids]


def send_status(
    document_id: str,
    *,
    to_organ_id: str,
    status_code: str,
    description: str = "",
    staff: StaffInfo | str | None = None,
    from_agency: Agency | None = None,
    actor: Actor = SYSTEM,
) -> StatusRecord:
    """Report a status about a document to the other party (the recipient reports 03..06 or
    15/16 to the sender; the sender asks 13 to take it back), signed with the reporting
    agency's certificate and queued in the caller's transaction. The status flow
    (status_flow.py) decides whether it may be sent now: StatusFlowRefused otherwise."""
    if status_code not in STATUS_LABELS:
        raise ExchangeError(
            f"Mã trạng thái '{status_code}' không thuộc QCVN 102:2016.",
            code=ExchangeErrorCode.UNKNOWN_STATUS_CODE,
            fields={"status_code": [f"Một trong {', '.join(STATUS_LABELS)}."]},
        )
    agency = _status_parties(document_id, to_organ_id, from_agency)
    require_rights(actor, agency)
    destination = resolve(to_organ_id)
    if destination is None:
        raise UnknownRecipient(
            f"Không gửi được trạng thái: cơ quan {to_organ_id} không có trên nền tảng và chưa "
            "được khai báo điểm liên thông.",
            fields={"to_organ_id": [to_organ_id]},
        )
    staff_info, staff_text = staff_fields(staff)
    message = StatusMessage(
        document_id=document_id,
        sender=organ_for_agency(agency),
        status_code=status_code,
        timestamp=exchange_now(),
        description=description.strip() or status_label(status_code),
        staff=staff_info,
        to_organ_id=to_organ_id,
    )
    with transaction.atomic():
        incoming, outgoing = _our_side(document_id, agency, to_organ_id, lock=True)
        # We report as the recipient of what we received, and as the sender of what we sent.
        candidates = _candidates(
            status_code,
            {Role.RECIPIENT: sorted(incoming, key=_superseding), Role.SENDER: outgoing},
        )
        chosen, judgement = _choose(candidates, status_code, message.timestamp, stale_ok=False)
        if not judgement.accepted:
            raise _refusal(chosen, judgement, status_code)
        message = _addressed(message, chosen.package)
        raw = edxml.to_bytes(
            signature.sign_root(edxml.status_element(message, destination.dialect), agency=agency)
        )
        record = StatusRecord.objects.create(
            direction=StatusRecord.Direction.OUT,
            **_links(chosen.package),
            document_id=document_id,
            from_organ_id=agency.identifier,
            from_name=agency.name[:255],
            to_organ_id=to_organ_id,
            agency=agency,
            status_code=status_code,
            description=message.description,
            timestamp=message.timestamp,
            staff=staff_text[:255],
            staff_info=dataclasses.asdict(staff_info),
            via=destination.route,
            raw=raw,
            delivery_status=StatusRecord.Delivery.PENDING,
        )
        changed = _advance(chosen.package, judgement, status_code, message.timestamp)
        if changed:
            chosen.package.save(update_fields=changed)
        enqueue(
            TOPIC_STATUS,
            {"status_id": record.pk, "document_id": document_id, "to": to_organ_id},
            idempotency_key=outbox_key("edxml-status", record.pk),
        )
        record_event(
            actor=actor,
            event_type=STATUS_SENT,
            subject_type=SUBJECT_STATUS,
            subject_id=record.pk,
            agency_id=agency.pk,
            payload={
                "document_id": document_id,
                "to": to_organ_id,
                "status_code": status_code,
                "description": message.description[:500],
            },
        )
    return record


def record_status_delivery(record: StatusRecord, *, rejected: str = "", failed: str = "") -> None:
    """What became of a status message we sent."""
    if rejected:
        status, error = StatusRecord.Delivery.REJECTED, rejected
    elif failed:
        status, error = StatusRecord.Delivery.FAILED, failed
    else:
        status, error = StatusRecord.Delivery.DELIVERED, ""
    StatusRecord.objects.filter(pk=record.pk).update(
        delivery_status=status, delivery_error=error[:2000]
    )
    if rejected or failed:
        logger.warning(
            "status %s of %s to %s not delivered: %s",
            record.status_code,
            record.document_id,
            record.to_organ_id,
            error,
        )


def receive_status(
    raw: bytes, *, via: str, peer_organ_ids: frozenset[str] | None = None
) -> StatusResult:
    """Take in a signed status message for one of our agencies (StatusRefused otherwise;
    StatusFlowRefused, HTTP 400, when the status flow does not allow it: that refusal is
    recorded as an event and nothing else changes)."""
    raw = bytes(raw)
    if len(raw) > max_package_bytes():
        raise StatusRefused(
            "Thông điệp trạng thái quá lớn.", code=ExchangeErrorCode.PACKAGE_TOO_LARGE
        )
    try:
        raw = edxml.unwrap_soap(raw)  # the edXML alone is verified and kept
        message = parse_status(raw)
    except EdxmlError as exc:
        raise StatusRefused(exc.message, code=exc.code, fields=exc.fields) from None
    sender = message.sender.organ_id
    if peer_organ_ids is not None and sender not in peer_organ_ids:
        raise StatusRefused(
            f"Trạng thái ghi cơ quan gửi {sender} nhưng được gửi bằng mã truy cập của cơ quan "
            "khác.",
            code=ExchangeErrorCode.SENDER_MISMATCH,
        )
    holders = [] if message.to_organ_id else _holders(message.document_id, sender)
    agency = holders[0] if len(holders) == 1 else local_agency(message.recipient_organ_id)
    if agency is None and not holders:
        raise StatusRefused(
            f"Cơ quan nhận trạng thái {message.recipient_organ_id} không có trên nền tảng này.",
            code=ExchangeErrorCode.UNKNOWN_RECIPIENT,
        )
    verification = signature.verify(raw)
    if not verification.valid:
        raise StatusRefused(
            "Chữ ký số của thông điệp trạng thái không hợp lệ: "
            + ("; ".join(verification.errors) or "không xác minh được."),
            code=ExchangeErrorCode.SIGNATURE_INVALID,
        )
    if not signature.signer_matches(verification, message.sender, known_name=known_name(sender)):
        raise StatusRefused(
            f"Chứng thư ký ({verification.signer_subject}) không thuộc cơ quan {sender}.",
            code=ExchangeErrorCode.SIGNER_MISMATCH,
        )
    if len(holders) > 1:  # said only to the signer, who exchanged the document with each
        raise StatusRefused(
            f"Trạng thái không nêu cơ quan nhận (To) mà văn bản {message.document_id} trao đổi "
            f"với cơ quan {sender} có ở nhiều cơ quan trên nền tảng này ("
            + ", ".join(h.identifier for h in holders)
            + "): cần nêu To/OrganId.",
            code=ExchangeErrorCode.RECIPIENT_REQUIRED,
        )
    assert agency is not None
    incoming, outgoing = _our_side(message.document_id, agency, sender)
    if not outgoing and not incoming:
        raise StatusRefused(
            f"{agency.name} không có văn bản {message.document_id} trao đổi với cơ quan {sender}.",
            code=ExchangeErrorCode.UNKNOWN_DOCUMENT,
        )
    result = accept_status(
        agency=agency, message=message, via=via, outgoing=outgoing, incoming=incoming, raw=raw
    )
    if result.refusal is not None:
        raise result.refusal
    return result


def accept_status(
    *,
    agency: Agency,
    message: StatusMessage,
    via: str,
    outgoing: list[OutgoingPackage],
    incoming: list[IncomingPackage],
    raw: bytes | None,
    repeat: bool = False,
    answer_to: OutgoingPackage | None = None,
) -> StatusResult:
    """Record a status that reached `agency` about one of the packages it sent (`outgoing`:
    the other party is their recipient) or received (`incoming`: it is their sender), if the
    status flow allows it; a refusal is recorded as an event and returned (`refusal`), with
    nothing else changed. `repeat`: the answer to a package sent again. `answer_to`: the
    package's own delivery answer (it knows its package); otherwise the package is matched as
    `_match_arrival` says. A status never changes a package's delivery."""
    staff = str(message.staff)
    code = message.status_code
    if raw is not None:
        fingerprint = hashlib.sha256(raw).hexdigest()
    else:
        first = outgoing[0].pk if outgoing else ""
        fingerprint = hashlib.sha256(
            "|".join(["answer", str(first), code, message.timestamp.isoformat()]).encode()
        ).hexdigest()
    with transaction.atomic():
        existing = StatusRecord.objects.filter(
            direction=StatusRecord.Direction.IN, fingerprint=fingerprint
        ).first()
        if existing is not None:
            return StatusResult(record=existing, duplicate=True)
        locked_out = list(
            OutgoingPackage.objects.select_for_update()
            .filter(pk__in=[p.pk for p in outgoing])
            .order_by("-created_at", "-id")
        )
        locked_in = list(
            IncomingPackage.objects.select_for_update()
            .filter(pk__in=[p.pk for p in incoming])
            .order_by("-received_at", "-id")
        )
        # The other party reports as the recipient of what we sent, the sender of what we got.
        candidates = _candidates(code, {Role.RECIPIENT: locked_out, Role.SENDER: locked_in})
        if answer_to is not None:
            candidates = [c for c in candidates if c.package.pk == answer_to.pk] or candidates
            chosen, judgement = _choose(candidates, code, message.timestamp, repeat=repeat)
        else:
            chosen, judgement = _match_arrival(candidates, code, message.timestamp, repeat=repeat)
        if not judgement.accepted:
            refusal = _refusal(chosen, judgement, code)
            _record_refusal(agency, message, via, chosen, refusal)
            return StatusResult(record=None, refusal=refusal)
        record, created = StatusRecord.objects.get_or_create(
            direction=StatusRecord.Direction.IN,
            fingerprint=fingerprint,
            defaults={
                **_links(chosen.package),
                # our id for the document (the message may name it by the sender's UUID)
                "document_id": chosen.package.document_id,
                "from_organ_id": message.sender.organ_id,
                "to_organ_id": agency.identifier,
                "status_code": code,
                "timestamp": message.timestamp,
                "from_name": message.sender.organ_name[:255],
                "agency": agency,
                "description": message.description,
                "staff": staff[:255],
                "staff_info": dataclasses.asdict(message.staff),
                "via": via[:20],
                "raw": raw,
            },
        )
        if not created:
            return StatusResult(record=record, duplicate=True)
        package = chosen.package
        changed = _advance(package, judgement, code, message.timestamp)
        stale = judgement.verdict == Verdict.STALE
        out_package: OutgoingPackage | None = None
        in_package: IncomingPackage | None = None
        if isinstance(package, OutgoingPackage):
            out_package = package
            if changed:
                package.status_description = message.description
                package.status_staff = staff[:255]
                changed += ["status_description", "status_staff"]
            if (
                code == REJECTED
                and not stale
                and package.business_doc_type == 0
                and package.answered_at is not None
                and package.delivery_status == OutgoingPackage.Delivery.DELIVERED
            ):
                # Refused after it arrived. A status never settles a delivery still waiting
                # for its own answer (the outbox would skip the package).
                package.delivery_status = OutgoingPackage.Delivery.REJECTED
                changed.append("delivery_status")
        else:
            in_package = package
        if changed:
            package.save(update_fields=changed)
        record_event(
            actor=SYSTEM,
            event_type=STATUS_RECEIVED,
            subject_type=SUBJECT_STATUS,
            subject_id=record.pk,
            agency_id=agency.pk,
            payload={
                "document_id": message.document_id,
                "from": message.sender.organ_id,
                "status_code": code,
                "description": message.description[:500],
                "via": via,
                "stale": stale,
            },
        )
        received = ReceivedStatus(
            record=record,
            message=message,
            agency=agency,
            outgoing=out_package,
            incoming=in_package,
            stale=stale,
        )
        for handler in list(status_handlers):
            handler(received)
    return StatusResult(record=record, stale=stale)


def _record_refusal(
    agency: Agency,
    message: StatusMessage,
    via: str,
    chosen: _Candidate,
    refusal: StatusFlowRefused,
) -> None:
    package = chosen.package
    outgoing = isinstance(package, OutgoingPackage)
    record_event(
        actor=SYSTEM,
        event_type=STATUS_REFUSED_FOR_OUTGOING if outgoing else STATUS_REFUSED_FOR_INCOMING,
        subject_type=SUBJECT_OUTGOING if outgoing else SUBJECT_INCOMING,
        subject_id=package.pk,
        agency_id=agency.pk,
        payload={
            "document_id": message.document_id,
            "from": message.sender.organ_id,
            "status_code": message.status_code,
            "sender_role": str(chosen.role),
            "business_doc_type": int(package.business_doc_type),
            "processing_code": package.processing_code,
            "take_back_code": package.take_back_code,
            "code": str(refusal.code),
            "reason": refusal.message[:500],
            "via": via,
        },
    )
    logger.warning(
        "status %s of %s from %s refused (%s): %s",
        message.status_code,
        message.document_id,
        message.sender.organ_id,
        refusal.code,
        refusal.message,
    )


# ---------------------------------------------------------------------------------------------
# What the sender sees
# ---------------------------------------------------------------------------------------------


@dataclass
class StatusEntry:
    status_code: str
    label: str
    description: str
    timestamp: datetime
    staff: str


@dataclass
class RecipientStatus:
    """One recipient of a document as its sender sees it."""

    recipient_organ_id: str
    recipient_name: str
    route: str
    business_doc_type: int
    delivery_status: str
    delivery_label: str
    status_code: str
    status_label: str
    status_at: datetime | None
    description: str
    staff: str
    last_error: str
    package_id: int
    history: list[StatusEntry] = field(default_factory=list)
    # The recipient's earlier packages of the same document, newest first (same shape).
    earlier: list[RecipientStatus] = field(default_factory=list)


def statuses_for(
    document_id: str, *, actor: Actor | None = None, sender_agency: Agency | None = None
) -> list[RecipientStatus]:
    """Each recipient's latest status for a document we sent (the most recent package per
    recipient: a revoke after the document shows the revoke's answer), with the history of
    that package's own statuses; the recipient's earlier packages of the document (the
    document before its update or revoke) in `earlier`, newest first, each with its own."""
    packages = OutgoingPackage.objects.filter(document_id=document_id).order_by("created_at", "id")
    if actor is not None:
        packages = visible_to(actor, packages)
    if sender_agency is not None:
        packages = packages.filter(sender_agency=sender_agency)
    by_recipient: dict[str, list[OutgoingPackage]] = {}
    senders: set[str] = set()
    for package in packages:
        by_recipient.setdefault(package.recipient_organ_id, []).append(package)
        senders.add(package.sender_organ_id)
    history: dict[int, list[StatusEntry]] = {}
    unlinked: dict[str, list[StatusEntry]] = {}
    records = StatusRecord.objects.filter(
        direction=StatusRecord.Direction.IN,
        document_id=document_id,
        to_organ_id__in=sorted(senders),
        from_organ_id__in=sorted(by_recipient),
        incoming_package__isnull=True,
    )
    ordered = sorted(records, key=lambda r: (r.timestamp, int(r.status_code), r.pk))
    for record in ordered:
        entry = StatusEntry(
            record.status_code, record.label, record.description, record.timestamp, record.staff
        )
        if record.outgoing_package_id is not None:
            history.setdefault(record.outgoing_package_id, []).append(entry)
        else:  # stored before statuses were linked, and not matched since: the latest shows it
            unlinked.setdefault(record.from_organ_id, []).append(entry)

    def row(package: OutgoingPackage, entries: list[StatusEntry]) -> RecipientStatus:
        return RecipientStatus(
            recipient_organ_id=package.recipient_organ_id,
            recipient_name=package.recipient_name,
            route=package.route,
            business_doc_type=package.business_doc_type,
            delivery_status=package.delivery_status,
            delivery_label=str(package.get_delivery_status_display()),
            status_code=package.status_code,
            status_label=package.status_label,
            status_at=package.status_at,
            description=package.status_description or package.last_error,
            staff=package.status_staff,
            last_error=package.last_error,
            package_id=package.pk,
            history=entries,
        )

    result = []
    for organ_id, sent in by_recipient.items():
        *before, latest = sent
        entries = sorted(
            history.get(latest.pk, []) + unlinked.get(organ_id, []),
            key=lambda e: (e.timestamp, int(e.status_code)),
        )
        current = row(latest, entries)
        current.earlier = [row(p, history.get(p.pk, [])) for p in reversed(before)]
        result.append(current)
    return result
