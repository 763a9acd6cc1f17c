"""The dashboard and 766 pages served from the cache (egov.stats.pagecache): a changed figure
shows on the next request, a settling window bounds the rebuilds, a leader never receives another
scope's cached figures, and the cache works on a real Redis."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from egov.org.models import Agency, Role
from egov.stats import aggregates, pagecache
from egov.stats.models import DailyFact, MonthlyFact

from .conftest import NOW, History

pytestmark = pytest.mark.django_db

FEB = "?period=month&month=2025-02"
RECEIVED = re.compile(r'stat-received"><a [^>]*><span class="stat-number">([\d.,]+)</span>')


def received(page) -> int:  # type: ignore[no-untyped-def]
    assert page.status_code == 200
    found = RECEIVED.search(page.content.decode())
    assert found, "no 'received' tile on the page"
    return int(found.group(1).replace(".", "").replace(",", ""))


def queries(client, url: str) -> tuple[int, object]:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(url)
    return len(ctx), page


@pytest.fixture
def leader_client(client, staff, login_with_mfa):  # type: ignore[no-untyped-def]
    login_with_mfa(staff.leader.user)
    return client


def test_the_cached_page_changes_after_a_figure_changes(leader_client, staff, procedure):
    h = History(staff, procedure, None)
    h.receive(2025, 2, 10, 8, 0)
    with time_machine.travel(NOW, tick=True):
        assert received(leader_client.get("/dieu-hanh/" + FEB)) == 1
        # Nothing changed: served from the cache, no read of the figures.
        n, page = queries(leader_client, "/dieu-hanh/" + FEB)
        assert received(page) == 1 and n <= 6
        live_n, live = queries(leader_client, "/dieu-hanh/" + FEB + "&partial=live")
        assert live_n <= 6 and 'id="live"' in live.content.decode()
        index_before = leader_client.get("/dieu-hanh/chi-so-766/?year=2025").content.decode()
        n, _same = queries(leader_client, "/dieu-hanh/chi-so-766/?year=2025")
        assert n <= 6
    h.receive(2025, 2, 11, 8, 0)  # a dossier event: the cached sections are out of date
    with time_machine.travel(NOW, tick=True):
        assert received(leader_client.get("/dieu-hanh/" + FEB)) == 2
        live = leader_client.get("/dieu-hanh/" + FEB + "&partial=live")
        assert received(live) == 2
        index_after = leader_client.get("/dieu-hanh/chi-so-766/?year=2025").content.decode()
        assert index_after != index_before


def test_a_change_waits_out_the_settling_window_and_the_page_says_when(
    leader_client, staff, procedure
):
    h = History(staff, procedure, None)
    h.receive(2025, 2, 10, 8, 0)
    with override_settings(STATS_PAGE_SETTLE_SECONDS=10):
        with time_machine.travel(NOW, tick=False) as clock:
            first = leader_client.get("/dieu-hanh/" + FEB)
            assert received(first) == 1
            assert "Số liệu cập nhật lúc 10:00:00" in first.content.decode()
            pagecache.changed()  # as a dossier event would
            clock.shift(timedelta(seconds=5))
            # Within the window: the entry built at 10:00:00, and the page says so.
            again = leader_client.get("/dieu-hanh/" + FEB)
            assert "Số liệu cập nhật lúc 10:00:00" in again.content.decode()
            clock.shift(timedelta(seconds=6))
            later = leader_client.get("/dieu-hanh/" + FEB)
            assert "Số liệu cập nhật lúc 10:00:11" in later.content.decode()


def test_entries_expire_even_without_a_change(leader_client, staff, procedure):
    """What no event moves (a dossier turning overdue, the national portal's acknowledgements)
    is never older than the entry's lifetime."""
    with time_machine.travel(NOW, tick=False) as clock:
        first = leader_client.get("/dieu-hanh/" + FEB).content.decode()
        assert "Số liệu cập nhật lúc 10:00:00" in first
        clock.shift(timedelta(seconds=pagecache.TTL_SECONDS + 1))
        # LocMemCache reads the wall clock through time.time(), which time-machine moves.
        later = leader_client.get("/dieu-hanh/" + FEB).content.decode()
        assert "Số liệu cập nhật lúc 10:02:01" in later


@pytest.fixture
def two_scopes(agency, other_agency, make_official):  # type: ignore[no-untyped-def]
    """The province (5 own + a commune below it with 3 + a department with 7) and the commune."""
    commune = Agency.objects.create(
        identifier="000.01.50.H41",
        name="Ủy ban nhân dân xã A",
        abbreviation="UBND xã A",
        kind=Agency.Kind.PEOPLES_COMMITTEE,
        parent=agency,
    )
    for agency_id, n in ((agency.pk, 5), (commune.pk, 3), (other_agency.pk, 7)):
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
    return {
        "agency": agency,
        "commune": commune,
        "province_leader": make_official(agency, [Role.LEADER], username="ldtinh"),
        "commune_leader": make_official(commune, [Role.LEADER], username="ldxa"),
    }


@pytest.mark.parametrize("first", ["province_leader", "commune_leader"])
def test_a_leader_never_gets_another_scopes_cached_figures(
    client, login_with_mfa, two_scopes, first
):
    """Attack: the same query string, asked first by a wider (or narrower) scope, then by the
    other: each sees their own figures, and the commune leader cannot reach the province's
    cached entry by naming it, not even through the live fragment."""
    expected = {"province_leader": 15, "commune_leader": 3}
    order = [first, *(k for k in expected if k != first)]
    province = two_scopes["agency"].pk
    with time_machine.travel(NOW, tick=True):
        for who in order * 2:  # the second round from the cache
            client.logout()
            login_with_mfa(two_scopes[who].user)
            assert received(client.get("/dieu-hanh/" + FEB)) == expected[who]
            live = client.get("/dieu-hanh/" + FEB + "&partial=live")
            assert received(live) == expected[who]
            index = client.get("/dieu-hanh/chi-so-766/?year=2025").content.decode()
            if who == "commune_leader":
                assert "Sở Tư pháp" not in index
                for url in (
                    f"/dieu-hanh/{FEB}&agency={province}",
                    f"/dieu-hanh/{FEB}&agency={province}&partial=live",
                    f"/dieu-hanh/chi-so-766/?year=2025&agency={province}",
                ):
                    assert client.get(url).status_code == 404
            else:
                assert "Sở Tư pháp" in index
                assert received(client.get(f"/dieu-hanh/{FEB}&agency={province}")) == 15


def test_keys_differ_by_scope_and_selection_only():
    feb = {"kind": "month", "start": "2025-02-01"}
    one = pagecache.key("dashboard", frozenset({1, 2}), frozenset({1, 2}), **feb)
    assert one == pagecache.key("dashboard", frozenset({2, 1}), frozenset({1, 2}), **feb)
    assert one != pagecache.key("dashboard", frozenset({1}), frozenset({1, 2}), **feb)
    assert one != pagecache.key("dashboard", None, frozenset({1, 2}), **feb)
    assert one != pagecache.key("dashboard", frozenset({1, 2}), frozenset({1}), **feb)
    assert one != pagecache.key("index766", frozenset({1, 2}), frozenset({1, 2}), **feb)
    assert one != pagecache.key("dashboard", frozenset({1, 2}), frozenset({1, 2}), kind="year")


REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/9",
        "KEY_PREFIX": "egov-test-pagecache",
    }
}


def test_on_redis_a_change_shows_on_the_next_request(leader_client, staff, procedure):
    """As in production: the entries and the version on a real Redis (pickled, shared)."""
    h = History(staff, procedure, None)
    h.receive(2025, 2, 10, 8, 0)
    with override_settings(CACHES=REDIS):
        from django.core.cache import cache

        cache.clear()
        try:
            with time_machine.travel(NOW, tick=True):
                assert received(leader_client.get("/dieu-hanh/" + FEB)) == 1
                n, page = queries(leader_client, "/dieu-hanh/" + FEB)
                assert received(page) == 1 and n <= 6
            h.receive(2025, 2, 11, 8, 0)
            with time_machine.travel(NOW, tick=True):
                assert received(leader_client.get("/dieu-hanh/" + FEB)) == 2
        finally:
            cache.clear()
