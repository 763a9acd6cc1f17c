"""Telling the applicant what happened to their dossier.

Every notice goes out through the outbox (e-mail, SMS), sent only if the action's transaction
commits (idempotent per dossier and step), and is recorded as an `applicant_notice.sent` event in
that same transaction. The applicant's inbox on the portal ("Thông báo của tôi") is the read model
of those events (`ApplicantNotice`, filled by the projector below), so the inbox shows exactly
what was sent, newest first, whatever channel the applicant has.

What a notice carries (#15):
- the full text, never shortened: the e-mail's body is the text as written, followed by a link to
  the dossier's page (the applicant's own page "Hồ sơ của tôi" when they have a portal account,
  else the public lookup with the code filled in), at `PUBLIC_BASE_URL`;
- a subject that says what happened ("Hồ sơ ...: cần bổ sung giấy tờ");
- the SMS: the same text and link. A message longer than `NOTICE_SMS_MAX_CHARS` (default 480:
  seven segments of a Vietnamese, UCS-2 SMS) is shortened at a word boundary, never mid-word, and
  ends with "…" before the link, so the reader knows to open it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from egov.core.actors import SYSTEM, Actor
from egov.core.scoping import scope_policy
from egov.events.models import Event
from egov.events.services import enqueue, record_event, register_projector

from . import event_types as E
from .models import ApplicantNotice, Dossier

SMS_MAX_CHARS = 480
ELLIPSIS = "…"


def _base_url() -> str:
    return str(getattr(settings, "PUBLIC_BASE_URL", "") or "").rstrip("/")


def dossier_path(dossier: Dossier) -> str:
    """Where the applicant follows their dossier: their own page when they have an account,
    else the public lookup with the code filled in."""
    if dossier.applicant_id:
        return reverse("portal:my_dossier", args=[dossier.code])
    return reverse("portal:lookup") + f"?code={dossier.code}"


def dossier_link(dossier: Dossier) -> str:
    """The dossier's page as a link for an e-mail or SMS (PUBLIC_BASE_URL + path)."""
    return f"{_base_url()}{dossier_path(dossier)}"


def shorten(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, cut at a word boundary (never inside a word) and
    ending with "…" when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[:limit]
    room = text[: limit - len(ELLIPSIS) + 1]
    cut = room.rfind(" ")
    head = (room[:cut] if cut > 0 else "").rstrip(" ,;:.-–—")
    return f"{head}{ELLIPSIS}" if head else ELLIPSIS


def sms_text(text: str, link: str) -> str:
    limit = int(getattr(settings, "NOTICE_SMS_MAX_CHARS", SMS_MAX_CHARS))
    tail = f" Xem hồ sơ: {link}"
    return shorten(text, max(limit - len(tail), 40)) + tail


def notify_applicant(dossier: Dossier, what: str, text: str, *, subject: str = "") -> None:
    """Send `text` to the applicant (e-mail, SMS) with a link to the dossier's page, and record
    the notice (the inbox reads it). Inside the action's transaction."""
    path = dossier_path(dossier)
    link = f"{_base_url()}{path}"
    subject = subject or f"Hồ sơ {dossier.code}: thông báo"
    channels: list[str] = []
    if dossier.applicant_email:
        enqueue(
            "email",
            {
                "to": [dossier.applicant_email],
                "subject": subject,
                "body": f"{text}\n\nXem hồ sơ {dossier.code}: {link}\n",
            },
            idempotency_key=f"dossier:{dossier.code}:{what}:email",
        )
        channels.append("email")
    if dossier.applicant_phone:
        enqueue(
            "sms",
            {"to": dossier.applicant_phone, "text": sms_text(text, link)},
            idempotency_key=f"dossier:{dossier.code}:{what}:sms",
        )
        channels.append("sms")
    if dossier.applicant_id:
        channels.append("inbox")
    record_event(
        actor=SYSTEM,
        event_type=E.NOTICE_SENT,
        subject_type=E.NOTICE_SUBJECT,
        subject_id=f"{dossier.code}/{what}"[:64],
        agency_id=dossier.agency_id,
        payload={
            "dossier": dossier.code,
            "what": what[:60],
            "subject": subject[:255],
            "text": text,
            "url": path,
            "applicant": dossier.applicant_id,
            "channels": channels,
        },
    )


@register_projector(E.NOTICE_SENT.name)
def project_notice(event: Event) -> None:
    """The inbox row of a notice sent to an applicant with a portal account."""
    notice = E.NOTICE_SENT.read(event.payload)
    if notice.applicant is None:
        return
    dossier_id = Dossier.objects.filter(code=notice.dossier).values_list("pk", flat=True).first()
    if dossier_id is None:
        return
    ApplicantNotice.objects.get_or_create(
        event_id=event.pk,
        defaults={
            "recipient_id": notice.applicant,
            "dossier_id": dossier_id,
            "what": notice.what,
            "subject": notice.subject,
            "text": notice.text,
            "sent_at": event.occurred_at,
        },
    )


@scope_policy(ApplicantNotice)
def notices_visible(actor: Actor, qs: QuerySet[Any]) -> QuerySet[Any]:
    """An applicant sees the notices sent to them; operators all; nobody else."""
    if actor.is_operator:
        return qs
    if actor.kind in ("citizen", "business") and actor.user_id is not None:
        return qs.filter(recipient_id=actor.user_id)
    return qs.none()


def mark_read(*, actor: Actor, notice_ids: list[int] | None = None) -> int:
    """The applicant marks notices read (all of theirs when `notice_ids` is None). Only the
    inbox's own mark changes: what was sent stays as the event recorded it."""
    from egov.core.scoping import visible_to

    qs = visible_to(actor, ApplicantNotice.objects.filter(read_at__isnull=True))
    if actor.kind not in ("citizen", "business"):
        return 0
    if notice_ids is not None:
        qs = qs.filter(pk__in=notice_ids)
    return qs.update(read_at=timezone.now())
