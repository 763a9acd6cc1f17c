"""The materials pages as their users see them: the organisers' management page (upload,
attach a document from the picker, new version, withdraw, refusals shown in Vietnamese with
nothing stored), the reader (page images from the cache, navigation, history), the streamed
download, office files without LibreOffice, and the request-size bound of the upload routes."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from egov.conftest import login_client
from egov.core.uploads import DOCX
from egov.documents import files
from egov.meetings import reader
from egov.meetings.models import Material, MeetingStatus
from egov.meetings.services import materials as service

from .conftest import actor
from .material_files import (
    EXE,
    make_large_pdf,
    make_office,
    make_pdf,
    media,  # noqa: F401 - fixture
    pdf_upload,
    stored_files,
    upload,
)
from .test_materials_service import issued_document

pytestmark = pytest.mark.django_db


def add(board: Any, meeting: Any, **kwargs: Any) -> Material:
    kwargs.setdefault("title", "Báo cáo tình hình kinh tế - xã hội")
    kwargs.setdefault("upload", pdf_upload(pages=3))
    return service.add_material(actor=actor(board.secretariat), meeting=meeting, **kwargs)


# --- management ----------------------------------------------------------------------------------


def test_the_secretariat_uploads_through_the_page(board, make_meeting, tmp_path) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    office = login_client(board.secretariat.user)
    page = office.get(f"/hop/{meeting.pk}/tai-lieu/")
    html = page.content.decode()
    assert page.status_code == 200 and "Tải lên tài liệu" in html and "Đính kèm văn bản" in html
    item2 = meeting.items.get(position=2)
    done = office.post(
        f"/hop/{meeting.pk}/tai-lieu/",
        {
            "kind": "upload",
            "tai-len-file": pdf_upload("to-trinh.pdf"),
            "tai-len-title": "Tờ trình dự án",
            "tai-len-item": item2.pk,
            "tai-len-confidential": "on",
            "tai-len-readers": [board.members[0].pk],
        },
    )
    assert done.status_code == 302
    material = Material.objects.get()
    assert material.title == "Tờ trình dự án" and material.item == item2 and material.confidential
    assert list(material.readers.all()) == [board.members[0]]
    listing = office.get(f"/hop/{meeting.pk}/tai-lieu/").content.decode()
    assert "Tờ trình dự án" in listing and "Mật" in listing and "Đã thêm tài liệu" in listing


def test_a_refused_file_is_explained_and_nothing_is_stored(board, make_meeting, tmp_path) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    office = login_client(board.secretariat.user)
    page = office.post(
        f"/hop/{meeting.pk}/tai-lieu/",
        {"kind": "upload", "tai-len-file": upload("lich-hop.pdf", EXE), "tai-len-title": "Lịch"},
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "Chưa thêm được tài liệu" in html and "Không có tệp nào được lưu" in html
    assert "“lich-hop.pdf” (tài liệu họp) không phải tệp PDF hoặc tài liệu văn phòng" in html
    assert not Material.objects.exists() and not stored_files(tmp_path)


def test_a_document_is_attached_from_the_picker(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    document = issued_document(board)
    office = login_client(board.secretariat.user)
    html = office.get(f"/hop/{meeting.pk}/tai-lieu/?tim=ke hoach").content.decode()
    assert f'value="di-{document.pk}"' in html and "15/QĐ-UBND" in html
    assert (
        f'value="di-{document.pk}"'
        not in office.get(f"/hop/{meeting.pk}/tai-lieu/?tim=ngan sach").content.decode()
    )
    done = office.post(
        f"/hop/{meeting.pk}/tai-lieu/",
        {"kind": "document", "van-ban-document": f"di-{document.pk}"},
    )
    assert done.status_code == 302
    material = Material.objects.get()
    assert material.outgoing_document == document and material.title == document.subject


def test_new_version_and_withdrawal_through_the_page(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    material = add(board, meeting)
    office = login_client(board.secretariat.user)
    base = f"/hop/{meeting.pk}/tai-lieu/{material.pk}/"
    done = office.post(
        f"{base}phien-ban-moi/",
        {"phien-ban-file": pdf_upload("v2.pdf", "Bản sửa"), "phien-ban-note": "Sửa số liệu"},
    )
    assert done.status_code == 302
    material.refresh_from_db()
    assert material.current_version.seq == 2
    history = office.get(base).content.decode()
    assert "Sửa số liệu" in history and "2 (hiện hành)" in history and "?phien-ban=1" in history
    old = office.get(f"{base}?phien-ban=1").content.decode()
    assert "không phải phiên bản hiện hành" in old
    refused = office.post(f"{base}phien-ban-moi/", {"phien-ban-file": upload("x.pdf", EXE)})
    assert refused.status_code == 302
    assert (
        "Chưa thêm được phiên bản mới"
        in office.get(f"/hop/{meeting.pk}/tai-lieu/").content.decode()
    )
    assert material.versions.count() == 2
    office.post(f"{base}rut/")
    material.refresh_from_db()
    assert material.withdrawn


def test_a_member_sees_the_list_without_the_forms(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    add(board, meeting)
    html = login_client(board.members[0].user).get(f"/hop/{meeting.pk}/tai-lieu/").content.decode()
    assert "Báo cáo tình hình kinh tế - xã hội" in html and "Tải lên tài liệu" not in html


# --- reading -------------------------------------------------------------------------------------


def test_the_reader_shows_pages_with_navigation(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    material = add(board, meeting)
    member = login_client(board.members[0].user)
    base = f"/hop/{meeting.pk}/tai-lieu/{material.pk}/"
    html = member.get(base).content.decode()
    assert f'src="{base}phien-ban/1/trang/1/"' in html and "Trang 1/3" in html
    assert "Trang sau" in html and 'hx-select="#doc-reader"' in html
    second = member.get(f"{base}?trang=2").content.decode()
    assert f'src="{base}phien-ban/1/trang/2/"' in second and "Ghi chú của tôi — trang 2" in second
    assert "<figcaption>Trang 3/3</figcaption>" in member.get(f"{base}?trang=99").content.decode()
    assert member.get(f"{base}phien-ban/1/trang/4/").status_code == 404


def test_a_page_image_comes_from_the_cache_the_second_time(board, make_meeting, tmp_path) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    material = add(board, meeting)
    sha = material.current_version.sha256
    url = f"/hop/{meeting.pk}/tai-lieu/{material.pk}/phien-ban/1/trang/2/"
    first = login_client(board.members[0].user).get(url)
    drawn = b"".join(first.streaming_content)
    assert first.status_code == 200 and drawn.startswith(b"\x89PNG")
    assert "private" in first["Cache-Control"]
    cached = Path(tmp_path) / "cache" / sha[:2] / sha / "trang-00002-100.png"
    assert cached.read_bytes() == drawn
    # Whatever the cache holds is what the next reader gets: the page is not drawn again.
    cached.write_bytes(b"\x89PNG cached")
    second = login_client(board.members[1].user).get(url)
    assert b"".join(second.streaming_content) == b"\x89PNG cached"


def test_concurrent_readers_draw_a_page_once(board, make_meeting, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    material = add(board, make_meeting())
    version = material.current_version
    drawn: list[int] = []
    real = files.page_png

    def counting(source: Any, page: int, **kwargs: Any) -> bytes | None:
        drawn.append(page)
        return real(source, page, **kwargs)

    monkeypatch.setattr(files, "page_png", counting)
    results: list[Path | None] = []
    threads = [
        threading.Thread(target=lambda: results.append(reader.page_image(version, 1)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert drawn == [1] and len(results) == 8 and len({str(r) for r in results}) == 1


def test_the_download_is_streamed(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    content = make_pdf("Tài liệu tải về", pages=2)
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    material = add(board, meeting, upload=upload("bao-cao-tong-hop.pdf", content))
    response = login_client(board.members[0].user).get(
        f"/hop/{meeting.pk}/tai-lieu/{material.pk}/tep/"
    )
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="bao-cao-tong-hop.pdf"'
    assert b"".join(response.streaming_content) == content


def test_an_office_file_without_libreoffice_is_download_only(board, make_meeting, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DOCUMENTS_SOFFICE = "/khong/co/soffice"
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    material = add(board, meeting, upload=upload("bang-so-lieu.docx", make_office(DOCX), DOCX))
    member = login_client(board.members[0].user)
    base = f"/hop/{meeting.pk}/tai-lieu/{material.pk}/"
    html = member.get(base).content.decode()
    assert "chưa cài LibreOffice" in html and "hãy tải tệp về để đọc" in html
    assert "Tải tệp về (DOCX" in html and "/trang/1/" not in html
    assert member.get(f"{base}phien-ban/1/trang/1/").status_code == 404
    assert member.get(f"{base}tep/").status_code == 200


# --- the request-size bound ----------------------------------------------------------------------


def test_the_upload_routes_take_a_larger_body_than_the_others(
    board, make_meeting, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.UPLOAD_MAX_REQUEST_BYTES = 1024 * 1024
    settings.MEETINGS_MAX_MATERIAL_BYTES = 4 * 1024 * 1024
    big = make_large_pdf(2, pages=1)
    assert 1.5 * 1024 * 1024 < len(big) < 3 * 1024 * 1024
    meeting = make_meeting()
    material = add(board, meeting)
    office = login_client(board.secretariat.user)
    done = office.post(
        f"/hop/{meeting.pk}/tai-lieu/",
        {
            "kind": "upload",
            "tai-len-file": SimpleUploadedFile("quet.pdf", big),
            "tai-len-title": "Bản quét",
        },
    )
    assert done.status_code == 302 and Material.objects.count() == 2
    version = office.post(
        f"/hop/{meeting.pk}/tai-lieu/{material.pk}/phien-ban-moi/",
        {"phien-ban-file": SimpleUploadedFile("quet.pdf", big)},
    )
    assert version.status_code == 302 and material.versions.count() == 2
    # Any other route keeps the common bound.
    note = office.post(
        f"/hop/{meeting.pk}/tai-lieu/{material.pk}/ghi-chu/",
        {"text": "x", "file": SimpleUploadedFile("quet.pdf", big)},
    )
    assert note.status_code == 413
    # And the materials' own bound holds there.
    settings.MEETINGS_MAX_MATERIAL_BYTES = 256 * 1024
    refused = office.post(
        f"/hop/{meeting.pk}/tai-lieu/",
        {"kind": "upload", "tai-len-file": SimpleUploadedFile("quet.pdf", big)},
    )
    assert refused.status_code == 413 and Material.objects.count() == 2


def test_a_20_mb_material_is_uploaded_read_and_downloaded(board, make_meeting, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The benchmark's size, with the default settings."""
    big = make_large_pdf(20)
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    office = login_client(board.secretariat.user)
    done = office.post(
        f"/hop/{meeting.pk}/tai-lieu/",
        {
            "kind": "upload",
            "tai-len-file": SimpleUploadedFile("ban-quet.pdf", big),
            "tai-len-title": "Hồ sơ dự án",
        },
    )
    assert done.status_code == 302, done.content[:500]
    material = Material.objects.get()
    assert material.current_version.size == len(big) and material.current_version.page_count == 2
    member = login_client(board.members[0].user)
    image = member.get(f"/hop/{meeting.pk}/tai-lieu/{material.pk}/phien-ban/1/trang/2/")
    assert image.status_code == 200 and b"".join(image.streaming_content).startswith(b"\x89PNG")
    download = member.get(f"/hop/{meeting.pk}/tai-lieu/{material.pk}/tep/")
    assert download.streaming and int(download["Content-Length"]) == len(big)
