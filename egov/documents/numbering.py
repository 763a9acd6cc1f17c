"""Numbers and symbols of documents (Decree 30/2020/NĐ-CP, article 15 and appendix I/III).

* Numbers run per issuing agency per year, from 01 on 1 January to 31 December (the local date
  in Asia/Ho_Chi_Minh decides the year), and take a leading zero below 10 ("05").
* Series: each type of legal normative document has its own series; copies (sao y, trích sao,
  sao lục) share one series; every other document shares the agency's general series unless the
  operator gives its type a series of its own (DocumentType.series). Incoming documents take an
  arrival number from the series "den".
* Symbols: `15/QĐ-UBND` (number/type abbreviation-agency abbreviation); an official letter has no
  type abbreviation: `05/UBND-VX` (agency-drafting unit); a legal normative document carries its
  year: `15/2026/QĐ-UBND`.

The number is taken inside the issuing transaction by one upsert statement on the series'
counter row. The row stays locked until that transaction ends, so concurrent issuers wait for
each other, and a rolled-back issue gives its number back: numbers are gap-free and unique.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from egov.core.counters import next_value

from .models import DocumentType, NumberCounter

GENERAL_SERIES = "chung"
COPY_SERIES = "sao"
INCOMING_SERIES = "den"


def next_number(agency_id: int, year: int, series_key: str) -> int:
    """The next number of a series, taken in the issuing transaction (egov.core.counters)."""
    return next_value(NumberCounter, agency_id=agency_id, year=year, series_key=series_key)


def numbering_year(moment: datetime) -> int:
    """The year a number belongs to: the local (Asia/Ho_Chi_Minh) calendar year."""
    return timezone.localtime(moment).year


def series_for(doc_type: DocumentType) -> str:
    if doc_type.is_normative:
        return f"qppl:{doc_type.code}"
    if doc_type.is_copy:
        return COPY_SERIES
    return doc_type.series.strip() or GENERAL_SERIES


def format_number(number: int) -> str:
    """ "05" for 5, "15" for 15, "4879" for 4879."""
    if number < 1:
        raise ValueError("document numbers start at 1")
    return f"{number:02d}"


def symbol_for(
    number: int,
    *,
    doc_type: DocumentType,
    agency_abbreviation: str,
    unit_abbreviation: str = "",
    year: int | None = None,
) -> str:
    """The number and symbol as printed after "Số:"."""
    agency_abbreviation = agency_abbreviation.strip()
    if not agency_abbreviation:
        raise ValueError("the agency needs an abbreviation to number documents")
    text = format_number(number)
    if doc_type.is_normative:
        if year is None:
            raise ValueError("a legal normative document's symbol carries its year")
        return f"{text}/{year}/{doc_type.abbreviation}-{agency_abbreviation}"
    if doc_type.is_official_letter:
        unit = unit_abbreviation.strip()
        return f"{text}/{agency_abbreviation}-{unit}" if unit else f"{text}/{agency_abbreviation}"
    return f"{text}/{doc_type.abbreviation}-{agency_abbreviation}"


def placeholder_symbol(
    *,
    doc_type: DocumentType,
    agency_abbreviation: str,
    unit_abbreviation: str = "",
    year: int | None = None,
) -> str:
    """What a draft shows after "Số:" before numbering: `  /QĐ-UBND` (a blank for the number)."""
    gap = "\u2003\u2003"
    agency = agency_abbreviation.strip() or "…"
    if doc_type.is_normative:
        return f"{gap}/{year or '…'}/{doc_type.abbreviation}-{agency}"
    if doc_type.is_official_letter:
        unit = unit_abbreviation.strip()
        return f"{gap}/{agency}-{unit}" if unit else f"{gap}/{agency}"
    return f"{gap}/{doc_type.abbreviation}-{agency}"


@dataclass(frozen=True)
class Assigned:
    number: int
    year: int
    series_key: str
    symbol: str


def assign(
    *,
    agency_id: int,
    agency_abbreviation: str,
    doc_type: DocumentType,
    unit_abbreviation: str = "",
    at: datetime | None = None,
) -> Assigned:
    """Take the next number for a document of `doc_type` issued at `at` (default now)."""
    moment = at or timezone.now()
    year = numbering_year(moment)
    series_key = series_for(doc_type)
    number = next_number(agency_id, year, series_key)
    symbol = symbol_for(
        number,
        doc_type=doc_type,
        agency_abbreviation=agency_abbreviation,
        unit_abbreviation=unit_abbreviation,
        year=year,
    )
    return Assigned(number=number, year=year, series_key=series_key, symbol=symbol)


def next_arrival_number(agency_id: int, at: datetime | None = None) -> tuple[int, int]:
    """(year, arrival number) for an incoming document registered at `at` (default now)."""
    year = numbering_year(at or timezone.now())
    return year, next_number(agency_id, year, INCOMING_SERIES)


def expected_symbol(
    *,
    agency_id: int,
    agency_abbreviation: str,
    doc_type: DocumentType,
    unit_abbreviation: str = "",
    at: datetime | None = None,
) -> str | None:
    """The number and symbol the next issue of such a document would take now (read without
    taking it: another issue may come first). None when the agency has no abbreviation."""
    moment = at or timezone.now()
    year = numbering_year(moment)
    last = (
        NumberCounter.objects.filter(
            agency_id=agency_id, year=year, series_key=series_for(doc_type)
        )
        .values_list("last", flat=True)
        .first()
    )
    try:
        return symbol_for(
            (last or 0) + 1,
            doc_type=doc_type,
            agency_abbreviation=agency_abbreviation,
            unit_abbreviation=unit_abbreviation,
            year=year,
        )
    except ValueError:
        return None
