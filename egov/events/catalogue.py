"""The event catalogue: every event type the platform records, declared once, with its payload.

Each app declares its types in `<app>/event_types.py` (found at start-up, as admin.py is):

    RECEIVED = declare(
        "dossier.received", subject="dossier", payload=DossierReceived,
        description="Hồ sơ được tiếp nhận ...",
    )

`record_event` refuses a type nobody declared, a subject that is not the declared one and a
payload its schema does not accept (an unknown field included), so the log only ever holds what
the catalogue says. Readers (projectors, timelines, reports) parse a stored payload through the
same schema with `read_payload`. The catalogue is published at `/api/v1/event-types/` and in
docs/events.md, so webhook subscribers and the national sync know what each message holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from egov.core.registry import Registry


class Payload(BaseModel):
    """Base of every payload schema: unknown fields are refused, values are read back as typed."""

    model_config = ConfigDict(extra="forbid", frozen=True)


P = TypeVar("P", bound=Payload)


class EventPayloadError(ValueError):
    """A programming error: the code recorded a payload its event type does not declare."""


@dataclass(frozen=True)
class EventType(Generic[P]):
    name: str
    subject: str
    payload: type[P]
    description: str

    def __str__(self) -> str:
        return self.name

    def check(self, subject_type: str, payload: Mapping[str, Any]) -> None:
        if subject_type != self.subject:
            raise EventPayloadError(
                f"{self.name}: subject {subject_type!r}, the catalogue says {self.subject!r}"
            )
        try:
            self.payload.model_validate(dict(payload))
        except ValidationError as exc:
            raise EventPayloadError(f"{self.name}: {exc}") from exc

    def read(self, payload: Mapping[str, Any]) -> P:
        """The stored payload as its schema's object (ISO strings back to datetimes...)."""
        return self.payload.model_validate(dict(payload))

    def schema(self) -> dict[str, Any]:
        return self.payload.model_json_schema()


CATALOGUE: Registry[str, EventType[Any]] = Registry("event type")


def declare(name: str, *, subject: str, payload: type[P], description: str) -> EventType[P]:
    """Declare one event type (an app's `event_types.py` does it at import)."""
    if not name or len(name) > 100 or "." not in name:
        raise ValueError(f"event type {name!r}: expected '<subject>.<what happened>'")
    entry: EventType[P] = EventType(name, subject, payload, description)
    CATALOGUE.register(name, entry)
    return entry


def event_type(name: str | EventType[Any]) -> EventType[Any]:
    """The declared type for `name`; LookupError if no app declared it."""
    if isinstance(name, EventType):
        return name
    return CATALOGUE[name]


def read_payload(event_type_name: str, payload: Mapping[str, Any]) -> Any:
    """A stored event's payload, parsed by its declared schema."""
    return CATALOGUE[event_type_name].read(payload)


def published() -> list[dict[str, Any]]:
    """The catalogue as data: what the API lists and docs/events.md shows."""
    return [
        {
            "event_type": entry.name,
            "subject_type": entry.subject,
            "description": entry.description,
            "payload_schema": entry.schema(),
        }
        for entry in sorted(CATALOGUE.values(), key=lambda e: e.name)
    ]


def _type_of(spec: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in spec:
        return spec["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in spec:
        return " \\| ".join(_type_of(s, defs) for s in spec["anyOf"])
    kind = str(spec.get("type", "any"))
    if kind == "array":
        return f"array of {_type_of(spec.get('items', {}), defs)}"
    if spec.get("format"):
        return f"{kind} ({spec['format']})"
    if "enum" in spec:
        return f"{kind}: " + ", ".join(f"`{v}`" for v in spec["enum"])
    return kind


def markdown(entries: list[EventType[Any]] | None = None) -> str:
    """docs/events.md: the catalogue for readers (`manage.py event_catalogue` writes it; a test
    checks the file matches the code)."""
    lines = [
        "# Event catalogue",
        "",
        "Every event the platform records, generated from the declarations in each app's",
        "`event_types.py` by `python manage.py event_catalogue --write` (a test fails when this",
        "file and the code disagree). The same list, with each payload's JSON Schema, is served at",
        "`GET /api/v1/event-types/`. Webhook and national-sync messages carry these payloads.",
        "",
        "Every event also has: `chain`, `seq`, `occurred_at` (UTC), `actor_kind`, `actor_label`,",
        "`agency_id`, `subject_type`, `subject_id`, `prev_hash`, `hash` (docs/architecture.md).",
        "",
    ]
    for entry in sorted(CATALOGUE.values() if entries is None else entries, key=lambda e: e.name):
        schema = entry.schema()
        required = set(schema.get("required", []))
        defs = schema.get("$defs", {})
        lines += [f"## `{entry.name}`", "", f"Subject: `{entry.subject}`. {entry.description}", ""]
        properties = schema.get("properties", {})
        if not properties:
            lines += ["Payload: empty.", ""]
            continue
        lines += ["| field | type | required |", "|---|---|---|"]
        for name, spec in properties.items():
            lines.append(
                f"| `{name}` | {_type_of(spec, defs)} | {'yes' if name in required else 'no'} |"
            )
        lines.append("")
    return "\n".join(lines)
