"""Vietnamese error pages with a way back (JSON under /api/), and a header that offers each
person only the areas their role may open, asked of each area's own permission check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client, RequestFactory

from egov.conftest import login_client
from egov.core.navigation import areas_for
from egov.org.models import Role

from .test_translation_admin import VisibleText

pytestmark = pytest.mark.django_db

HEADER_AREAS = ["Không gian làm việc", "Một cửa", "Văn bản", "Điều hành", "Quản trị"]


class page:
    def __init__(self, response: Any) -> None:
        self.text = " ".join(VisibleText(response.content.decode()).text.split())

    def visible_text(self) -> str:
        return self.text


def header_links(response: Any) -> set[str]:
    html = response.content.decode()
    nav = html[html.index('class="main-nav"') : html.index("</nav>")]
    return {name for name in [*HEADER_AREAS, "Hồ sơ của tôi"] if f">{name}</a>" in nav}


class TestNotFound:
    def test_vietnamese_page_with_a_way_back(self, client: Client) -> None:
        response = client.get("/khong-co-trang-nay/")
        assert response.status_code == 404
        text = page(response).visible_text()
        assert "Không tìm thấy trang" in text and "Mã lỗi: 404" in text
        html = response.content.decode()
        assert 'href="/"' in html  # home
        assert 'href="/accounts/login/?next=/khong-co-trang-nay/"' in html  # anonymous: log in
        assert 'class="site-header"' in html and 'class="site-footer"' in html  # the site layout

    def test_signed_in_official_is_offered_their_workspace(self, agency, make_official) -> None:
        official = make_official(agency, roles=[Role.RECEIVER])
        client = login_client(official.user)
        html = client.get("/khong-co/").content.decode()
        assert "Đến trang “Không gian làm việc” của bạn" in html
        assert "/accounts/login/?next" not in html

    def test_api_keeps_json(self, client: Client) -> None:
        response = client.get("/api/v1/khong-co/")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


class TestForbidden:
    def test_receiver_opening_the_dashboard(self, agency, make_official) -> None:
        official = make_official(agency, roles=[Role.RECEIVER])
        client = login_client(official.user)
        response = client.get("/dieu-hanh/")
        assert response.status_code == 403
        text = page(response).visible_text()
        assert "Bạn không có quyền mở trang này" in text
        # Why, as the view says it, and whom to ask.
        assert "Trang điều hành dành cho lãnh đạo cơ quan và quản trị hệ thống." in text
        assert "thủ trưởng đơn vị hoặc quản trị hệ thống" in text
        assert 'href="/lam-viec/"' in response.content.decode()

    def test_citizen_opening_the_workspace(self, make_citizen) -> None:
        client = Client()
        client.force_login(make_citizen())
        response = client.get("/lam-viec/")
        assert response.status_code == 403
        assert "Đến trang “Hồ sơ của tôi” của bạn" in page(response).visible_text()

    def test_expired_form_csrf(self, make_citizen) -> None:
        client = Client(enforce_csrf_checks=True)
        response = client.post("/accounts/login/", {"login": "x", "password": "y"})
        assert response.status_code == 403
        text = page(response).visible_text()
        assert "Biểu mẫu đã hết hạn" in text and "tải lại trang" in text


class TestServerError:
    def test_server_error_in_a_view_gets_the_page(self, client: Client, monkeypatch) -> None:
        from egov.portal import views

        def broken(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("hỏng")

        monkeypatch.setattr(views, "render", broken)
        client.raise_request_exception = False
        response = client.get("/")
        assert response.status_code == 500
        assert "Hệ thống đang gặp sự cố" in page(response).visible_text()


class TestHeader:
    def test_anonymous(self, client: Client) -> None:
        assert header_links(client.get("/")) == set()

    def test_citizen(self, make_citizen) -> None:
        client = Client()
        client.force_login(make_citizen())
        assert header_links(client.get("/")) == {"Hồ sơ của tôi"}

    @pytest.mark.parametrize(
        ("roles", "expected"),
        [
            ([Role.RECEIVER], {"Không gian làm việc", "Một cửa", "Văn bản"}),
            ([Role.UNIT_HEAD], {"Không gian làm việc", "Một cửa", "Văn bản"}),
            ([Role.SPECIALIST], {"Không gian làm việc", "Một cửa", "Văn bản"}),
            ([Role.LEADER], {"Không gian làm việc", "Một cửa", "Văn bản", "Điều hành"}),
            # An operator account reads the dossiers but has no queue nor documents of its own.
            ([Role.OPERATOR], {"Không gian làm việc", "Điều hành", "Quản trị"}),
        ],
    )
    def test_officials_see_what_they_may_open(self, agency, make_official, roles, expected):
        official = make_official(agency, roles=roles)
        client = login_client(official.user)
        links = header_links(client.get("/"))
        assert links == expected
        # And each link opens (the same check as the page's own).
        urls = {
            "Không gian làm việc": "/lam-viec/",
            "Một cửa": "/mot-cua/",
            "Văn bản": "/van-ban/",
            "Điều hành": "/dieu-hanh/",
            "Quản trị": "/quan-tri/",
        }
        for name, url in urls.items():
            status = client.get(url).status_code
            assert (status == 200) == (name in links), (name, status)

    def test_inbox_link_only_where_the_portal_has_one(self, make_citizen) -> None:
        from django.urls import NoReverseMatch, reverse

        request = RequestFactory().get("/")
        request.user = make_citizen()
        keys = [area.key for area, _url in areas_for(request)]
        try:
            reverse("portal:inbox")
        except NoReverseMatch:
            assert "inbox" not in keys
        else:
            assert "inbox" in keys


def test_demo_runs_without_debug() -> None:
    """scripts/run (the demo) turns Django's debug pages off unless DEBUG=1 is given."""
    run = (Path(__file__).resolve().parents[3] / "scripts" / "run").read_text()
    assert 'export DEBUG="${DEBUG:-0}"' in run
    assert run.index("export DEBUG=") < run.rindex("manage.py runserver")
