"""The materials API: the organiser's uploads (multipart), documents, new versions and
withdrawal; refusals as {code, message, fields} with nothing stored; the download; the caller's
own notes; an API client reads only what is open to its agency and changes nothing."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from rest_framework.test import APIClient

from egov.conftest import login_client
from egov.meetings.models import Annotation, Material, MeetingStatus

from .material_files import EXE, ZIP, make_pdf, media, pdf_upload, stored_files, upload  # noqa: F401
from .test_materials_access import bearer
from .test_materials_service import issued_document

pytestmark = pytest.mark.django_db


def api(person: Any) -> APIClient:
    return login_client(person.user, client=APIClient())  # type: ignore[no-any-return]


def base(meeting: Any) -> str:
    return f"/api/v1/meetings/{meeting.pk}/materials/"


def test_the_organiser_uploads_versions_and_withdraws(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    office = api(board.secretariat)
    content = make_pdf("Tờ trình", pages=2)
    item = meeting.items.get(position=1)
    created = office.post(
        base(meeting),
        {
            "title": "Tờ trình kế hoạch",
            "file": upload("to-trinh.pdf", content),
            "item": item.pk,
            "confidential": "true",
            "readers": [board.members[0].pk, board.members[1].pk],
        },
        format="multipart",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["title"] == "Tờ trình kế hoạch" and body["item"] == item.pk and body["confidential"]
    assert body["origin"] == "upload" and sorted(body["readers"]) == sorted(
        [board.members[0].pk, board.members[1].pk]
    )
    assert body["current_version"]["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["current_version"]["page_count"] == 2 and len(body["versions"]) == 1

    material = f"{base(meeting)}{body['id']}/"
    second = office.post(
        f"{material}versions/",
        {"file": pdf_upload("v2.pdf", "Bản 2"), "note": "Bổ sung"},
        format="multipart",
    )
    assert second.status_code == 201
    assert [v["seq"] for v in second.json()["versions"]] == [1, 2]
    assert second.json()["current_version"]["note"] == "Bổ sung"

    first = office.get(f"{material}file/?version=1")
    assert first.streaming and b"".join(first.streaming_content) == content
    assert office.get(f"{material}file/?version=9").status_code == 404

    withdrawn = office.post(f"{material}withdraw/")
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn"]
    again = office.post(f"{material}withdraw/")
    assert again.status_code == 400 and again.json()["code"] == "meeting_invalid"


@pytest.mark.parametrize(
    ("name", "content"), [("a.pdf", EXE), ("b.pdf", ZIP), ("c.docx", b"<html>")]
)
def test_a_refused_upload_answers_material_rejected(
    board, make_meeting, tmp_path, name, content
) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    refused = api(board.secretariat).post(
        base(meeting), {"title": "Lịch", "file": upload(name, content)}, format="multipart"
    )
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "material_rejected" and name in body["message"]
    assert body["fields"]["file"] == [body["message"]]
    assert not Material.objects.exists() and not stored_files(tmp_path)


def test_an_issued_document_is_attached(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting()
    document = issued_document(board)
    created = api(board.secretariat).post(
        base(meeting), {"outgoing_document": document.pk}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["origin"] == "outgoing_document"
    assert created.json()["outgoing_document"] == document.pk
    unknown = api(board.secretariat).post(
        base(meeting), {"outgoing_document": 999999, "readers": [1]}, format="json"
    )
    assert unknown.status_code == 400 and unknown.json()["code"] == "meeting_invalid"


def test_the_list_shows_what_the_caller_may_read(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    office = api(board.secretariat)
    for title, extra in (("Chung", {}), ("Mật", {"confidential": "true"})):
        office.post(
            base(meeting), {"title": title, "file": pdf_upload(), **extra}, format="multipart"
        )
    assert {m["title"] for m in office.get(base(meeting)).json()} == {"Chung", "Mật"}
    assert [m["title"] for m in api(board.members[0]).get(base(meeting)).json()] == ["Chung"]
    client = bearer(board.agency, ["meetings:read"])
    assert [m["title"] for m in client.get(base(meeting)).json()] == ["Chung"]
    assert (
        bearer(board.agency, ["meetings:read"])
        .post(base(meeting), {"title": "X", "file": pdf_upload()}, format="multipart")
        .status_code
        == 403
    )


def test_a_member_keeps_notes_through_the_api(board, make_meeting) -> None:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    created = api(board.secretariat).post(
        base(meeting), {"title": "Báo cáo", "file": pdf_upload(pages=2)}, format="multipart"
    )
    notes = f"{base(meeting)}{created.json()['id']}/annotations/"
    member = api(board.members[0])
    written = member.post(notes, {"page": 2, "text": "Đề nghị làm rõ"}, format="json")
    assert written.status_code == 201
    note = written.json()
    assert note["page"] == 2 and note["version"] == 1
    changed = member.patch(
        f"{notes}{note['id']}/", {"text": "Đề nghị làm rõ nguồn vốn"}, format="json"
    )
    assert changed.status_code == 200 and changed.json()["text"] == "Đề nghị làm rõ nguồn vốn"
    assert [n["text"] for n in member.get(notes).json()] == ["Đề nghị làm rõ nguồn vốn"]
    assert api(board.members[1]).get(notes).json() == []
    assert api(board.chair).get(notes).json() == []
    outside = member.post(notes, {"page": 3, "text": "x"}, format="json")
    assert outside.status_code == 400 and outside.json()["fields"]["page"]
    assert member.delete(f"{notes}{note['id']}/").status_code == 204
    assert not Annotation.objects.exists()
