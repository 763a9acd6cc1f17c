"""Public pages show agencies (names, addresses, desks and their hours): they are cached under
the namespace "org" (egov.core.pagecache), whose version every `org.*` event bumps when its
transaction commits."""

from __future__ import annotations

from egov.core import pagecache
from egov.events.models import Event
from egov.events.services import register_projector

NAMESPACE = "org"


@register_projector("org.")
def organisation_changed(event: Event) -> None:
    pagecache.bump_on_commit(NAMESPACE)
