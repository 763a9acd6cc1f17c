"""What the exchange's services share: their errors, rights and small helpers."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from egov.core.actors import Actor
from egov.core.errors import DomainError, NotAllowed
from egov.org.models import Agency

from .edxml import StaffInfo
from .error_codes import ExchangeErrorCode
from .hub import local_agency
from .models import ExternalEndpoint, PackageData

logger = logging.getLogger("egov.exchange")

WRITE_SCOPE = "documents:write"


class ExchangeError(DomainError):
    code = ExchangeErrorCode.EXCHANGE_ERROR


class UnknownRecipient(ExchangeError):
    code = ExchangeErrorCode.UNKNOWN_RECIPIENT


class StatusRefused(ExchangeError):
    """A status message we do not accept (the HTTP API answers 422)."""

    code = ExchangeErrorCode.STATUS_REJECTED
    http_status = 422


class StatusFlowRefused(StatusRefused):
    """A status the flow does not allow here (status_flow.py): HTTP 400 with the code."""

    code = ExchangeErrorCode.STATUS_OUT_OF_ORDER
    http_status = 400


def exchange_now() -> datetime:
    """Status times travel with second precision (yyyy/MM/dd HH:mm:ss)."""
    return timezone.now().replace(microsecond=0)


def require_rights(actor: Actor, agency: Agency) -> None:
    if actor.is_operator:
        return
    if actor.is_anonymous or agency.pk not in actor.agency_ids or not actor.has_scope(WRITE_SCOPE):
        raise NotAllowed(f"Bạn không có quyền gửi văn bản, trạng thái thay {agency.name}.")


def known_name(organ_id: str) -> str:
    """The name on record for an organ (our agency or a declared endpoint), or ""."""
    agency = local_agency(organ_id)
    if agency is not None:
        return agency.name
    endpoint = ExternalEndpoint.objects.filter(organ_id=organ_id).first()
    return endpoint.organ_name if endpoint is not None else ""


def store_data(raw: bytes) -> PackageData:
    digest = hashlib.sha256(raw).hexdigest()
    existing = PackageData.objects.defer("raw").filter(sha256=digest).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return PackageData.objects.create(sha256=digest, size=len(raw), raw=raw)
    except IntegrityError:
        return PackageData.objects.defer("raw").get(sha256=digest)


def outbox_key(*parts: object) -> str:
    key = "|".join(str(p) for p in parts)
    if len(key) > 190:
        key = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return key


def staff_fields(staff: StaffInfo | str | None) -> tuple[StaffInfo, str]:
    if staff is None:
        return StaffInfo(), ""
    if isinstance(staff, str):
        info = StaffInfo(staff=staff.strip())
        return info, info.staff
    return staff, str(staff)
