"""The public pages built from the catalogue are cached (egov.core.pagecache) under the
namespace "catalog"; every catalogue change records a `catalog.*` event, whichever path made
it (the services, the administration, the import), and this projector bumps the namespace's
version when that transaction commits, so the next request rebuilds the page."""

from __future__ import annotations

from egov.core import pagecache
from egov.events.models import Event
from egov.events.services import register_projector

NAMESPACE = "catalog"


@register_projector("catalog.")
def catalogue_changed(event: Event) -> None:
    pagecache.bump_on_commit(NAMESPACE)
