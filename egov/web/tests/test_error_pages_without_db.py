"""The 500 and 400 pages are drawn from settings alone: no request context, no database (this
module has no database access; pytest-django refuses any query)."""

from __future__ import annotations

import json

from django.test import RequestFactory

from egov.core.views import bad_request, server_error

from .test_errors_and_navigation import page


class TestWithoutTheRequest:
    def test_server_error_page_needs_no_database(self) -> None:
        # No database access is allowed in this module: the page is drawn from settings alone.
        response = server_error(RequestFactory().get("/ho-so/"))
        assert response.status_code == 500
        text = page(response).visible_text()
        assert "Hệ thống đang gặp sự cố" in text and "Về trang chủ" in text
        assert "Đăng xuất" not in text and "Đăng nhập" not in text

    def test_server_error_api_is_json(self) -> None:
        response = server_error(RequestFactory().get("/api/v1/x/"))
        assert response.status_code == 500
        assert json.loads(response.content)["code"] == "server_error"

    def test_bad_request(self) -> None:
        response = bad_request(RequestFactory().get("/"), Exception("x"))
        assert response.status_code == 400
        assert "Yêu cầu không hợp lệ" in page(response).visible_text()
