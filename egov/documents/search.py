"""Full-text search over documents: subject, number/symbol, sender and the text extracted from
their PDFs, stored without accents (egov.core.text.normalize_vietnamese), so
"ke hoach chuyen doi so" finds "Kế hoạch chuyển đổi số".

PostgreSQL uses the GIN full-text indexes of migration 0003 (every query word as a prefix);
other databases (SQLite) require every word with LIKE. Results are limited to what the actor
may see (the scope policies: their own agency's documents).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import F, QuerySet

from egov.core.actors import Actor
from egov.core.scoping import visible_to
from egov.core.text import normalize_vietnamese

from .models import IncomingDocument, OutgoingDocument

_WORD = re.compile(r"[a-z0-9]+")
MAX_WORDS = 12


def query_words(query: str) -> list[str]:
    return _WORD.findall(normalize_vietnamese(query or ""))[:MAX_WORDS]


def _filter(qs: QuerySet[Any], words: list[str], engine: str) -> QuerySet[Any]:
    if engine == "postgres":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector("search_text", config="simple")
        tsquery = SearchQuery(
            " & ".join(f"{w}:*" for w in words), search_type="raw", config="simple"
        )
        return (
            qs.annotate(search_vector=vector)
            .filter(search_vector=tsquery)
            .annotate(rank=SearchRank(F("search_vector"), tsquery))
        )
    for word in words:
        qs = qs.filter(search_text__contains=word)
    return qs


def default_engine() -> str:
    return "postgres" if connection.vendor == "postgresql" else "like"


@dataclass
class SearchResults:
    query: str
    outgoing: list[OutgoingDocument] = field(default_factory=list)
    incoming: list[IncomingDocument] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.outgoing) + len(self.incoming)


def search_outgoing(
    actor: Actor, query: str, *, limit: int = 50, engine: str | None = None
) -> list[OutgoingDocument]:
    words = query_words(query)
    if not words:
        return []
    chosen = engine or default_engine()
    qs = _filter(visible_to(actor, OutgoingDocument.objects.all()), words, chosen)
    qs = qs.select_related("agency", "doc_type", "drafted_by__user")
    order = ["-rank"] if chosen == "postgres" else []
    return list(qs.order_by(*order, F("issued_at").desc(nulls_last=True), "-updated_at")[:limit])


def search_incoming(
    actor: Actor, query: str, *, limit: int = 50, engine: str | None = None
) -> list[IncomingDocument]:
    words = query_words(query)
    if not words:
        return []
    chosen = engine or default_engine()
    qs = _filter(visible_to(actor, IncomingDocument.objects.all()), words, chosen)
    qs = qs.select_related("agency", "doc_type")
    order = ["-rank"] if chosen == "postgres" else []
    return list(qs.order_by(*order, "-received_at")[:limit])


def search_documents(
    actor: Actor, query: str, *, kind: str = "all", limit: int = 50, engine: str | None = None
) -> SearchResults:
    """Outgoing and/or incoming documents of the actor's agency matching every query word."""
    results = SearchResults(query=query)
    if kind in ("all", "outgoing"):
        results.outgoing = search_outgoing(actor, query, limit=limit, engine=engine)
    if kind in ("all", "incoming"):
        results.incoming = search_incoming(actor, query, limit=limit, engine=engine)
    return results
