"""The dashboard as leaders, operators and the public meet it: who gets in, what they see, the
drill-down, exports, the live fragment, the API, and a query count that does not grow with data."""

from __future__ import annotations

import io
from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from egov.org.models import AdministrativeUnit, Agency, Role
from egov.stats import aggregates, pagecache
from egov.stats.models import DailyFact, MonthlyFact

from .conftest import NOW, History

pytestmark = pytest.mark.django_db

FEB = "?period=month&month=2025-02"


@pytest.fixture
def few(staff, procedure, make_citizen):  # type: ignore[no-untyped-def]
    """February 2025: A early, B late (both returned), J still open and overdue on 15/4."""
    h = History(staff, procedure, make_citizen(personal_id="022195001234"))
    a = h.receive(2025, 2, 10, 8, 0)
    h.finish(a, 2025, 2, 12, 8, 0, result=True)
    h.hand_back(a, 2025, 2, 12, 10, 0)
    b = h.receive(2025, 2, 10, 9, 0)
    h.finish(b, 2025, 2, 21, 9, 0)
    h.hand_back(b, 2025, 2, 24, 8, 0)
    j = h.receive(2025, 2, 20, 8, 0)
    with time_machine.travel(NOW, tick=False):
        aggregates.maintain()
    return {"A": a, "B": b, "J": j}


@pytest.fixture
def leader_client(client, staff, login_with_mfa):  # type: ignore[no-untyped-def]
    login_with_mfa(staff.leader.user)
    return client


def test_leader_sees_the_figures_and_drills_into_the_late_dossiers(leader_client, few):
    with time_machine.travel(NOW, tick=True):
        page = leader_client.get("/dieu-hanh/" + FEB)
        assert page.status_code == 200
        html = page.content.decode()
        assert "Số liệu điều hành" in html and "Tháng 2/2025" in html
        assert page.context["values"]["received"] == 3
        assert page.context["values"]["resolved_late"] == 1
        assert page.context["values"]["resolved_early"] == 1
        # End of February: J was running past its date (received Thu 20/2, due Wed 26/2).
        assert (page.context["values"]["on_time"], page.context["values"]["overdue"]) == (0, 1)
        late = leader_client.get("/dieu-hanh/ho-so/" + FEB + "&metric=resolved_late")
        assert late.status_code == 200
        codes = [d.code for d in late.context["dossiers"]]
        assert codes == [few["B"].code]
        assert f"/mot-cua/ho-so/{few['B'].code}/" in late.content.decode()
        now = leader_client.get("/dieu-hanh/ho-so/?metric=overdue")
        assert [d.code for d in now.context["dossiers"]] == [few["J"].code]


def test_drill_lists_newest_first_by_the_moment_counted_page_by_page(
    leader_client, few, staff, procedure, make_citizen, monkeypatch
):
    """Received in February, a page of one at a time: by reception time (not by creation
    order: X was registered last but received first), every dossier once."""
    h = History(staff, procedure, make_citizen(personal_id="022195009876"))
    x = h.receive(2025, 2, 5, 8, 0)
    monkeypatch.setattr("egov.stats.views.PAGE_SIZE", 1)
    seen, query = [], FEB + "&metric=received"
    with time_machine.travel(NOW, tick=True):
        while query:
            page = leader_client.get("/dieu-hanh/ho-so/" + query)
            assert page.status_code == 200
            seen += [d.code for d in page.context["dossiers"]]
            query = "?" + page.context["next_qs"] if page.context["next_qs"] else ""
            assert len(seen) <= 4
        assert seen == [few["J"].code, few["B"].code, few["A"].code, x.code]
        # A cursor that is not one starts at the first page.
        odd = leader_client.get("/dieu-hanh/ho-so/" + FEB + "&metric=received&cursor=x_y")
        assert [d.code for d in odd.context["dossiers"]] == [few["J"].code]


