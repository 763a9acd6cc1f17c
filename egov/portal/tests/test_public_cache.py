"""The public pages cached for anonymous visitors (egov.core.pagecache), on the real Redis.

Changes go through the catalogue's real change paths and commit (transactional tests), so the
version bump runs where production runs it: after the commit of the change's transaction."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages.storage.session import SessionStorage
from django.core.cache import caches
from django.db import transaction
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone

from egov.catalog import services
from egov.catalog.io import import_catalog
from egov.catalog.models import OnlineMode, Procedure
from egov.conftest import login_client
from egov.core import pagecache
from egov.core.actors import SYSTEM, Actor
from egov.core.dbrouting import replica_allowed, replica_reads
from egov.dossiers import services as dossier_services
from egov.org.models import Unit

REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/5",
    }
}
OPERATOR = Actor(kind="operator", label="quantri.test")
TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _redis():  # type: ignore[no-untyped-def]
    with override_settings(CACHES=REDIS):
        caches["default"].clear()
        yield
        caches["default"].clear()
        caches["default"].close()


def _make(agency, count: int) -> list[Procedure]:  # type: ignore[no-untyped-def]
    sector = services.create_sector(actor=SYSTEM, code="HT", name="Hộ tịch")
    made = []
    for i in range(count):
        made.append(
            services.create_procedure(
                actor=SYSTEM,
                code=f"3.{i + 1:06d}.000.00.00.H41",
                name=f"Đăng ký hộ tịch mẫu số {i + 1:02d}",
                sector=sector,
                level="commune",
                processing_time=Decimal("3"),
                online_mode=OnlineMode.FULL,
                agencies=[agency],
                is_published=True,
                steps=[services.StepSpec("Xử lý", "specialist", "3")],
            )
        )
    return made


@pytest.fixture
def procedures(agency):  # type: ignore[no-untyped-def]
    return _make(agency, 4)


def _get(client: Client, path: str) -> HttpResponse:
    response = client.get(path)
    assert response.status_code == 200
    return response  # type: ignore[return-value]


def test_second_anonymous_visitor_is_served_from_the_cache_with_their_own_csrf_token(  # type: ignore[no-untyped-def]
    procedures,
):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    a = _get(first, "/thu-tuc/")
    b = _get(second, "/thu-tuc/")
    assert a["X-Page-Cache"] == "miss" and b["X-Page-Cache"] == "hit"
    token_a, token_b = TOKEN_RE.findall(a.content.decode()), TOKEN_RE.findall(b.content.decode())
    assert token_a and token_b and token_a[0] != token_b[0]
    assert pagecache.CSRF_PLACEHOLDER not in b.content.decode()
    # The token in the cached page is the second visitor's: their form posts are accepted.
    posted = second.post("/i18n/setlang/", {"language": "vi", "csrfmiddlewaretoken": token_b[0]})
    assert posted.status_code == 302


def test_the_list_is_paged_and_the_filters_stay_in_the_page_links(agency):  # type: ignore[no-untyped-def]
    _make(agency, 60)
    page1 = _get(Client(), "/thu-tuc/").content.decode()
    assert "60 thủ tục" in page1 and "đang xem 1–25" in page1
    assert page1.count('class="procedure-list"') == 1
    assert 'href="?trang=2"' in page1 and 'href="?trang=3"' in page1
    page3 = _get(Client(), "/thu-tuc/?trang=3").content.decode()
    assert "đang xem 51–60" in page3 and "Trang sau" not in page3
    filtered = _get(Client(), f"/thu-tuc/?agency={agency.identifier}&trang=2").content.decode()
    assert f"agency={agency.identifier}&amp;trang=3" in filtered
    # A page number past the end shows the last page, not an error.
    assert "đang xem 51–60" in _get(Client(), "/thu-tuc/?trang=99").content.decode()


def test_a_change_through_the_service_is_on_the_next_request(procedures):  # type: ignore[no-untyped-def]
    procedure = procedures[0]
    path = f"/thu-tuc/{procedure.code}/"
    _get(Client(), path)
    assert _get(Client(), path)["X-Page-Cache"] == "hit"
    _get(Client(), "/thu-tuc/?q=dang+ky+ho+tich")
    services.update_procedure(
        actor=OPERATOR, procedure=procedure, changes={"name": "Đăng ký hộ tịch đã sửa tên"}
    )
    after = _get(Client(), path)
    assert after["X-Page-Cache"] == "miss"
    assert "Đăng ký hộ tịch đã sửa tên" in after.content.decode()
    # Search without diacritics, list and home: all show the new name at once.
    assert "đã sửa tên" in _get(Client(), "/thu-tuc/?q=dang+ky+ho+tich").content.decode()
    assert "đã sửa tên" in _get(Client(), "/").content.decode()


def test_fees_components_and_the_import_invalidate_too(procedures):  # type: ignore[no-untyped-def]
    procedure = procedures[1]
    path = f"/thu-tuc/{procedure.code}/"
    assert "Không thu phí" in _get(Client(), path).content.decode()
    services.set_fees(
        actor=OPERATOR,
        procedure=procedure,
        fees=[services.FeeSpec(kind="charge", name="Lệ phí hộ tịch", amount=15000)],
    )
    assert "Lệ phí hộ tịch" in _get(Client(), path).content.decode()
    document = {
        "format": "egov.catalog",
        "version": 1,
        "sectors": [{"code": "HT", "name": "Hộ tịch"}],
        "procedures": [
            {
                "code": procedure.code,
                "name": "Tên mới từ tệp nhập",
                "sector": "HT",
                "level": "commune",
                "agencies": [a.identifier for a in procedure.agencies.all()],
                "processing_time": 3,
                "time_unit": "days",
                "online_mode": 4,
                "is_published": True,
                "fees": [{"kind": "charge", "name": "Lệ phí hộ tịch", "amount": 15000}],
            }
        ],
    }
    import_catalog(document, actor=OPERATOR)
    assert "Tên mới từ tệp nhập" in _get(Client(), path).content.decode()


def test_an_agency_change_invalidates_the_desks_shown(procedures, agency):  # type: ignore[no-untyped-def]
    from egov.org import services as org_services

    path = f"/thu-tuc/{procedures[0].code}/"
    _get(Client(), path)
    unit = org_services.create_unit(
        actor=SYSTEM,
        agency=agency,
        code="MC",
        name="Bộ phận Một cửa tỉnh",
        kind=Unit.Kind.ONE_STOP_DESK,
    )
    assert unit.name in _get(Client(), path).content.decode()


def test_an_unpublished_procedure_disappears_at_once(procedures):  # type: ignore[no-untyped-def]
    procedure = procedures[2]
    path = f"/thu-tuc/{procedure.code}/"
    _get(Client(), path)
    services.update_procedure(actor=OPERATOR, procedure=procedure, changes={"is_published": False})
    assert Client().get(path).status_code == 404


def test_a_rolled_back_change_keeps_the_cached_page(procedures):  # type: ignore[no-untyped-def]
    path = f"/thu-tuc/{procedures[0].code}/"
    _get(Client(), path)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.update_procedure(
            actor=OPERATOR, procedure=procedures[0], changes={"name": "Không lưu"}
        )
        raise RuntimeError
    response = _get(Client(), path)
    assert response["X-Page-Cache"] == "hit" and "Không lưu" not in response.content.decode()


def test_a_signed_in_user_gets_their_own_header_never_the_cached_page(  # type: ignore[no-untyped-def]
    procedures, make_citizen
):
    citizen = make_citizen()
    _get(Client(), "/thu-tuc/")  # an anonymous page in the cache
    mine = _get(login_client(citizen), "/thu-tuc/")
    assert mine["X-Page-Cache"] == "off" and citizen.get_full_name() in mine.content.decode()
    anonymous = _get(Client(), "/thu-tuc/")
    assert anonymous["X-Page-Cache"] == "hit"
    assert citizen.get_full_name() not in anonymous.content.decode()
    assert "Đăng nhập" in anonymous.content.decode()


def test_an_anonymous_visitor_with_a_message_gets_it_not_the_cached_page(procedures):  # type: ignore[no-untyped-def]
    _get(Client(), "/")
    client = Client()
    session = client.session
    session.save()
    client.cookies["sessionid"] = session.session_key  # type: ignore[assignment]
    request = RequestFactory().get("/")
    request.session = client.session
    storage = SessionStorage(request)
    storage.add(20, "Bạn đã đăng xuất.")
    storage.update(HttpResponse())
    request.session.save()
    page = _get(client, "/")
    assert page["X-Page-Cache"] == "off" and "Bạn đã đăng xuất." in page.content.decode()
    assert "Bạn đã đăng xuất." not in _get(Client(), "/").content.decode()


def test_the_due_date_is_computed_for_each_answer(procedures):  # type: ignore[no-untyped-def]
    procedure = Procedure.objects.get(pk=procedures[0].pk)
    path = f"/thu-tuc/{procedure.code}/"
    _get(Client(), path)
    page = _get(Client(), path)
    assert page["X-Page-Cache"] == "hit"
    agency = procedure.agencies.first()
    due = dossier_services.due_date(procedure, agency, timezone.now())
    shown = timezone.localtime(due).strftime("%d/%m/%Y")
    assert f"ngày {shown}" in page.content.decode()
    assert "[[pagecache" not in page.content.decode()


def _anonymous_request(path: str) -> Any:
    from django.contrib.auth.models import AnonymousUser

    request: Any = RequestFactory().get(path)
    request.session = {}
    request.user = AnonymousUser()
    request._messages = SessionStorage(request)
    return request


def test_entries_are_built_on_the_primary_even_in_a_replica_view(db):  # type: ignore[no-untyped-def]
    seen: list[bool] = []

    def build() -> HttpResponse:
        seen.append(replica_allowed())
        return HttpResponse("<p>trang</p>")

    with replica_reads():
        assert replica_allowed()
        pagecache.cached_page(_anonymous_request("/cong-khai/"), build, namespaces=["catalog"])
    assert seen == [False]


def test_a_page_that_used_a_csp_nonce_is_never_stored(db):  # type: ignore[no-untyped-def]
    for _ in range(2):
        request = _anonymous_request("/co-nonce/")

        def build(request: Any = request) -> HttpResponse:
            request._csp_nonce = "bWFkZS11cC1ub25jZQ=="  # what django-csp sets when it is read
            return HttpResponse(f'<script nonce="{request._csp_nonce}"></script>')

        answer = pagecache.cached_page(request, build, namespaces=["x"])
        assert answer["X-Page-Cache"] == "miss"


def test_the_transparency_and_home_pages_are_cached(procedures):  # type: ignore[no-untyped-def]
    for path in ("/", "/cong-khai/"):
        _get(Client(), path)
        assert _get(Client(), path)["X-Page-Cache"] == "hit"


def test_page_cache_seconds_zero_switches_it_off(procedures):  # type: ignore[no-untyped-def]
    # PAGE_CACHE_SECONDS=0 switches the cache off: every answer is rendered.
    with override_settings(PAGE_CACHE_SECONDS=0):
        for _ in range(2):
            assert _get(Client(), "/thu-tuc/")["X-Page-Cache"] == "off"
