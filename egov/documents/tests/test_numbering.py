"""Numbers and symbols as Decree 30 prints them; series per agency, year and type."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import transaction

from egov.documents import numbering
from egov.documents.models import DocumentType, NumberCounter

pytestmark = pytest.mark.django_db


def t(code: str) -> DocumentType:
    return DocumentType.objects.get(code=code)


def test_the_full_list_of_types_is_seeded():
    abbreviations = set(DocumentType.objects.values_list("abbreviation", flat=True))
    expected = (
        "NQ QĐ CT QC QyĐ TC TB HD CTr KH PA ĐA DA BC BB TTr HĐ CĐ BGN BTT GUQ GM GGT GNP PG PC PB "
        "SY TrS SL"
    )
    for abbr in expected.split(" "):
        assert abbr in abbreviations
    letter = t("cong-van")
    assert letter.name == "Công văn" and letter.abbreviation == "" and letter.is_official_letter
    assert t("quyet-dinh-qppl").is_normative and not t("quyet-dinh").is_normative


def test_symbols_follow_decree_30():
    assert numbering.symbol_for(15, doc_type=t("quyet-dinh"), agency_abbreviation="UBND") == (
        "15/QĐ-UBND"
    )
    assert numbering.symbol_for(4879, doc_type=t("ke-hoach"), agency_abbreviation="UBND") == (
        "4879/KH-UBND"
    )
    # An official letter: agency - drafting unit, no type abbreviation; a leading zero below 10.
    assert (
        numbering.symbol_for(
            5, doc_type=t("cong-van"), agency_abbreviation="UBND", unit_abbreviation="VX"
        )
        == "05/UBND-VX"
    )
    assert numbering.symbol_for(1, doc_type=t("sao-y"), agency_abbreviation="UBND") == "01/SY-UBND"
    assert (
        numbering.symbol_for(
            3, doc_type=t("quyet-dinh-qppl"), agency_abbreviation="UBND", year=2026
        )
        == "03/2026/QĐ-UBND"
    )
    assert numbering.format_number(9) == "09"
    assert numbering.format_number(10) == "10"


def _take(agency, code: str, at: datetime) -> numbering.Assigned:
    with transaction.atomic():
        return numbering.assign(
            agency_id=agency.pk,
            agency_abbreviation=agency.abbreviation,
            doc_type=t(code),
            unit_abbreviation="VX",
            at=at,
        )


def test_one_general_series_and_a_series_per_normative_type(agency, other_agency):
    at = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    assert _take(agency, "quyet-dinh", at).symbol == "01/QĐ-UBND"
    assert _take(agency, "cong-van", at).symbol == "02/UBND-VX"
    assert _take(agency, "ke-hoach", at).symbol == "03/KH-UBND"
    # Legal normative decisions and resolutions: each its own series.
    assert _take(agency, "quyet-dinh-qppl", at).symbol == "01/2026/QĐ-UBND"
    assert _take(agency, "quyet-dinh-qppl", at).symbol == "02/2026/QĐ-UBND"
    assert _take(agency, "nghi-quyet-qppl", at).symbol == "01/2026/NQ-UBND"
    # Copies have one series of their own.
    assert _take(agency, "sao-y", at).symbol == "01/SY-UBND"
    assert _take(agency, "trich-sao", at).symbol == "02/TrS-UBND"
    assert _take(agency, "quyet-dinh", at).symbol == "04/QĐ-UBND"
    # Another agency starts at 01.
    assert _take(other_agency, "quyet-dinh", at).symbol == "01/QĐ-STP"


def test_a_type_may_get_its_own_series(agency):
    at = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    DocumentType.objects.filter(code="giay-moi").update(series="giay-moi")
    assert _take(agency, "quyet-dinh", at).number == 1
    assert _take(agency, "giay-moi", at).symbol == "01/GM-UBND"
    assert _take(agency, "quyet-dinh", at).number == 2


def test_numbers_restart_on_1_january_local_time(agency):
    # 31 December 2026 23:30 in Hà Nội is 16:30 UTC; 1 January 2027 00:30 is 17:30 UTC.
    last_evening = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
    new_year = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)
    assert _take(agency, "quyet-dinh", last_evening).symbol == "01/QĐ-UBND"
    assert _take(agency, "quyet-dinh", last_evening).symbol == "02/QĐ-UBND"
    first = _take(agency, "quyet-dinh", new_year)
    assert (first.year, first.symbol) == (2027, "01/QĐ-UBND")
    assert set(NumberCounter.objects.values_list("year", "last")) == {(2026, 2), (2027, 1)}


def test_a_rolled_back_issue_gives_its_number_back(agency):
    at = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    assert _take(agency, "quyet-dinh", at).number == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        assert _take(agency, "quyet-dinh", at).number == 2
        raise RuntimeError("signing failed")
    assert _take(agency, "quyet-dinh", at).number == 2  # no gap


@pytest.mark.django_db(transaction=True)
def test_numbering_outside_a_transaction_is_refused(agency):
    with pytest.raises(RuntimeError):
        numbering.next_number(agency.pk, 2026, "chung")


def test_arrival_numbers_have_their_own_series(agency):
    at = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    with transaction.atomic():
        assert numbering.next_arrival_number(agency.pk, at) == (2026, 1)
        assert numbering.next_arrival_number(agency.pk, at) == (2026, 2)
    assert _take(agency, "quyet-dinh", at).number == 1