def test_live_fragment_charts_and_exports(leader_client, few):
    with time_machine.travel(NOW, tick=True):
        live = leader_client.get("/dieu-hanh/" + FEB + "&partial=live", HTTP_HX_REQUEST="true")
        assert live.status_code == 200
        body = live.content.decode()
        assert 'id="live"' in body and "<html" not in body and 'hx-trigger="every 30s"' in body
        trend = leader_client.get("/dieu-hanh/du-lieu/trend/" + FEB).json()
        assert trend["grain"] == "day"
        assert sum(p["received"] for p in trend["points"]) == 3
        ranking = leader_client.get("/dieu-hanh/du-lieu/ranking/" + FEB).json()
        assert ranking["rows"][0]["received"] == 3
        tree = leader_client.get("/dieu-hanh/du-lieu/tree/" + FEB).json()
        assert tree["nodes"][0]["value"] == 3

        xlsx = leader_client.get("/dieu-hanh/xuat/tong-hop/xlsx/" + FEB)
        assert xlsx.status_code == 200 and "attachment" in xlsx["Content-Disposition"]
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(xlsx.content))
        assert {"Tổng hợp", "Cơ quan", "Xu hướng", "Bước trễ hạn"} <= set(book.sheetnames)
        summary = {r[0]: r[1] for r in book["Tổng hợp"].iter_rows(min_row=5, values_only=True)}
        assert summary["Tiếp nhận"] == 3 and summary["Trễ hạn"] == 1
        dossiers = leader_client.get("/dieu-hanh/xuat/ho-so/xlsx/" + FEB + "&metric=received")
        rows = list(
            load_workbook(io.BytesIO(dossiers.content))["Hồ sơ"].iter_rows(
                min_row=5, values_only=True
            )
        )
        assert len(rows) == 3
        pdf = leader_client.get("/dieu-hanh/xuat/chi-so-766/pdf/?period=year&year=2025")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_index_page_scores_the_agency(leader_client, few):
    with time_machine.travel(NOW, tick=True):
        page = leader_client.get("/dieu-hanh/chi-so-766/?period=month&month=2025-02")
        assert page.status_code == 200
        result = page.context["result"]
        scores = {i.code: i for g in result.groups for i in g.indicators}
        # 2.1: A early / (A, B resolved + J running overdue at the end of February) = 1/3
        assert scores["2.1"].measure.numerator == 1 and scores["2.1"].measure.denominator == 3
        assert not scores["1.4"].has_data
        assert "Chưa có dữ liệu" in page.content.decode()


def test_who_may_open_the_dashboard(client, staff, login_with_mfa, make_citizen, few):
    assert client.get("/dieu-hanh/").status_code == 302  # to the login page
    login_with_mfa(staff.specialist.user)
    assert client.get("/dieu-hanh/").status_code == 403
    assert client.get("/dieu-hanh/du-lieu/trend/").status_code == 403
    client.logout()
    citizen = make_citizen()
    client.force_login(citizen)
    assert client.get("/dieu-hanh/").status_code == 403


def test_a_leader_sees_their_agency_and_those_below_only(
    client, agency, other_agency, make_official, login_with_mfa
):
    """Scope follows Agency.parent, then the administrative tree."""
    commune = Agency.objects.create(
        identifier="000.01.50.H41",
        name="Ủy ban nhân dân xã A",
        abbreviation="UBND xã A",
        kind=Agency.Kind.PEOPLES_COMMITTEE,
        parent=agency,
    )
    elsewhere_unit = AdministrativeUnit.objects.create(
        code="31", name="Thành phố Hải Phòng", level=AdministrativeUnit.Level.PROVINCE
    )
    elsewhere = Agency.objects.create(
        identifier="000.00.00.H31",
        name="Ủy ban nhân dân thành phố Hải Phòng",
        abbreviation="UBND HP",
        kind=Agency.Kind.PEOPLES_COMMITTEE,
        admin_unit=elsewhere_unit,
    )
    rows = ((agency.pk, 5), (commune.pk, 3), (other_agency.pk, 7), (elsewhere.pk, 100))
    for agency_id, n in rows:
        for model, field in ((DailyFact, "day"), (MonthlyFact, "month")):
            model.objects.create(
                **{field: date(2025, 2, 1)},
                agency_id=agency_id,
                procedure_id=1,
                sector_id=1,
                channel=1,
                received=n,
                resolved_on_time=n,
            )
    aggregates.rebuild_rollups()
    province_leader = make_official(agency, [Role.LEADER], username="ldtinh")
    commune_leader = make_official(commune, [Role.LEADER], username="ldxa")
    with time_machine.travel(NOW, tick=True):
        login_with_mfa(province_leader.user)
        page = client.get("/dieu-hanh/" + FEB)
        # Itself, the commune (Agency.parent) and the department (a department of the province
        # rolls up to the province People's Committee through the administrative tree); not
        # another province.
        assert page.context["values"]["received"] == 15
        names = [r["name"] for r in page.context["ranking"]]
        assert {"Ủy ban nhân dân xã A", "Sở Tư pháp tỉnh Quảng Ninh"} <= set(names)
        assert client.get(f"/dieu-hanh/{FEB}&agency={elsewhere.pk}").status_code == 404
        commune_only = client.get(f"/dieu-hanh/{FEB}&agency={commune.pk}")
        assert commune_only.context["values"]["received"] == 3
        client.logout()
        login_with_mfa(commune_leader.user)
        assert client.get("/dieu-hanh/" + FEB).context["values"]["received"] == 3
        assert client.get(f"/dieu-hanh/{FEB}&agency={agency.pk}").status_code == 404


