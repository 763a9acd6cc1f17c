"""Operator changes to the 766 index definitions (the only code that writes them); each change is
an event. Aggregates are written by the projector and the jobs in aggregates.py, never here."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from egov.core.actors import Actor
from egov.core.errors import DomainError, NotAllowed
from egov.events.services import record_event

from . import event_types
from .error_codes import StatsErrorCode
from .models import IndexGroup, IndexIndicator


def _require_operator(actor: Actor) -> None:
    if not actor.is_operator:
        raise NotAllowed("Chỉ quản trị hệ thống được sửa bộ chỉ số 766.")


def _decimal(value: Any, field: str, low: Decimal, high: Decimal) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        number = Decimal(-1)
    if not number.is_finite() or not low <= number <= high:
        raise DomainError(
            "Giá trị không hợp lệ.",
            code=StatsErrorCode.INVALID_POINTS,
            fields={field: [f"Phải là số từ {low} đến {high}."]},
        )
    return number


def _year(value: Any) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        year = 0
    if not 2000 <= year <= 2100:
        raise DomainError(
            "Năm không hợp lệ.", code=StatsErrorCode.INVALID_YEAR, fields={"year": ["2000–2100."]}
        )
    return year


@transaction.atomic
def save_group(*, actor: Actor, group: IndexGroup) -> IndexGroup:
    _require_operator(actor)
    group.year = _year(group.year)
    group.max_points = _decimal(group.max_points, "max_points", Decimal(0), Decimal(100))
    group.code = (group.code or "").strip()
    group.name = (group.name or "").strip()
    if not group.code or not group.name:
        raise DomainError("Nhập mã và tên nhóm.", code=StatsErrorCode.CODE_AND_NAME_REQUIRED)
    if IndexGroup.objects.filter(year=group.year, code=group.code).exclude(pk=group.pk).exists():
        raise DomainError(
            "Nhóm này đã có trong năm.",
            code=StatsErrorCode.INDEX_GROUP_EXISTS,
            fields={"code": ["Trùng mã."]},
        )
    created = group.pk is None
    group.save()
    record_event(
        actor=actor,
        event_type=event_types.INDEX_GROUP_CREATED if created else event_types.INDEX_GROUP_CHANGED,
        subject_type="index_group",
        subject_id=group.pk,
        payload={
            "year": group.year,
            "code": group.code,
            "name": group.name,
            "max_points": str(group.max_points),
        },
    )
    return group


@transaction.atomic
def save_indicator(*, actor: Actor, indicator: IndexIndicator) -> IndexIndicator:
    _require_operator(actor)
    indicator.max_points = _decimal(indicator.max_points, "max_points", Decimal(0), Decimal(100))
    indicator.threshold = _decimal(indicator.threshold, "threshold", Decimal(0), Decimal(100))
    indicator.code = (indicator.code or "").strip()
    indicator.name = (indicator.name or "").strip()
    if not indicator.code or not indicator.name:
        raise DomainError("Nhập mã và tên chỉ số.", code=StatsErrorCode.CODE_AND_NAME_REQUIRED)
    indicator.year = indicator.group.year
    clash = IndexIndicator.objects.filter(year=indicator.year, code=indicator.code)
    if clash.exclude(pk=indicator.pk).exists():
        raise DomainError(
            "Chỉ số này đã có trong năm.",
            code=StatsErrorCode.INDICATOR_EXISTS,
            fields={"code": ["Trùng mã."]},
        )
    created = indicator.pk is None
    indicator.save()
    record_event(
        actor=actor,
        event_type=event_types.INDICATOR_CREATED if created else event_types.INDICATOR_CHANGED,
        subject_type="index_indicator",
        subject_id=indicator.pk,
        payload={
            "year": indicator.year,
            "code": indicator.code,
            "group": indicator.group.code,
            "max_points": str(indicator.max_points),
            "threshold": str(indicator.threshold),
            "is_active": indicator.is_active,
        },
    )
    return indicator


@transaction.atomic
def copy_year(*, actor: Actor, source: int, target: int) -> int:
    """Start a new year from an earlier one's groups and indicators. Returns indicators copied."""
    _require_operator(actor)
    source, target = _year(source), _year(target)
    if IndexGroup.objects.filter(year=target).exists():
        raise DomainError(
            f"Năm {target} đã có bộ chỉ số.",
            code=StatsErrorCode.INDEX_YEAR_EXISTS,
            fields={"year": ["Đã có."]},
        )
    groups = list(IndexGroup.objects.filter(year=source))
    if not groups:
        raise DomainError(f"Năm {source} chưa có bộ chỉ số.", code=StatsErrorCode.INDEX_YEAR_EMPTY)
    copied = 0
    for group in groups:
        indicators = list(group.indicators.all())
        new_group = IndexGroup.objects.create(
            year=target,
            code=group.code,
            name=group.name,
            max_points=group.max_points,
            order=group.order,
        )
        for indicator in indicators:
            IndexIndicator.objects.create(
                year=target,
                group=new_group,
                code=indicator.code,
                name=indicator.name,
                description=indicator.description,
                max_points=indicator.max_points,
                threshold=indicator.threshold,
                order=indicator.order,
                is_active=indicator.is_active,
            )
            copied += 1
    record_event(
        actor=actor,
        event_type=event_types.INDEX_YEAR_COPIED,
        subject_type="index_year",
        subject_id=target,
        payload={"source": source, "target": target, "indicators": copied},
    )
    return copied
