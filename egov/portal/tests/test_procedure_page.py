"""The procedure page: each fee once, where and when to hand the papers in, the form templates
to download; a search that finds nothing suggests instead."""

from __future__ import annotations

import pytest

from egov.catalog.search import suggest_procedures
from egov.events.models import Event

from .procedure_page import DESK_ADDRESS, HOURS, shown_procedure  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def test_each_fee_once_with_its_terms(client, shown_procedure):  # noqa: F811
    html = client.get(f"/thu-tuc/{shown_procedure.code}/").content.decode()
    assert html.count("Lệ phí đăng ký khai sinh") == 1
    assert "Lệ phí — Lệ phí" not in html and "Phí — Phí" not in html
    assert "8.000 đồng/bản sao" in html
    assert "Chỉ khi bạn yêu cầu (không bắt buộc)" in html
    assert "Không thu (0 đồng)" in html
    assert "Thông tư 281/2016/TT-BTC" in html and "Luật Hộ tịch số 60/2014/QH13, Điều 11" in html


def test_the_desk_address_and_opening_hours(client, shown_procedure):  # noqa: F811
    html = client.get(f"/thu-tuc/{shown_procedure.code}/").content.decode()
    assert DESK_ADDRESS in html
    assert HOURS in html
    assert 'href="tel:02033825001"' in html


def test_the_form_template_downloads_under_a_safe_name(client, shown_procedure):  # noqa: F811
    html = client.get(f"/thu-tuc/{shown_procedure.code}/").content.decode()
    link = f"/thu-tuc/{shown_procedure.code}/mau/to-khai/"
    assert f'href="{link}"' in html
    response = client.get(link)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="to-khai-dang-ky-khai-sinh.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    content = b"".join(response.streaming_content)
    assert content[:5] == b"%PDF-"
    # A generated template is a catalogue change like any other: recorded.
    assert Event.objects.filter(
        event_type="catalog.components_set", subject_id=str(shown_procedure.pk)
    ).exists()
    # A component without a template, an unknown one, an unpublished procedure: not found.
    assert client.get(f"/thu-tuc/{shown_procedure.code}/mau/giay-chung-sinh/").status_code == 404
    assert client.get(f"/thu-tuc/{shown_procedure.code}/mau/khong-co/").status_code == 404
    shown_procedure.is_published = False
    shown_procedure.save(update_fields=["is_published"])
    assert client.get(link).status_code == 404


def test_the_blank_birth_form_has_the_legal_fields(shown_procedure):  # noqa: F811
    from pypdf import PdfReader

    stored = shown_procedure.components.get(code="to-khai").form_template
    text = " ".join(page.extract_text() for page in PdfReader(stored.open("rb")).pages)
    text = " ".join(text.split())
    assert "TỜ KHAI ĐĂNG KÝ KHAI SINH" in text
    assert "Thông tư số 04/2020/TT-BTP" in text
    for label in ("Kính gửi", "Họ, chữ đệm, tên người yêu cầu", "Nơi sinh", "Quê quán", "Dân tộc"):
        assert label in text, label
    assert "Tôi cam đoan" in text


def test_search_without_results_suggests(client, shown_procedure):  # noqa: F811
    html = client.get("/thu-tuc/", {"q": "khai sinhh xyz"}).content.decode()
    assert "Không tìm thấy thủ tục nào cho “khai sinhh xyz”" in html
    assert "Có phải bạn muốn tìm" in html
    assert f'href="/thu-tuc/{shown_procedure.code}/"' in html
    assert "gõ có dấu hay không dấu đều được" in html


def test_popular_procedures_when_nothing_comes_close(client, shown_procedure, offline_procedure):  # noqa: F811
    html = client.get("/thu-tuc/", {"q": "zzzz"}).content.decode()
    assert "Có phải bạn muốn tìm" not in html
    assert "Thủ tục được tìm nhiều" in html
    assert "Đăng ký biến động đất đai" in html


def test_suggestions_tolerate_typos_and_ignore_two_letter_words(shown_procedure):  # noqa: F811
    assert [p.code for p in suggest_procedures("dang ki khai sihn giay")] == [shown_procedure.code]
    assert suggest_procedures("ho chieu") == []  # "hộ" alone is no reason to suggest