def test_query_count_does_not_grow_with_the_data(leader_client, staff, procedure, few):
    """Built (the cached sections out of date) and served from the cache: each a fixed number of
    queries, whatever the data."""

    def count(*, build: bool) -> int:
        if build:
            pagecache.bump()
        with CaptureQueriesContext(connection) as ctx:
            assert leader_client.get("/dieu-hanh/" + FEB).status_code == 200
        return len(ctx)

    with time_machine.travel(NOW, tick=True):
        leader_client.get("/dieu-hanh/" + FEB)  # warm the agency-tree cache
        built, cached = count(build=True), count(build=False)
    h = History(staff, procedure, None)
    for day in (11, 12, 13):
        d = h.receive(2025, 2, day, 8, 0)
        h.finish(d, 2025, 2, day + 7, 8, 0)
    with time_machine.travel(NOW, tick=True):
        aggregates.maintain()
        assert count(build=True) == built
        assert count(build=False) == cached
    # Served from the cache: the session, the official and nothing of the figures.
    assert cached <= 6 < built


def test_public_page_shows_rates_without_personal_data(client, few):
    with time_machine.travel(NOW, tick=True):
        page = client.get("/cong-khai/")
        assert page.status_code == 200
        html = page.content.decode()
        assert "Công khai kết quả giải quyết thủ tục hành chính" in html
        assert "Ủy ban nhân dân tỉnh Quảng Ninh" in html
        assert "Lê Thị Hoa" not in html and few["A"].code not in html
        data = client.get("/cong-khai/du-lieu/").json()
        assert data["year"] == 2025 and data["total"]["received"] == 3
        api = client.get("/api/v1/stats/public/on-time/").json()
        assert api["total"]["resolved"] == 2


def test_api_for_leaders_and_scoped_clients(leader_client, client, agency, few):
    from egov.accounts.models import ApiClient

    with time_machine.travel(NOW, tick=True):
        summary = leader_client.get("/api/v1/stats/summary/" + FEB).json()
        assert summary["figures"]["received"] == 3
        assert summary["period"]["label"] == "Tháng 2/2025"
        index = leader_client.get("/api/v1/stats/index766/?period=year&year=2025").json()
        assert index["index"]["max_points"] == "100.00"
        bad = leader_client.get("/api/v1/stats/summary/?period=month&month=2025-13")
        assert bad.status_code == 400 and bad.json()["fields"]["month"]

    def token(scopes: list[str]) -> str:
        # "stats:read" still has to join accounts.services.API_SCOPES (lead): made directly here.
        raw, prefix, digest = ApiClient.new_token()
        ApiClient.objects.create(
            name=prefix, agency=agency, scopes=scopes, key_prefix=prefix, key_hash=digest
        )
        return raw

    with time_machine.travel(NOW, tick=True):
        allowed = client.get(
            "/api/v1/stats/summary/" + FEB, HTTP_AUTHORIZATION=f"Bearer {token(['stats:read'])}"
        )
        assert allowed.status_code == 200 and allowed.json()["figures"]["received"] == 3
        refused = client.get(
            "/api/v1/stats/summary/" + FEB, HTTP_AUTHORIZATION=f"Bearer {token(['events:read'])}"
        )
        assert refused.status_code == 403


def test_chart_labels_name_the_place_and_never_repeat(db, agency, province):
    from egov.stats.tree import _build, short_label

    assert short_label("Ủy ban nhân dân phường Hạ Long") == "UBND phường Hạ Long"
    assert short_label("Sở Tư pháp tỉnh Quảng Ninh", "tỉnh Quảng Ninh") == "Sở Tư pháp"
    for identifier, name, kind in (
        ("000.01.50.H41", "Ủy ban nhân dân phường Hạ Long", Agency.Kind.PEOPLES_COMMITTEE),
        ("000.02.50.H41", "Ủy ban nhân dân phường Bãi Cháy", Agency.Kind.PEOPLES_COMMITTEE),
        ("000.00.01.H41", "Sở Tư pháp tỉnh Quảng Ninh", Agency.Kind.DEPARTMENT),
        # Shortened, it would read like the department above: both keep their full names.
        ("000.00.02.H41", "Sở Tư pháp", Agency.Kind.OTHER),
    ):
        Agency.objects.create(
            identifier=identifier, name=name, abbreviation="UBND", kind=kind, parent=agency
        )
    tree = _build()
    labels = {tree.nodes[a].name: tree.label(a) for a in tree.nodes}
    assert labels["Ủy ban nhân dân tỉnh Quảng Ninh"] == "UBND tỉnh Quảng Ninh"
    assert labels["Ủy ban nhân dân phường Hạ Long"] == "UBND phường Hạ Long"
    assert labels["Sở Tư pháp tỉnh Quảng Ninh"] == "Sở Tư pháp tỉnh Quảng Ninh"
    assert len(set(labels.values())) == len(labels)


