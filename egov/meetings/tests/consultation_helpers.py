"""Helpers of the written-consultation tests: a draft of the agency, signing certificates for
everyone, a member's answer with a fresh authenticator code."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core.cache import cache

from egov.conftest import DEMO_TOTP_SECRET, fresh_totp
from egov.core.actors import SYSTEM
from egov.documents import services as documents
from egov.documents.models import OutgoingDocument
from egov.meetings.models import Consultation, ConsultationMember
from egov.meetings.services import consultations
from egov.org.models import Official

from .conftest import Board, actor


def make_draft(
    author: Official, subject: str = "Kế hoạch phát triển du lịch năm 2027"
) -> OutgoingDocument:
    return documents.create_draft(
        actor=actor(author),
        data=documents.DraftInput(
            doc_type="ke-hoach",
            subject=subject,
            content="Mục tiêu: tăng lượng khách du lịch.\n\nGiải pháp: quảng bá điểm đến.",
        ),
    )


def certify_everyone(hierarchy: Any) -> None:
    """Demo certificates for the agency and every official (members sign their sheets)."""
    from egov.signing import services

    services.ensure_demo_ca(actor=SYSTEM, all_officials=True, hierarchy=hierarchy)


def totp_for(official: Official) -> str:
    """A fresh code of the official's authenticator (given one first if they have none)."""
    if not Authenticator.objects.filter(user=official.user, type="totp").exists():
        TOTP.activate(official.user, DEMO_TOTP_SECRET)
    cache.clear()  # a code is accepted once per 30-second window
    return fresh_totp(margin=3)


def answer(
    consultation: Consultation, official: Official, choice: str, comment: str = ""
) -> ConsultationMember:
    return consultations.answer_consultation(
        actor=actor(official),
        consultation=consultation,
        answer=choice,
        comment=comment,
        second_factor=totp_for(official),
    )


def prepare(board: Board, members: list[Official], days: int = 3, **kwargs: Any) -> Consultation:
    draft = make_draft(board.secretariat)
    return consultations.create_consultation(
        actor=actor(board.secretariat),
        draft=draft,
        title=kwargs.pop("title", "Thông qua Kế hoạch phát triển du lịch năm 2027"),
        question=kwargs.pop(
            "question", "Đề nghị các đồng chí cho ý kiến về việc thông qua dự thảo Kế hoạch."
        ),
        members=members,
        chair=board.chair,
        deadline_days=days,
        **kwargs,
    )
