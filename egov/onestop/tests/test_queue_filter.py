"""The work queue's procedure filter (options rendered once per agency and catalogue version)
and its bounded tab counts ("999+"), through the Django test client."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from egov.catalog import services as catalog
from egov.catalog.models import Procedure
from egov.core.actors import SYSTEM
from egov.onestop import queue
from egov.org.models import Agency

from .conftest import STEPS, make_procedure
from .test_views import codes_in, receive

pytestmark = pytest.mark.django_db


def add_procedure(agency: Agency, code: str, name: str, sector_code: str, sector: str) -> Procedure:
    """A published procedure of the agency, through the catalogue's services (its events bump
    the catalogue's version once the transaction commits)."""
    return catalog.create_procedure(
        actor=SYSTEM,
        code=code,
        name=name,
        sector=catalog.create_sector(actor=SYSTEM, code=sector_code, name=sector),
        level="commune",
        processing_time=sum(Decimal(s[2]) for s in STEPS),
        agencies=[agency],
        is_published=True,
        components=[catalog.ComponentSpec(code="to-khai", name="Tờ khai", required=True)],
        steps=[catalog.StepSpec(n, r, b, agency_identifier=a) for n, r, b, a in STEPS],
    )


def procedure_select(html: str) -> str:
    found = re.search(r'<select name="thu_tuc" id="id_thu_tuc">.*?</select>', html, re.S)
    assert found is not None, "no procedure filter"
    return found.group(0)


def test_filter_lists_the_agencys_procedures_by_sector_and_filters_by_one(
    client, login_with_mfa, staff, procedure, other_agency
):
    land = add_procedure(
        staff.receiver.agency,
        "1.000020.000.00.00.H41",
        "Đăng ký biến động đất đai",
        "DD",
        "Đất đai",
    )
    elsewhere = make_procedure(other_agency, code="1.000030.000.00.00.H41")
    mine = receive(staff, procedure)
    on_land = receive(staff, land)
    login_with_mfa(staff.specialist.user)

    page = client.get("/mot-cua/").content.decode()
    assert '<label for="id_thu_tuc">Thủ tục</label>' in page
    select = procedure_select(page)
    assert '<optgroup label="Đất đai">' in select and '<optgroup label="Hộ tịch">' in select
    assert f"Đăng ký biến động đất đai ({land.code})" in select
    assert procedure.code in select and elsewhere.code not in select
    assert " selected" not in select
    assert sorted(codes_in(page)) == sorted([mine.code, on_land.code])

    chosen = client.get("/mot-cua/", {"thu_tuc": land.code}).content.decode()
    assert codes_in(chosen) == [on_land.code]
    assert f'<option value="{land.code}" selected>' in procedure_select(chosen)
    assert f'<option value="{procedure.code}" selected>' not in chosen

    # Another agency's procedure is no valid choice: the filter is ignored, nothing selected.
    refused = client.get("/mot-cua/", {"thu_tuc": elsewhere.code}).content.decode()
    assert " selected" not in procedure_select(refused)
    assert sorted(codes_in(refused)) == sorted([mine.code, on_land.code])

    # htmx asks for the rows only, filtered the same way; the rows of a named tab show no tab,
    # so nothing is counted for them.
    with CaptureQueriesContext(connection) as partial:
        rows = client.get(
            "/mot-cua/", {"tab": "mine", "thu_tuc": land.code}, HTTP_HX_REQUEST="true"
        )
    assert b"<html" not in rows.content and codes_in(rows.content.decode()) == [on_land.code]
    assert not [q for q in partial.captured_queries if "COUNT(" in q["sql"].upper()]


def test_a_newly_published_procedure_shows_on_the_next_request(
    client, login_with_mfa, staff, procedure, django_capture_on_commit_callbacks
):
    receive(staff, procedure)
    login_with_mfa(staff.specialist.user)
    client.get("/mot-cua/")
    # The options come from the cache: a repeat page reads no procedure.
    with CaptureQueriesContext(connection) as repeat:
        first = client.get("/mot-cua/").content.decode()
    assert not [q for q in repeat.captured_queries if 'FROM "catalog_procedure"' in q["sql"]]
    assert "1.000040.000.00.00.H41" not in first

    with django_capture_on_commit_callbacks(execute=True):
        add_procedure(
            staff.receiver.agency,
            "1.000040.000.00.00.H41",
            "Chứng thực bản sao từ bản chính",
            "CT",
            "Chứng thực",
        )
    select = procedure_select(client.get("/mot-cua/").content.decode())
    assert "Chứng thực bản sao từ bản chính (1.000040.000.00.00.H41)" in select
    assert '<optgroup label="Chứng thực">' in select


def test_counts_above_the_cap_show_a_plus_and_say_more_than(
    client, login_with_mfa, staff, procedure, monkeypatch
):
    monkeypatch.setattr(queue, "COUNT_CAP", 2)
    for i in range(2):
        receive(staff, procedure, f"Người {i}")
    login_with_mfa(staff.specialist.user)
    tab = re.compile(r'Hồ sơ cần tôi xử lý <span class="tab-count">(.*?)</span></a>')
    at_cap = tab.search(client.get("/mot-cua/").content.decode())
    assert at_cap is not None and ">2<" in at_cap.group(1) and "+" not in at_cap.group(1)

    receive(staff, procedure, "Người thứ ba")
    page = client.get("/mot-cua/").content.decode()
    over = tab.search(page)
    assert over is not None
    assert '<span aria-hidden="true">2+</span>' in over.group(1)
    assert '<span class="visually-hidden">hơn 2 hồ sơ</span>' in over.group(1)
    assert len(codes_in(page)) == 3  # the rows are not capped, only the count

    home = client.get("/lam-viec/").content.decode()
    assert re.search(
        r'tile-number"><span aria-hidden="true">2\+</span>'
        r'<span class="visually-hidden">hơn 2</span></span>\s*hồ sơ cần tôi xử lý',
        home,
    )
