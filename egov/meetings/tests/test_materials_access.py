"""Who reads which material, as attacks: a confidential material is not found (404) by a member
not named on it, a guest, an outsider, another meeting's member, an operator or an API client,
on the reader page, the page images, the download and the API, and no list shows it; a guest
reads only the materials of their items; a withdrawn material is gone for members. A member's
notes are found by nobody else: not another member, not the chair, not the secretariat, not an
operator, not an API client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from egov.accounts.models import ApiClient
from egov.conftest import login_client
from egov.meetings.models import Annotation, Material, MeetingStatus, Participant
from egov.meetings.services import materials as service
from egov.org.models import Role

from .conftest import actor
from .material_files import media, pdf_upload  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


@dataclass
class Papers:
    meeting: Any
    general: Material
    item1: Material
    item2: Material
    secret: Material  # confidential, members[0] named
    gone: Material  # withdrawn


@pytest.fixture
def papers(board, make_meeting) -> Papers:  # type: ignore[no-untyped-def]
    meeting = make_meeting(MeetingStatus.PUBLISHED)
    item1, item2, _ = meeting.items.order_by("position")
    by = actor(board.secretariat)

    def add(title: str, **kwargs: Any) -> Material:
        return service.add_material(
            actor=by, meeting=meeting, title=title, upload=pdf_upload(pages=2), **kwargs
        )

    gone = add("Dự thảo đã thay")
    service.withdraw_material(actor=by, material=gone)
    return Papers(
        meeting=meeting,
        general=add("Báo cáo chung"),
        item1=add("Tờ trình nội dung 1", item=item1),
        item2=add("Tờ trình nội dung 2", item=item2),
        secret=add("Phương án nhân sự", confidential=True, readers=[board.members[0]]),
        gone=gone,
    )


def urls(meeting: Any, material: Material) -> list[str]:
    base = f"/hop/{meeting.pk}/tai-lieu/{material.pk}/"
    return [base, f"{base}tep/", f"{base}phien-ban/1/trang/1/", f"{base}phien-ban-moi/"]


def api_urls(meeting: Any, material: Material) -> list[str]:
    base = f"/api/v1/meetings/{meeting.pk}/materials/{material.pk}/"
    return [base, f"{base}file/", f"{base}annotations/"]


def bearer(agency: Any, scopes: list[str]) -> APIClient:
    raw, prefix, digest = ApiClient.new_token()
    ApiClient.objects.create(
        name=prefix, agency=agency, scopes=scopes, key_prefix=prefix, key_hash=digest
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def listed_titles(client: Any, meeting: Any) -> set[str]:
    body = client.get(f"/api/v1/meetings/{meeting.pk}/materials/").json()
    return {row["title"] for row in body}


def page_lists(client: Any, meeting: Any, material: Material) -> bool:
    page = client.get(f"/hop/{meeting.pk}/tai-lieu/")
    assert page.status_code == 200
    return f"/tai-lieu/{material.pk}/" in page.content.decode()


@pytest.fixture
def stranger(board, make_meeting, make_official):  # type: ignore[no-untyped-def]
    """A member of another meeting of the same agency."""
    other = make_meeting(title="Họp chuyên đề đất đai")
    person = make_official(board.agency, roles=[Role.LEADER], username="uyvienkhac")
    Participant.objects.create(meeting=other, official=person, role="member")
    return person


def test_a_confidential_material_is_not_found_by_those_not_named(  # type: ignore[no-untyped-def]
    board, papers, stranger, make_official
) -> None:
    meeting, secret = papers.meeting, papers.secret
    for person in (board.members[1], board.guest, board.outsider, stranger):
        client = login_client(person.user)
        for url in urls(meeting, secret):
            method = client.post if url.endswith("phien-ban-moi/") else client.get
            assert method(url).status_code == 404, (person.user.username, url)
        for url in api_urls(meeting, secret):
            assert client.get(url).status_code == 404, (person.user.username, url)
        if person not in (board.outsider, stranger):
            assert "Phương án nhân sự" not in listed_titles(client, meeting)
            assert not page_lists(client, meeting, secret)
    # An API client of the agency with every read right, and an operator.
    api = bearer(board.agency, ["meetings:read", "meetings:write"])
    for url in api_urls(meeting, secret):
        assert api.get(url).status_code == 404, url
    assert listed_titles(api, meeting) == {
        "Báo cáo chung",
        "Tờ trình nội dung 1",
        "Tờ trình nội dung 2",
    }
    operator = make_official(board.agency, roles=[Role.OPERATOR], username="quantri").user
    ops = login_client(operator)
    for url in api_urls(meeting, secret):
        assert ops.get(url).status_code == 404, url
    assert "Phương án nhân sự" not in listed_titles(ops, meeting)


def test_the_named_and_the_organisers_read_it(board, papers) -> None:  # type: ignore[no-untyped-def]
    meeting, secret = papers.meeting, papers.secret
    for person in (board.members[0], board.chair, board.secretary, board.secretariat):
        client = login_client(person.user)
        reader = client.get(urls(meeting, secret)[0])
        assert reader.status_code == 200, person.user.username
        assert "Tài liệu mật" in reader.content.decode()
        download = client.get(urls(meeting, secret)[1])
        assert download.status_code == 200 and download.streaming
        image = client.get(urls(meeting, secret)[2])
        assert image.status_code == 200 and image["Content-Type"] == "image/png"
        assert "Phương án nhân sự" in listed_titles(client, meeting)


def test_a_guest_reads_only_the_materials_of_their_items(board, papers) -> None:  # type: ignore[no-untyped-def]
    client = login_client(board.guest.user)
    assert listed_titles(client, papers.meeting) == {"Tờ trình nội dung 2"}
    assert client.get(urls(papers.meeting, papers.item2)[0]).status_code == 200
    for material in (papers.general, papers.item1, papers.secret, papers.gone):
        for url in urls(papers.meeting, material)[:3]:
            assert client.get(url).status_code == 404, url


def test_a_withdrawn_material_is_gone_for_members_not_for_organisers(board, papers) -> None:  # type: ignore[no-untyped-def]
    member = login_client(board.members[0].user)
    for url in [*urls(papers.meeting, papers.gone)[:3], *api_urls(papers.meeting, papers.gone)]:
        assert member.get(url).status_code == 404, url
    assert "Dự thảo đã thay" not in listed_titles(member, papers.meeting)
    office = login_client(board.secretariat.user)
    page = office.get(urls(papers.meeting, papers.gone)[0])
    assert page.status_code == 200 and "đã được rút" in page.content.decode()


def test_without_the_second_factor_or_the_scope_nothing_is_read(board, papers) -> None:  # type: ignore[no-untyped-def]
    half = login_client(board.members[0].user, with_mfa=False)
    for url in urls(papers.meeting, papers.general)[:3]:
        response = half.get(url)
        assert response.status_code in (302, 403), url
        assert b"%PDF" not in b"".join(getattr(response, "streaming_content", [response.content]))
    no_scope = bearer(board.agency, ["documents:read"])
    assert no_scope.get(f"/api/v1/meetings/{papers.meeting.pk}/materials/").status_code == 403
    assert no_scope.get(api_urls(papers.meeting, papers.general)[1]).status_code == 403


def test_organisers_actions_are_refused_to_members(board, papers) -> None:  # type: ignore[no-untyped-def]
    member = login_client(board.members[0].user)
    base = f"/hop/{papers.meeting.pk}/tai-lieu/{papers.general.pk}/"
    assert member.post(f"{base}rut/").status_code == 302  # the service refuses, with a message
    papers.general.refresh_from_db()
    assert not papers.general.withdrawn
    assert member.post(f"{base}phien-ban-moi/", {"phien-ban-file": pdf_upload()}).status_code == 404
    assert papers.general.versions.count() == 1
    api = login_client(board.members[0].user, client=APIClient())
    refused = api.post(
        f"/api/v1/meetings/{papers.meeting.pk}/materials/{papers.general.pk}/withdraw/"
    )
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    machine = bearer(board.agency, ["meetings:read", "meetings:write"])
    refused = machine.post(
        f"/api/v1/meetings/{papers.meeting.pk}/materials/",
        {"title": "X", "file": pdf_upload()},
        format="multipart",
    )
    assert refused.status_code == 403
    assert Material.objects.count() == 5


# --- private notes -------------------------------------------------------------------------------


def test_a_members_notes_are_found_by_nobody_else(board, papers, make_official) -> None:  # type: ignore[no-untyped-def]
    meeting, material = papers.meeting, papers.general
    author = board.members[0]
    note = service.save_annotation(
        actor=actor(author), material=material, page=2, text="Hỏi lại số liệu vốn đầu tư công"
    )
    assert note.version == material.current_version and note.page == 2

    mine = login_client(author.user)
    reader = mine.get(f"/hop/{meeting.pk}/tai-lieu/{material.pk}/?trang=2")
    assert "Hỏi lại số liệu vốn đầu tư công" in reader.content.decode()
    notes_api = f"/api/v1/meetings/{meeting.pk}/materials/{material.pk}/annotations/"
    assert [n["text"] for n in mine.get(notes_api).json()] == ["Hỏi lại số liệu vốn đầu tư công"]

    operator = make_official(board.agency, roles=[Role.OPERATOR], username="quantri").user
    others = [
        login_client(board.members[1].user),
        login_client(board.chair.user),
        login_client(board.secretary.user),
        login_client(board.secretariat.user),
        login_client(operator),
        bearer(board.agency, ["meetings:read", "meetings:write"]),
    ]
    note_url = f"{notes_api}{note.pk}/"
    page_note = f"/hop/{meeting.pk}/tai-lieu/{material.pk}/ghi-chu/{note.pk}/"
    for client in others:
        if not isinstance(client, APIClient):
            page = client.get(f"/hop/{meeting.pk}/tai-lieu/{material.pk}/?trang=2")
            assert "vốn đầu tư công" not in page.content.decode()
            assert client.get(page_note).status_code in (403, 404)
            assert client.post(page_note, {"text": "sửa"}).status_code in (403, 404)
            assert client.post(f"{page_note}xoa/").status_code in (403, 404)
        listed = client.get(notes_api)
        assert listed.status_code in (200, 403) and "vốn đầu tư công" not in listed.content.decode()
        assert client.patch(
            note_url, {"text": "sửa"}, content_type="application/json"
        ).status_code in (403, 404)
        assert client.delete(note_url).status_code in (403, 404)
    note.refresh_from_db()
    assert note.text == "Hỏi lại số liệu vốn đầu tư công"
    # Nor through the service: another official's note is not found.
    with pytest.raises(service.NotFoundError):
        service.save_annotation(
            actor=actor(board.chair), material=material, page=1, text="x", annotation=note
        )
    with pytest.raises(service.NotFoundError):
        service.delete_annotation(actor=actor(board.secretariat), annotation=note)
    assert Annotation.objects.filter(pk=note.pk).exists()


def test_notes_are_not_events(board, papers) -> None:  # type: ignore[no-untyped-def]
    from egov.events.models import Event

    before = Event.objects.count()
    note = service.save_annotation(
        actor=actor(board.members[0]), material=papers.general, page=1, text="Ý kiến riêng"
    )
    service.save_annotation(
        actor=actor(board.members[0]),
        material=papers.general,
        page=1,
        text="Ý kiến riêng, sửa",
        annotation=note,
    )
    service.delete_annotation(actor=actor(board.members[0]), annotation=note)
    assert Event.objects.count() == before


def test_a_note_needs_a_page_of_the_material_and_a_material_one_may_read(board, papers) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(service.DomainError, match="từ 1 đến 2"):
        service.save_annotation(
            actor=actor(board.members[0]), material=papers.general, page=3, text="x"
        )
    with pytest.raises(service.DomainError, match="nội dung"):
        service.save_annotation(
            actor=actor(board.members[0]), material=papers.general, page=1, text="   "
        )
    with pytest.raises(service.NotFoundError):
        service.save_annotation(
            actor=actor(board.members[1]), material=papers.secret, page=1, text="x"
        )
    assert not Annotation.objects.exists()