def test_index_compares_only_agencies_that_worked(leader_client, staff, agency, few):
    child = Agency.objects.create(
        identifier="000.09.50.H41",
        name="Ủy ban nhân dân xã Quảng Tân",
        abbreviation="UBND",
        kind=Agency.Kind.PEOPLES_COMMITTEE,
        parent=agency,
    )
    from django.core.cache import cache

    cache.clear()  # the agency tree
    with time_machine.travel(NOW, tick=True):
        page = leader_client.get("/dieu-hanh/chi-so-766/?period=year&year=2025")
    rows = {r["agency_id"]: r for r in page.context["compared"]}
    assert not rows[child.pk]["enough_data"] and rows[child.pk]["total"] is None
    assert rows[child.pk]["total_text"] == "Chưa đủ dữ liệu"
    assert page.context["compared"][-1]["agency_id"] == child.pk
    mine = rows[agency.pk]
    assert mine["enough_data"] and mine["total_text"].endswith(
        f"/ {page.context['result'].measured_max:.0f}"
    )
    html = page.content.decode()
    assert "/ 100 điểm" not in html and "điểm tối đa của các chỉ số đã chấm" in html


def test_public_page_filters_and_exports(client, few, procedure, agency):
    from openpyxl import load_workbook

    with time_machine.travel(NOW, tick=True):
        page = client.get("/cong-khai/?period=month&month=2025-02")
        assert page.status_code == 200 and page.context["data"]["total"]["received"] == 3
        other_sector = client.get(
            f"/cong-khai/?period=month&month=2025-02&sector={procedure.sector_id + 1000}"
        )
        assert "Không tìm thấy lĩnh vực đã chọn" in other_sector.content.decode()
        sector = client.get(
            f"/cong-khai/?period=year&year=2025&sector={procedure.sector_id}&agency={agency.pk}"
        )
        assert sector.context["data"]["total"]["received"] == 3
        future = client.get("/cong-khai/?period=month&month=2030-01")
        assert "Kỳ này chưa bắt đầu" in future.content.decode()
        assert future.context["sel"].period.start.year == 2025
        day = client.get("/cong-khai/?period=day&day=2025-02-10")
        assert "Chọn kỳ theo tháng, quý hoặc năm" in day.content.decode()

        csv_file = client.get("/cong-khai/xuat/csv/?period=quarter&quarter=2025-1")
        assert csv_file.status_code == 200
        assert 'filename="cong-khai-quy-2025-1.csv"' in csv_file["Content-Disposition"]
        text = csv_file.content.decode("utf-8-sig")
        lines = text.splitlines()
        assert lines[0].startswith("Cơ quan,Tiếp nhận")
        assert lines[-1].startswith("Tổng cộng,3,2")
        xlsx = client.get("/cong-khai/xuat/xlsx/?period=quarter&quarter=2025-1")
        book = load_workbook(io.BytesIO(xlsx.content))
        rows = [r for r in book.active.iter_rows(min_row=5, values_only=True) if r[0]]
        assert rows[-1][:3] == ("Tổng cộng", 3, 2)
        assert client.get("/cong-khai/xuat/csv/?period=range").status_code == 400
        assert client.get("/cong-khai/xuat/pdf/").status_code == 404
        assert (
            client.get("/api/v1/stats/public/on-time/?period=year&year=2025").json()["total"][
                "received"
            ]
            == 3
        )


def test_public_csv_keeps_formulas_as_text():
    from egov.stats.views import _csv

    body = _csv(["Cơ quan"], [['=HYPERLINK("http://x","y")'], ["+1"], ["Sở Y tế"]])
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[1].startswith("\"'=HYPERLINK") and lines[2] == "'+1" and lines[3] == "Sở Y tế"
