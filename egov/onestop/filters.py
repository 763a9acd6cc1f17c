"""The work queue's procedure filter, built once per agency and catalogue version.

A provincial department's desk receives hundreds of procedures; rendering them through Django's
Select widget (one template per option) cost more than the rest of the queue page together. The
options are rendered here with `format_html_join`, grouped by sector, and kept in the cache with
the versions of the "catalog" and "org" namespaces (egov.core.pagecache) they were built under:
a procedure published, withdrawn or renamed, or a desk arrangement changed, bumps a version when
its transaction commits, and the next request rebuilds the options.

One cache round trip per page (the entry and both versions in one `get_many`): with the database
cache that is one query, what the procedure list itself used to cost."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from egov.catalog.models import Procedure
from egov.core import pagecache
from egov.core.dbrouting import use_primary
from egov.org.models import Official, Role

from .queue import desk_procedures

NAMESPACES = ("catalog", "org")
ENTRY_PREFIX = "onestop:queue-procedures:"
# The versions drop stale entries; this only bounds how long an unused one takes memory.
SECONDS = 24 * 3600
NO_SECTOR = "Lĩnh vực khác"
ALL = "Tất cả thủ tục"


def agency_procedures(official: Official) -> QuerySet[Procedure]:
    """The published procedures the official works on, by sector then name (at most 1000): the
    agency's, and at a desk those it receives (the provincial centre: the departments')."""
    own = Procedure.objects.filter(agencies=official.agency_id, is_published=True)
    if official.has_role(Role.RECEIVER):
        qs = Procedure.objects.filter(
            Q(pk__in=own.values("pk")) | Q(pk__in=desk_procedures(official.agency_id).values("pk"))
        )
    else:
        qs = own
    return qs.order_by("sector__name", "name", "code")[:1000]


@dataclass(frozen=True)
class ProcedureOptions:
    choices: tuple[tuple[str, str], ...]  # (code, name): what the form accepts
    html: str  # the <option>s in their <optgroup>s, none selected

    def select(self, name: str, id_: str, chosen: str) -> SafeString:
        """The <select>, with the chosen procedure selected (a code the list lacks: none)."""
        options = self.html
        if chosen:
            needle = _option_start(chosen)
            options = options.replace(needle, needle[:-1] + " selected>", 1)
        return format_html(
            '<select name="{}" id="{}"><option value="">{}</option>{}</select>',
            name,
            id_,
            ALL,
            mark_safe(options),  # noqa: S308 - built by format_html_join below
        )


def _option_start(code: str) -> str:
    return str(format_html('<option value="{}">', code))


def _build(official: Official) -> ProcedureOptions:
    with use_primary():  # a lagging replica must not store options older than the version
        rows = list(agency_procedures(official).values_list("sector__name", "code", "name"))
    groups = []
    for sector, items in groupby(rows, key=lambda r: r[0] or NO_SECTOR):
        options = format_html_join(
            "", '<option value="{}">{} ({})</option>', ((c, n, c) for _, c, n in items)
        )
        groups.append((sector, options))
    html = format_html_join("", '<optgroup label="{}">{}</optgroup>', groups)
    return ProcedureOptions(tuple((code, name) for _, code, name in rows), str(html))


def procedure_options(official: Official) -> ProcedureOptions:
    """The official's procedure filter, from the cache when its catalogue versions still hold.

    The list depends on the agency and, at a desk, on what the desk receives: the entry is kept
    per agency and receiver role, with the versions it was built under."""
    receiver = official.has_role(Role.RECEIVER)
    key = f"{ENTRY_PREFIX}{official.agency_id}:{int(receiver)}"
    version_keys = [pagecache.VERSION_PREFIX + n for n in NAMESPACES]
    found = cache.get_many([key, *version_keys])
    current = tuple(found.get(k) for k in version_keys)
    entry = found.get(key)
    if entry is not None and None not in current and entry[0] == current:
        return entry[1]
    if None in current:
        current = pagecache.versions(NAMESPACES)
    options = _build(official)
    cache.set(key, (current, options), SECONDS)
    return options
