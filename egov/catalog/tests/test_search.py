"""Search: accent-insensitive, typo-tolerant, filtered; the same answers on SQLite (fallback
engine) and PostgreSQL (full-text + trigram), both engines run on PostgreSQL."""

from __future__ import annotations

import pytest

from egov.catalog import services
from egov.catalog.search import osa_distance, search_procedures
from egov.core.actors import ANONYMOUS

from .conftest import DRAFT, GPXD, KET_HON, KHAI_SINH, LAI_KHAI_SINH, LLTP, OPERATOR

pytestmark = pytest.mark.django_db


def codes(query, engine, **filters):
    return [p.code for p in search_procedures(query, engine=engine, **filters)]


@pytest.mark.parametrize(
    "query",
    [
        "dang ky khai sinh",
        "Đăng ký khai sinh",
        "ĐĂNG KÝ KHAI SINH",
        "đăng ky khai sinh",
        "dang ky khai sinh ",
        "khai sinh",
    ],
)
def test_accents_and_case_do_not_matter(catalog, engine, query):
    found = codes(query, engine)
    assert found[0] == KHAI_SINH
    assert LAI_KHAI_SINH in found
    assert KET_HON not in found


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("dang ky khai sihn", KHAI_SINH),  # swapped letters
        ("khai snh", KHAI_SINH),  # a missing letter
        ("dang ky khia sinh", KHAI_SINH),
        ("dang ki ket hon", KET_HON),  # i for y
        ("giay phep xay dugn", GPXD),
        ("ly lich tu phap", LLTP),
        ("phieu ly lich", LLTP),
        ("giay phep xay", GPXD),  # the last word still being typed
    ],
)
def test_small_typos_still_find_the_procedure(catalog, engine, query, expected):
    assert codes(query, engine)[0] == expected


def test_unrelated_words_find_nothing(catalog, engine):
    assert codes("xyz qwerty", engine) == []
    assert codes("giay phep lai xe", engine) == []


def test_code_search(catalog, engine):
    assert codes("1.001193", engine) == [KHAI_SINH]
    assert codes(KHAI_SINH, engine) == [KHAI_SINH]


def test_filters(catalog, engine, commune_agency, other_agency):
    assert codes("", engine, sector="XD") == [GPXD]
    assert set(codes("dang ky", engine, sector="HT")) == {KHAI_SINH, LAI_KHAI_SINH, KET_HON}
    assert codes("", engine, level="province") == [LLTP]
    assert set(codes("", engine, online_mode=3)) == {LAI_KHAI_SINH, KET_HON}
    assert codes("khai sinh", engine, online_mode=4) == [KHAI_SINH]
    assert codes("khai sinh", engine, online_mode="4") == [KHAI_SINH]
    assert codes("", engine, agency=other_agency.identifier) == [LLTP]
    assert codes("", engine, agency=other_agency) == [LLTP]
    assert LLTP not in codes("", engine, agency=commune_agency.identifier)
    assert codes("ly lich", engine, agency=commune_agency.identifier) == []
    assert codes("", engine, sector=str(catalog["permit"].sector_id)) == [GPXD]


def test_unpublished_procedures_are_hidden(catalog, engine):
    assert DRAFT not in codes("khai sinh", engine)
    assert DRAFT in codes("khai sinh nuoc ngoai", engine, only_published=False)
    assert codes("khai sinh nuoc ngoai", engine, only_published=False, actor=ANONYMOUS) == []
    assert codes("khai sinh nuoc ngoai", engine, only_published=False, actor=OPERATOR)[0] == DRAFT


def test_empty_query_lists_the_most_used_first(catalog, engine, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            services.note_submission(catalog["record"])
        services.note_submission(catalog["marriage"])
    assert codes("", engine, limit=2) == [LLTP, KET_HON]


def test_search_follows_catalogue_changes(catalog, engine, sectors):
    assert codes("chung thuc", engine) == []
    services.update_sector(actor=OPERATOR, sector=sectors["HT"], name="Hộ tịch, chứng thực")
    assert set(codes("chung thuc", engine)) == {KHAI_SINH, LAI_KHAI_SINH, KET_HON}
    services.update_procedure(
        actor=OPERATOR, procedure=catalog["marriage"], changes={"is_published": False}
    )
    assert KET_HON not in codes("chung thuc", engine)


def test_limit(catalog, engine):
    assert len(codes("dang ky", engine, limit=1)) == 1


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("sinh", "sinh", 0),
        ("sihn", "sinh", 1),
        ("snh", "sinh", 1),
        ("kahi", "khai", 1),
        ("abc", "xyz", 3),
        ("", "ab", 2),
    ],
)
def test_osa_distance(a, b, distance):
    assert osa_distance(a, b, 5) == distance
