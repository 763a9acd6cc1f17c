"""Helpers of the minutes / conclusion / tasks tests (hmin): a closed meeting with what happened
in it (attendance, a speaker, a closed vote) built with the ORM, certificates and
authenticator codes for signing."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from django.utils import timezone

from egov.meetings import rules
from egov.meetings.models import (
    AgendaItem,
    Meeting,
    MeetingStatus,
    Participant,
    SpeakingRequest,
    Vote,
    VoteStatus,
)
from egov.org.models import Official, Position


def held_meeting(board: Any, make_meeting: Any, delegate: Official, **overrides: Any) -> Meeting:
    """A meeting that took place yesterday and closed: the chair, the secretary and four
    members present; one member absent with a delegate, one absent; a speaker on item 1 and a
    closed open vote on item 2."""
    chairman, _ = Position.objects.get_or_create(
        code="chu-tich", defaults={"name": "Chủ tịch", "is_leader": True}
    )
    board.chair.position = chairman
    board.chair.save()
    meeting = make_meeting(MeetingStatus.CLOSED, starts_in=timedelta(days=-1), **overrides)
    meeting.opened_at = meeting.starts_at + timedelta(minutes=5)
    meeting.closed_at = meeting.starts_at + timedelta(hours=2, minutes=40)
    meeting.save()
    participants = {p.official_id: p for p in Participant.objects.filter(meeting=meeting)}
    for official in [board.chair, board.secretary, *board.members[:4]]:
        p = participants[official.pk]
        p.response, p.present = Participant.Response.ACCEPTED, True
        p.save()
    away = participants[board.members[4].pk]
    away.response, away.present = Participant.Response.DECLINED, False
    away.reason, away.delegate = "Đi công tác tại Hà Nội", delegate
    away.save()
    ill = participants[board.members[5].pk]
    ill.response, ill.present, ill.reason = Participant.Response.DECLINED, False, "Ốm"
    ill.save()
    guest = participants[board.guest.pk]
    guest.response, guest.present = Participant.Response.ACCEPTED, True
    guest.save()

    items = list(AgendaItem.objects.filter(meeting=meeting).order_by("position"))
    SpeakingRequest.objects.create(
        item=items[0],
        participant=participants[board.members[1].pk],
        topic="Đề nghị bổ sung kinh phí chuyển đổi số",
        status=SpeakingRequest.Status.DONE,
        requested_at=meeting.opened_at,
        started_at=meeting.opened_at + timedelta(minutes=20),
        finished_at=meeting.opened_at + timedelta(minutes=25),
    )
    SpeakingRequest.objects.create(
        item=items[0],
        participant=participants[board.members[2].pk],
        topic="Rút đăng ký",
        status=SpeakingRequest.Status.WITHDRAWN,
        requested_at=meeting.opened_at,
    )
    outcome = rules.decide(
        meeting.rule,
        counts={"for": 4, "against": 1, "abstain": 0},
        members=7,
        present=5,
        chair_choice="for",
    )
    Vote.objects.create(
        meeting=meeting,
        item=items[1],
        question="Thông qua Kế hoạch chuyển đổi số năm 2027",
        kind=Vote.Kind.OPEN,
        status=VoteStatus.CLOSED,
        rule=meeting.rule,
        opened_at=meeting.opened_at + timedelta(minutes=60),
        closed_at=meeting.opened_at + timedelta(minutes=65),
        result=outcome.as_json(),
        passed=outcome.passed,
    )
    return meeting


def certify(*officials: Official) -> None:
    """Demo CA certificates for every official and agency (once per test database)."""
    from egov.core.actors import SYSTEM
    from egov.signing import services

    services.ensure_demo_ca(actor=SYSTEM, all_officials=True, hierarchy=_hierarchy())


_HIERARCHY: list[Any] = []


def _hierarchy() -> Any:
    from egov.signing import services

    if not _HIERARCHY:
        _HIERARCHY.append(services.make_demo_hierarchy())
    return _HIERARCHY[0]


def login(official: Official, **kwargs: Any) -> Any:
    """A client signed in as the official (second factor passed), whose authenticator knows the
    demo secret so that `code_for` gives them valid codes."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    from egov.conftest import DEMO_TOTP_SECRET, login_client

    if not Authenticator.objects.filter(user=official.user, type="totp").exists():
        TOTP.activate(official.user, DEMO_TOTP_SECRET)
    return login_client(official.user, **kwargs)


def code_for(official: Official) -> str:
    """A fresh authenticator code of the official (given an authenticator first)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from django.core.cache import cache

    from egov.conftest import DEMO_TOTP_SECRET, fresh_totp

    if not Authenticator.objects.filter(user=official.user, type="totp").exists():
        TOTP.activate(official.user, DEMO_TOTP_SECRET)
    cache.clear()  # a code is accepted once per 30-second window
    return fresh_totp(margin=3)


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.split())


def pdftotext(content: bytes) -> str:
    """The text as poppler reads it (form fields included: the number filled at issue)."""
    import subprocess

    done = subprocess.run(
        ["pdftotext", "-", "-"], input=content, capture_output=True, check=True, timeout=60
    )
    return " ".join(done.stdout.decode().split())


def local(value: Any) -> Any:
    return timezone.localtime(value)
