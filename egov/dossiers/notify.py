"""Telling the applicant what happened to their dossier: e-mail and SMS through the outbox, sent
only if the action's transaction commits (idempotent per dossier and step)."""

from __future__ import annotations

from egov.events.services import enqueue

from .models import Dossier


def notify_applicant(dossier: Dossier, what: str, text: str) -> None:
    if dossier.applicant_email:
        enqueue(
            "email",
            {"to": [dossier.applicant_email], "subject": f"Hồ sơ {dossier.code}", "body": text},
            idempotency_key=f"dossier:{dossier.code}:{what}:email",
        )
    if dossier.applicant_phone:
        enqueue(
            "sms",
            {"to": dossier.applicant_phone, "text": text},
            idempotency_key=f"dossier:{dossier.code}:{what}:sms",
        )
