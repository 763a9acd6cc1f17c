"""The starter catalogue: real common procedures that load, add up, and search well."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command

from egov.catalog.models import Level, OnlineMode, Procedure, ProcessStep
from egov.catalog.search import search_procedures
from egov.catalog.starter import STARTER_PATH, load_starter_catalog
from egov.demo.data import AGENCIES

pytestmark = pytest.mark.django_db

KHAI_SINH = "1.001193.000.00.00.H41"


def test_starter_file_refers_to_demo_agencies_only():
    document = json.loads(STARTER_PATH.read_text(encoding="utf-8"))
    demo = {a.identifier for a in AGENCIES}
    for procedure in document["procedures"]:
        for identifier in procedure["agencies"]:
            assert identifier == "@communes" or identifier in demo, identifier
        for step in procedure["process"]["steps"]:
            assert not step["agency_identifier"] or step["agency_identifier"] in demo


def test_starter_catalogue_loads_thirty_or_more_procedures_that_add_up():
    result = load_starter_catalog()
    assert len(result.created) >= 30
    procedures = list(Procedure.objects.prefetch_related("components", "fees"))
    assert len(procedures) >= 30
    for procedure in procedures:
        assert procedure.is_published
        current = procedure.current_process()
        assert current is not None, procedure.code
        budgets = ProcessStep.objects.filter(version=current).values_list("budget", flat=True)
        assert sum(budgets, Decimal(0)) == procedure.processing_time, procedure.code
        assert procedure.components.exists(), procedure.code
        assert [s.order for s in current.steps.all()] == list(range(1, current.steps.count() + 1))
    modes = Counter(p.online_mode for p in procedures)
    assert modes[OnlineMode.FULL] >= 5 and modes[OnlineMode.PARTIAL] >= 5
    assert modes[OnlineMode.NONE] >= 2
    levels = Counter(p.level for p in procedures)
    assert levels[Level.COMMUNE] >= 10 and levels[Level.PROVINCE] >= 10
    sectors = {p.sector.name for p in procedures}
    assert {
        "Hộ tịch",
        "Chứng thực",
        "Đất đai",
        "Hoạt động xây dựng",
        "Bảo trợ xã hội",
        "Người có công",
        "Lý lịch tư pháp",
        "Thành lập và hoạt động doanh nghiệp",
    } <= sectors
    assert any(
        s.agency_identifier for p in procedures for s in p.current_process().steps.all()
    )  # some inter-agency steps


def test_well_known_procedures_are_right():
    load_starter_catalog()
    birth = Procedure.objects.get(code=KHAI_SINH)
    assert birth.name == "Đăng ký khai sinh"
    assert birth.level == Level.COMMUNE and birth.online_mode == OnlineMode.FULL
    assert birth.fees.get(kind="charge").amount == 0  # miễn lệ phí khai sinh đúng hạn
    form = birth.components.get(code="to-khai").form_schema
    assert {"child_name", "date_of_birth", "place_of_birth", "father_name", "mother_name"} <= {
        f["name"] for f in form["fields"]
    }
    record = Procedure.objects.get(name__startswith="Cấp Phiếu lý lịch tư pháp")
    assert record.processing_time == 10 and record.level == Level.PROVINCE
    assert record.fees.get().amount == 200000
    copy = Procedure.objects.get(name__startswith="Chứng thực bản sao từ bản chính")
    assert copy.fees.get().amount == 2000 and copy.time_unit == "hours"


def test_loading_twice_changes_nothing_and_keeps_operator_edits():
    load_starter_catalog()
    Procedure.objects.filter(code=KHAI_SINH).update(name="Đăng ký khai sinh (sửa)")
    result = load_starter_catalog()
    assert not result.created and not result.updated
    assert Procedure.objects.get(code=KHAI_SINH).name == "Đăng ký khai sinh (sửa)"
    load_starter_catalog(update=True)
    assert Procedure.objects.get(code=KHAI_SINH).name == "Đăng ký khai sinh"


def test_agencies_are_assigned_when_they_exist(commune_agency, other_agency):
    result = load_starter_catalog()
    assert result.warnings  # the other demo departments do not exist here
    birth = Procedure.objects.get(code=KHAI_SINH)
    assert list(birth.agencies.all()) == [commune_agency]
    record = Procedure.objects.get(name__startswith="Cấp Phiếu lý lịch tư pháp")
    assert list(record.agencies.all()) == [other_agency]  # 000.00.01.H41, Sở Tư pháp


def test_agencies_are_filled_in_on_a_later_run(province):
    load_starter_catalog()
    assert not Procedure.objects.get(code=KHAI_SINH).agencies.exists()
    from egov.org.models import AdministrativeUnit, Agency

    ward = AdministrativeUnit.objects.create(
        code="06673", name="Phường Bãi Cháy", level="commune", parent=province
    )
    agency = Agency.objects.create(
        identifier="000.02.50.H41",
        name="UBND phường Bãi Cháy",
        abbreviation="UBND",
        kind="ubnd",
        admin_unit=ward,
    )
    load_starter_catalog()
    assert list(Procedure.objects.get(code=KHAI_SINH).agencies.all()) == [agency]


def test_management_command(capsys):
    call_command("load_starter_catalog")
    assert "thủ tục mới" in capsys.readouterr().out
    assert Procedure.objects.count() >= 30


QUERIES = [
    ("dang ky khai sinh", "Đăng ký khai sinh"),
    ("dang ky khai sihn", "Đăng ký khai sinh"),
    ("khai snh", "Đăng ký khai sinh"),
    ("ket hon", "Đăng ký kết hôn"),
    ("ly lich tu phap", "Cấp Phiếu lý lịch tư pháp"),
    ("giay phep xay dung nha o", "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ"),
    ("thanh lap cong ty co phan", "Đăng ký thành lập công ty cổ phần"),
    ("ho kinh doanh", "Đăng ký thành lập hộ kinh doanh"),
    ("chung thuc ban sao", "Chứng thực bản sao từ bản chính"),
    ("tro cap xa hoi", "Thực hiện, điều chỉnh, thôi hưởng trợ cấp xã hội"),
    ("phu hieu", "Cấp phù hiệu xe ô tô kinh doanh vận tải"),
    ("chung chi hanh nghe duoc", "Cấp Chứng chỉ hành nghề dược"),
    ("giay phep lao dong", "Cấp giấy phép lao động"),
]


@pytest.mark.parametrize(("query", "expected"), QUERIES)
def test_search_in_the_starter_catalogue(engine, query, expected):
    load_starter_catalog()
    results = search_procedures(query, engine=engine)
    assert results and results[0].name.startswith(expected), [p.name for p in results]


def test_both_engines_agree_on_the_starter_catalogue(engine):
    load_starter_catalog()
    queries = [q for q, _ in QUERIES] + ["dang ky", "cap giay", "xyz", "dat dai", "moi truong"]
    for query in queries:
        ours = [p.code for p in search_procedures(query, engine=engine, limit=50)]
        fallback = [p.code for p in search_procedures(query, engine="python", limit=50)]
        assert ours == fallback, query
