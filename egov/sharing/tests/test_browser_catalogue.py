"""The public catalogue page of the data-sharing services, in a real browser (check_page)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from egov.conftest import check_page
from egov.sharing import registry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_catalogue_page_lists_services_and_links_their_openapi(page):  # type: ignore[no-untyped-def]
    page.goto(page.base_url + "/chia-se-du-lieu/")
    expect(page.get_by_role("heading", name="Dịch vụ chia sẻ dữ liệu", level=1)).to_be_visible()
    expect(page.get_by_role("heading", level=3)).to_have_count(len(registry.SERVICES))
    for service in registry.SERVICES.values():
        expect(page.get_by_role("heading", name=service.name, level=3)).to_be_visible()
    expect(page.get_by_role("heading", name="Cách xin quyền sử dụng")).to_be_visible()
    check_page(page, allow=("OpenAPI", "LGSP", "JSON"))
    link = page.get_by_role("link", name="Tài liệu OpenAPI của dịch vụ “Tra cứu tình trạng hồ sơ”")
    expect(link).to_have_attribute("href", registry.DOSSIER_STATUS.openapi_path)
    # The browser's JSON viewer styles inline (refused by our CSP): read the document as a client.
    document = page.request.get(page.base_url + registry.DOSSIER_STATUS.openapi_path)
    assert "/api/v1/sharing/dossier-status/{code}/" in document.json()["paths"]
