"""Which model the agency ids in the log point to: the app that owns agencies (org, above events
in the layers) registers it at start-up, so the event-log admin can filter and label events by
agency name without importing that app."""

from __future__ import annotations

from django.db.models import Model

from egov.core.registry import Registry

_AGENCY_MODEL: Registry[str, type[Model]] = Registry("agency model")


def register_agency_model(model: type[Model]) -> None:
    _AGENCY_MODEL.register("agency", model)


def agency_model() -> type[Model] | None:
    """The registered model (with a `name` field), or None when no app provides agencies."""
    return _AGENCY_MODEL.get("agency")
