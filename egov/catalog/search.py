"""Search of the procedure catalogue: accent-insensitive and typo-tolerant.

Both the query and ``Procedure.search_text`` go through ``normalize_vietnamese`` (lower-case,
accents removed, đ → d), so "dang ky khai sinh" finds "Đăng ký khai sinh".

Matching is word by word and the same on every database: each query word must match a word of
the procedure exactly, as a prefix ("khai si" finds "khai sinh"), or, when the query word is no
catalogue word nor the start of one (a typo), within a small edit distance: one edit for words
of 3–5 letters, two for longer ones, an adjacent swap counting as one ("sihn" → "sinh",
"snh" → "sinh"); "y" and "i" are the same letter ("dang ki" → "đăng ký").

Where the candidates come from:

* PostgreSQL: full-text search with the ``simple`` configuration over ``search_text`` (every
  query word as a prefix, on the GIN index of migration 0002) when every query word is a
  catalogue word or the start of one — the usual case, typed with or without diacritics;
  otherwise (a typo) ``pg_trgm`` word similarity of the whole query as well, computed per row.
  The candidates are then matched as above.
* Any other database (SQLite): an in-process index of the catalogue's words, rebuilt when the
  catalogue's fingerprint (row count, last update) changes, so a change made by another process
  is seen at the next search.

Ranking: the whole query found as a phrase first, then procedures where every word matched
exactly or as a prefix, then by closeness, then the most used (``submission_count``), then the
shorter name (the more specific procedure), then alphabetically.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db import connection
from django.db.models import Count, Max, Q, QuerySet

from egov.core.actors import Actor
from egov.core.ids import parse_id
from egov.core.scoping import visible_to
from egov.core.text import normalize_vietnamese
from egov.org.models import Agency

from .models import Procedure, Sector

CODE_QUERY_RE = re.compile(r"^[0-9]\.[0-9a-z.]*$")


def search_procedures(
    query: str,
    *,
    sector: Sector | int | str | None = None,
    agency: Agency | int | str | None = None,
    level: str | None = None,
    online_mode: int | str | None = None,
    only_published: bool = True,
    limit: int = 20,
    actor: Actor | None = None,
    engine: str | None = None,
) -> list[Procedure]:
    """Procedures matching `query`, best first, at most `limit`.

    Filters: `sector` (Sector, id or code), `agency` (Agency, id or QCVN identifier; strings of
    digits are taken as ids), `level`
    (Level value), `online_mode` (4, 3 or 2). With `actor`, only what the actor may see (the
    catalogue's scope policy). An empty query lists the most used procedures. `engine`
    ("postgres" or "python") overrides the choice made from the database vendor.
    """
    qs = filter_procedures(
        Procedure.objects.all(),
        sector=sector,
        agency=agency,
        level=level,
        online_mode=online_mode,
        only_published=only_published,
    )
    if actor is not None:
        qs = visible_to(actor, qs)
    limit = max(1, min(int(limit), 500))
    text = normalize_vietnamese(query or "")
    if not text:
        return list(qs.select_related("sector").order_by("-submission_count", "name")[:limit])
    chosen = engine or default_engine()
    if chosen == "postgres":
        return _search_postgres(qs, text, limit)
    return _search_python(qs, text, limit)


def filter_procedures(
    qs: QuerySet[Procedure],
    *,
    sector: Sector | int | str | None = None,
    agency: Agency | int | str | None = None,
    level: str | None = None,
    online_mode: int | str | None = None,
    only_published: bool = True,
) -> QuerySet[Procedure]:
    if only_published:
        qs = qs.filter(is_published=True)
    if sector not in (None, ""):
        if isinstance(sector, Sector):
            qs = qs.filter(sector=sector)
        elif isinstance(sector, int):
            qs = qs.filter(sector_id=sector)
        else:
            text = str(sector).strip()
            condition = Q(sector__code=text)
            sector_id = parse_id(text)  # a form may send the id; never a driver overflow
            if sector_id is not None:
                condition |= Q(sector_id=sector_id)
            qs = qs.filter(condition)
    if agency not in (None, ""):
        if isinstance(agency, Agency):
            qs = qs.filter(agencies=agency)
        elif isinstance(agency, int):
            qs = qs.filter(agencies__pk=agency)
        elif str(agency).strip().isdigit():  # a form may send the id
            agency_id = parse_id(agency)
            qs = qs.filter(agencies__pk=agency_id) if agency_id is not None else qs.none()
        else:
            qs = qs.filter(agencies__identifier=str(agency).strip())
    if level:
        qs = qs.filter(level=level)
    if online_mode not in (None, ""):
        # Only the levels that exist (4, 3, 2); "²" passes isdigit() but not int().
        mode = parse_id(online_mode)
        qs = qs.filter(online_mode=mode) if mode is not None and mode <= 9 else qs.none()
    return qs.distinct() if agency not in (None, "") else qs


def default_engine() -> str:
    if connection.vendor == "postgresql" and _has_trigram():
        return "postgres"
    return "python"


@lru_cache(maxsize=4)
def _trigram_available(alias: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        return cursor.fetchone() is not None


def _has_trigram() -> bool:
    return _trigram_available(connection.settings_dict.get("NAME") or "default")


# --- matching and ranking, shared by both engines -----------------------------------------------


def _fold(word: str) -> str:
    """Fold spelling variants Vietnamese writers mix up: "ky"/"ki", "ly"/"li"."""
    return word.replace("y", "i")


def _doc_words(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_fold(w) for w in text.split()))


def osa_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (an adjacent swap is one edit); stops above `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        row_min = current[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
            row_min = min(row_min, value)
        if row_min > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[len(b)]


def _allowed_edits(token: str) -> int:
    if len(token) <= 2:
        return 0
    return 1 if len(token) <= 5 else 2


def _token_scores(
    token: str, vocabulary: Iterable[str], known: bool | None = None
) -> dict[str, float]:
    """How well `token` matches each word: 1 exact, 0.95 prefix, less for a typo.

    A token that is a catalogue word, or the start of one (`known`; computed from `vocabulary`
    when not given), is taken as typed: "khai" must not find "thai", "xay" must not find "tai".
    Only unknown tokens are matched within a small edit distance."""
    scores: dict[str, float] = {}
    for word in vocabulary:
        if word == token:
            scores[word] = 1.0
        elif word.startswith(token):
            scores[word] = 0.95
    if known is None:
        known = bool(scores)
    edits = _allowed_edits(token)
    if known or not edits:
        return scores
    for word in vocabulary:
        if word in scores:
            continue
        best = osa_distance(token, word, edits)
        # A typo in the last word the user is still typing: compare with the word's start.
        if best > edits and len(word) > len(token):
            best = osa_distance(token, word[: len(token)], edits)
        if best <= edits:
            scores[word] = 0.9 - 0.6 * best / (len(token) + 1)
    return scores


@dataclass(frozen=True)
class _Doc:
    pk: int
    code: str  # lower-case
    text: str  # search_text
    words: tuple[str, ...]


def _rank(
    docs: Iterable[_Doc], text: str, per_token: list[dict[str, float]], limit: int
) -> list[Procedure]:
    """Keep the documents where every query word matched; best first."""
    folded_text = _fold(text)
    is_code = bool(CODE_QUERY_RE.match(text))
    ranked: dict[int, tuple[float, float, float]] = {}
    for doc in docs:
        code_hit = is_code and doc.code.startswith(text)
        total = 0.0
        for scores in per_token:
            best = max((scores.get(w, 0.0) for w in doc.words), default=0.0)
            if best == 0.0:
                total = -1.0
                break
            total += best
        if total < 0 and not code_hit:
            continue
        closeness = max(total, 0.0) / len(per_token)
        phrase = 1.0 if (code_hit or folded_text in _fold(doc.text)) else 0.0
        full = 1.0 if closeness >= 0.95 else 0.0
        ranked[doc.pk] = (phrase, full, closeness)
    if not ranked:
        return []
    # Ties go to the most used procedure, then the shorter (more specific) name.
    extra = {
        pk: (-count, len(name), normalize_vietnamese(name))
        for pk, count, name in Procedure.objects.filter(pk__in=list(ranked)).values_list(
            "pk", "submission_count", "name"
        )
    }
    ordered = sorted(
        (pk for pk in ranked if pk in extra),
        key=lambda pk: (-ranked[pk][0], -ranked[pk][1], -ranked[pk][2], *extra[pk]),
    )
    top = ordered[:limit]
    objects = Procedure.objects.select_related("sector").in_bulk(top)
    return [objects[pk] for pk in top if pk in objects]


# --- PostgreSQL: full-text and trigram retrieval -------------------------------------------------

CANDIDATE_SIMILARITY = 0.2  # pg_trgm word_similarity that makes a row worth scoring
MAX_CANDIDATES = 500
MAX_INDEX_CANDIDATES = 2000  # rows the full-text index found, ranked in Python


def _variants(token: str) -> list[str]:
    word = re.sub(r"[^0-9a-z]", "", token)
    return list(
        dict.fromkeys(v for v in (word, word.replace("y", "i"), word.replace("i", "y")) if v)
    )


def _prefix_query(tokens: Iterable[str]) -> str:
    """A raw tsquery: every token as a prefix, "y" and "i" spellings both accepted."""
    parts = []
    for token in tokens:
        variants = _variants(token)
        if variants:
            parts.append("(" + " | ".join(f"{v}:*" for v in variants) + ")")
    return " & ".join(parts)


def _search_postgres(qs: QuerySet[Procedure], text: str, limit: int) -> list[Procedure]:
    """Candidates from the GIN indexes, then the same word-by-word matching and ranking as the
    fallback.

    A word that is a catalogue word (or the start of one) only matches as typed (see
    `_token_scores`), so when every word of the query is one, the matches are exactly the rows
    the full-text index finds with every word as a prefix: those are the candidates, and no
    similarity is computed. Only a query with a word the catalogue does not know (a typo) takes
    its candidates from trigram word similarity, which is computed row by row."""
    from django.contrib.postgres.search import (
        SearchQuery,
        SearchVector,
        TrigramWordSimilarity,
    )

    vector = SearchVector("search_text", config="simple")
    tokens = list(dict.fromkeys(_fold(t) for t in text.split()))
    known: dict[str, bool | None] = {}
    for token in tokens:
        known[token] = None
        if _allowed_edits(token):
            # Is it a word (or the start of one) anywhere in the catalogue? Then it is no typo.
            query = _prefix_query([token])
            known[token] = (
                bool(query)
                and Procedure.objects.annotate(sv=vector)
                .filter(sv=SearchQuery(query, config="simple", search_type="raw"))
                .exists()
            )
    raw = _prefix_query(text.split())
    every_word_known = all(k is not False for k in known.values())
    if every_word_known and raw:
        # The index alone: every word as a prefix (the most used first, should it be capped).
        condition = Q(sv=SearchQuery(raw, config="simple", search_type="raw"))
        if CODE_QUERY_RE.match(text):
            condition |= Q(code__istartswith=text)
        rows = (
            qs.annotate(sv=vector)
            .filter(condition)
            .order_by("-submission_count", "pk")
            .values_list("pk", "code", "search_text")[:MAX_INDEX_CANDIDATES]
        )
    else:
        condition = Q(sim__gte=CANDIDATE_SIMILARITY)
        if raw:
            condition |= Q(sv=SearchQuery(raw, config="simple", search_type="raw"))
        if CODE_QUERY_RE.match(text):
            condition |= Q(code__istartswith=text)
        annotated: Any = qs.annotate(sv=vector, sim=TrigramWordSimilarity(text, "search_text"))
        rows = (
            annotated.filter(condition)
            .order_by("-sim")
            .values_list("pk", "code", "search_text")[:MAX_CANDIDATES]
        )
    docs = [_Doc(pk, code.lower(), body, _doc_words(body)) for pk, code, body in rows]
    vocabulary = {w for d in docs for w in d.words}
    per_token = [_token_scores(token, vocabulary, known[token]) for token in tokens]
    return _rank(docs, text, per_token, limit)


# --- the fallback engine -------------------------------------------------------------------------


@dataclass
class _Index:
    fingerprint: tuple[Any, ...] | None = None
    docs: dict[int, _Doc] = field(default_factory=dict)
    vocabulary: frozenset[str] = frozenset()


_index = _Index()
_lock = threading.Lock()


def invalidate_cache() -> None:
    global _index
    with _lock:
        _index = _Index()


def _fingerprint() -> tuple[Any, ...]:
    row = Procedure.objects.aggregate(n=Count("id"), last=Max("updated_at"), top=Max("id"))
    return (
        connection.alias,
        connection.settings_dict.get("NAME"),
        row["n"],
        row["last"],
        row["top"],
    )


def _current_index() -> _Index:
    global _index
    fingerprint = _fingerprint()
    index = _index
    if index.fingerprint == fingerprint:
        return index
    fresh = _Index(fingerprint=fingerprint)
    vocabulary: set[str] = set()
    for pk, code, text in Procedure.objects.values_list("pk", "code", "search_text"):
        doc = _Doc(pk, code.lower(), text, _doc_words(text))
        fresh.docs[pk] = doc
        vocabulary.update(doc.words)
    fresh.vocabulary = frozenset(vocabulary)
    with _lock:
        _index = fresh
    return fresh


def _search_python(qs: QuerySet[Procedure], text: str, limit: int) -> list[Procedure]:
    index = _current_index()
    allowed = set(qs.values_list("pk", flat=True))
    per_token = [
        _token_scores(t, index.vocabulary) for t in dict.fromkeys(_fold(t) for t in text.split())
    ]
    docs = (index.docs[pk] for pk in allowed if pk in index.docs)
    return _rank(docs, text, per_token, limit)


# --- suggestions when nothing matched ------------------------------------------------------------

SUGGESTION_MIN_SCORE = 0.5


def suggest_procedures(query: str, *, limit: int = 5, engine: str | None = None) -> list[Procedure]:
    """Published procedures whose names come closest to `query` when the search found nothing.

    The same word matching as the search, relaxed: a procedure is suggested when about half of
    the query's words match one of its words (exactly, as a prefix or within the typo distance,
    typos allowed even for catalogue words; two-letter words do not count
    towards the half), best average first. On PostgreSQL the candidates are
    the rows nearest to the whole query by trigram word similarity; elsewhere the in-process
    index of the catalogue's words."""
    text = normalize_vietnamese(query or "")
    tokens = list(dict.fromkeys(_fold(t) for t in text.split() if len(t) > 1))
    if not tokens:
        return []
    qs = Procedure.objects.filter(is_published=True)
    if (engine or default_engine()) == "postgres":
        from django.contrib.postgres.search import TrigramWordSimilarity

        rows = (
            qs.annotate(sim=TrigramWordSimilarity(text, "search_text"))
            .order_by("-sim")
            .values_list("pk", "code", "search_text")[:MAX_CANDIDATES]
        )
        docs = [_Doc(pk, code.lower(), body, _doc_words(body)) for pk, code, body in rows]
        vocabulary: Iterable[str] = {w for d in docs for w in d.words}
    else:
        index = _current_index()
        allowed = set(qs.values_list("pk", flat=True))
        docs = [index.docs[pk] for pk in allowed if pk in index.docs]
        vocabulary = index.vocabulary
    per_token = [_token_scores(t, vocabulary, known=False) for t in tokens]
    # Two-letter words ("ho", "cu", "xa") match too much to count towards the half alone.
    telling = [i for i, t in enumerate(tokens) if len(t) > 2] or list(range(len(tokens)))
    needed = (len(telling) + 1) // 2
    scored: dict[int, float] = {}
    for doc in docs:
        hits = [max((s.get(w, 0.0) for w in doc.words), default=0.0) for s in per_token]
        if sum(1 for i in telling if hits[i] > 0) >= needed:
            score = sum(hits) / len(tokens)
            if score >= SUGGESTION_MIN_SCORE:
                scored[doc.pk] = score
    if not scored:
        return []
    rows2 = Procedure.objects.select_related("sector").in_bulk(list(scored))
    ordered = sorted(
        rows2.values(), key=lambda p: (-scored[p.pk], -p.submission_count, len(p.name), p.name)
    )
    return ordered[:limit]


def popular_procedures(limit: int = 5) -> list[Procedure]:
    """The most used published procedures (what people most often come for)."""
    return list(
        Procedure.objects.filter(is_published=True)
        .select_related("sector")
        .order_by("-submission_count", "name")[:limit]
    )
