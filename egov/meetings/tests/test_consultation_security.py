"""Written consultation attacked: an outsider, a non-member, a wrong code, a second answer, a
member acting as the chair, an API client without scope or of another agency, a session
without the second factor — each refused with nothing changed. And the pages and the API as a
member and the chair use them."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from egov.accounts.services import create_api_client
from egov.conftest import login_client
from egov.core.actors import SYSTEM
from egov.core.errors import DomainError, NotAllowed, NotFoundError
from egov.meetings.models import Consultation, ConsultationMember, ConsultationStatus
from egov.meetings.services import consultations
from egov.signing.services import make_demo_hierarchy

from .conftest import actor
from .consultation_helpers import answer, certify_everyone, prepare, totp_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="module")
def hierarchy():  # type: ignore[no-untyped-def]
    return make_demo_hierarchy()


@pytest.fixture
def open_consultation(board, hierarchy) -> Consultation:  # type: ignore[no-untyped-def]
    certify_everyone(hierarchy)
    consultation = prepare(board, [board.chair, *board.members[:3]], days=5)
    consultations.send_consultation(actor=actor(board.chair), consultation=consultation)
    consultation.refresh_from_db()
    return consultation


def _unchanged(consultation: Consultation, version: int) -> None:
    consultation.refresh_from_db()
    assert consultation.version == version
    assert not consultation.members.exclude(answered_at=None).exists()
    assert not any(m.signed_ballot for m in consultation.members.all())


def test_outsider_and_non_member_cannot_answer(board, open_consultation) -> None:  # type: ignore[no-untyped-def]
    version = open_consultation.version
    with pytest.raises(NotFoundError):  # no part in it: it does not exist for them
        answer(open_consultation, board.outsider, "agree")
    with pytest.raises(NotAllowed):  # the secretariat prepares, but is not a member
        answer(open_consultation, board.secretariat, "agree")
    _unchanged(open_consultation, version)


def test_wrong_code_signs_nothing(board, open_consultation) -> None:  # type: ignore[no-untyped-def]
    member = board.members[0]
    totp_for(member)
    version = open_consultation.version
    with pytest.raises(DomainError) as refused:
        consultations.answer_consultation(
            actor=actor(member),
            consultation=open_consultation,
            answer="agree",
            second_factor="000000",
        )
    assert refused.value.code == "second_factor_invalid"
    _unchanged(open_consultation, version)


def test_a_second_answer_is_refused(board, open_consultation) -> None:  # type: ignore[no-untyped-def]
    member = board.members[0]
    first = answer(open_consultation, member, "agree")
    with pytest.raises(DomainError) as refused:
        answer(open_consultation, member, "disagree")
    assert refused.value.code == "already_answered"
    first.refresh_from_db()
    assert first.answer == "agree"


def test_only_the_chair_sends_closes_and_signs(board, open_consultation) -> None:  # type: ignore[no-untyped-def]
    member = board.members[0]
    with pytest.raises(NotAllowed):
        consultations.close_consultation(actor=actor(member), consultation=open_consultation)
    with pytest.raises(NotAllowed):
        consultations.cancel_consultation(actor=actor(member), consultation=open_consultation)
    with pytest.raises(NotAllowed):
        consultations.sign_result(
            actor=actor(member), consultation=open_consultation, second_factor="123456"
        )
    # Not everyone answered yet: the chair cannot close before the deadline either.
    with pytest.raises(DomainError) as refused:
        consultations.close_consultation(actor=actor(board.chair), consultation=open_consultation)
    assert refused.value.code == "consultation_invalid"
    open_consultation.refresh_from_db()
    assert open_consultation.status == ConsultationStatus.OPEN


def test_bad_preparation_is_refused(board) -> None:  # type: ignore[no-untyped-def]
    from .consultation_helpers import make_draft

    draft = make_draft(board.secretariat)
    with pytest.raises(NotAllowed):  # a member is neither the secretariat nor the chair
        consultations.create_consultation(
            actor=actor(board.members[0]),
            draft=draft,
            title="T",
            question="Q",
            members=[board.members[1]],
            chair=board.chair,
            deadline_days=3,
        )
    with pytest.raises(DomainError) as refused:
        consultations.create_consultation(
            actor=actor(board.secretariat),
            draft=draft,
            title="",
            question="",
            members=[],
            chair=board.secretary,  # not a leader
            deadline_days=0,
        )
    assert set(refused.value.fields) == {"title", "question", "members", "chair", "deadline_days"}
    assert not Consultation.objects.exists()


# --- pages ---------------------------------------------------------------------------------------


def test_member_answers_on_the_page_and_the_chair_sees_it(
    board, open_consultation, give_totp
) -> None:  # type: ignore[no-untyped-def]
    member = board.members[0]
    give_totp(member.user)
    client = login_client(member.user)
    url = f"/hop/lay-y-kien/{open_consultation.pk}/"
    listing = client.get("/hop/lay-y-kien/")
    assert "Phiếu chờ tôi trả lời" in listing.content.decode()
    assert open_consultation.title in listing.content.decode()
    page = client.get(url)
    assert page.status_code == 200
    assert "Ký số và gửi ý kiến" in page.content.decode()

    wrong = client.post(f"{url}tra-loi/", {"answer": "agree", "code": "000000"})
    assert wrong.status_code == 200
    assert "Mã xác thực không đúng" in wrong.content.decode()
    _unchanged(open_consultation, open_consultation.version)

    cache.clear()
    from egov.conftest import fresh_totp

    done = client.post(
        f"{url}tra-loi/", {"answer": "disagree", "comment": "Chưa rõ", "code": fresh_totp(margin=3)}
    )
    assert done.status_code == 302
    row = ConsultationMember.objects.get(consultation=open_consultation, official=member)
    assert row.answer == "disagree" and row.signed_sha256
    mine = client.get(f"{url}phieu/{row.pk}/")
    assert mine.status_code == 200 and mine["Content-Type"] == "application/pdf"

    # Another member does not see how the others answered, nor their sheets.
    other = login_client(board.members[1].user)
    assert "Chưa rõ" not in other.get(url).content.decode()
    assert other.get(f"{url}phieu/{row.pk}/").status_code == 404
    # The chair sees the answers as they come.
    chair = login_client(board.chair.user)
    assert "Chưa rõ" in chair.get(url).content.decode()
    assert chair.get(f"{url}phieu/{row.pk}/").status_code == 200


def test_outsider_and_session_without_second_factor_see_nothing(board, open_consultation) -> None:  # type: ignore[no-untyped-def]
    url = f"/hop/lay-y-kien/{open_consultation.pk}/"
    outsider = login_client(board.outsider.user)
    assert outsider.get(url).status_code == 404
    assert outsider.get(f"{url}du-thao/").status_code == 404
    assert open_consultation.title not in outsider.get("/hop/lay-y-kien/").content.decode()
    no_mfa = login_client(board.members[0].user, with_mfa=False)
    response = no_mfa.get(url)
    assert response.status_code in (302, 403)
    assert open_consultation.title not in response.content.decode()


def test_secretariat_prepares_on_the_page_and_sees_the_deadline(board, hierarchy) -> None:  # type: ignore[no-untyped-def]
    from .consultation_helpers import make_draft

    draft = make_draft(board.secretariat)
    client = login_client(board.secretariat.user)
    form = client.get("/hop/lay-y-kien/tao-moi/")
    assert (
        form.status_code == 200 and "Nếu gửi ngay bây giờ, hạn trả lời là" in form.content.decode()
    )
    assert (
        "hạn trả lời là"
        in client.get("/hop/lay-y-kien/han-tra-loi/?deadline_days=4").content.decode()
    )
    refused = client.post("/hop/lay-y-kien/tao-moi/", {"title": "", "deadline_days": "0"})
    assert refused.status_code == 200 and not Consultation.objects.exists()
    created = client.post(
        "/hop/lay-y-kien/tao-moi/",
        {
            "draft": draft.pk,
            "title": "Thông qua kế hoạch",
            "question": "Đề nghị cho ý kiến.",
            "chair": board.chair.pk,
            "members": [board.chair.pk, board.members[0].pk],
            "deadline_days": "3",
            "result_kind": "conclusion",
        },
    )
    body = created.content.decode()
    assert created.status_code == 302, body[body.find("error-summary") :][:1500]
    consultation = Consultation.objects.get()
    assert created.status_code == 302 and created["Location"].endswith(f"/{consultation.pk}/")
    chair = login_client(board.chair.user)
    assert chair.post(f"/hop/lay-y-kien/{consultation.pk}/gui/").status_code == 302
    consultation.refresh_from_db()
    assert consultation.status == ConsultationStatus.OPEN and consultation.deadline_at


# --- API -----------------------------------------------------------------------------------------


def test_api_clients_without_scope_or_of_another_agency(
    board, open_consultation, other_agency
) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client

    client = Client()
    _c, none = create_api_client(
        actor=SYSTEM, name="Lịch", scopes=["calendar:read"], agency=board.agency
    )
    assert (
        client.get("/api/v1/consultations/", HTTP_AUTHORIZATION=f"Bearer {none}").status_code == 403
    )
    _c, reader = create_api_client(
        actor=SYSTEM, name="IOC", scopes=["meetings:read"], agency=board.agency
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {reader}"}
    listing = client.get("/api/v1/consultations/", **headers).json()
    assert [c["id"] for c in listing] == [open_consultation.pk]
    url = f"/api/v1/consultations/{open_consultation.pk}/"
    assert client.get(url, **headers).status_code == 200
    refused = client.post(
        f"{url}answer/", {"answer": "agree"}, content_type="application/json", **headers
    )
    assert refused.status_code == 403
    _c, writer = create_api_client(
        actor=SYSTEM, name="Máy", scopes=["meetings:read", "meetings:write"], agency=board.agency
    )
    refused = client.post(
        f"{url}answer/",
        {"answer": "agree"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {writer}",
    )
    assert refused.status_code == 403  # a machine never answers for a member
    _c, other = create_api_client(
        actor=SYSTEM, name="Khác", scopes=["meetings:read", "meetings:write"], agency=other_agency
    )
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {other}").status_code == 404
    _unchanged(open_consultation, open_consultation.version)


def test_member_answers_through_the_api(board, open_consultation, give_totp) -> None:  # type: ignore[no-untyped-def]
    member = board.members[1]
    give_totp(member.user)
    client = login_client(member.user)
    url = f"/api/v1/consultations/{open_consultation.pk}/"
    wrong = client.post(
        f"{url}answer/", {"answer": "agree", "code": "000000"}, content_type="application/json"
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "second_factor_invalid"
    done = client.post(
        f"{url}answer/",
        {"answer": "agree", "code": totp_for(member)},
        content_type="application/json",
    )
    assert done.status_code == 200, done.content
    body = done.json()
    mine = next(m for m in body["members"] if m["official"] == member.pk)
    others = [m for m in body["members"] if m["official"] != member.pk]
    assert mine["answer"] == "agree" and mine["signed_sha256"]
    assert all(m["answer"] == "" for m in others)
    again = client.post(
        f"{url}answer/",
        {"answer": "agree", "code": totp_for(member)},
        content_type="application/json",
    )
    assert again.status_code == 409 and again.json()["code"] == "already_answered"


def test_schema_documents_the_endpoints(client) -> None:  # type: ignore[no-untyped-def]
    schema = client.get("/api/v1/schema/").content.decode()
    assert "/api/v1/consultations/{id}/{action}/" in schema


def test_the_chair_withdraws_and_members_are_told(board, open_consultation) -> None:  # type: ignore[no-untyped-def]
    from egov.events.models import OutboxMessage

    consultations.cancel_consultation(actor=actor(board.chair), consultation=open_consultation)
    open_consultation.refresh_from_db()
    assert open_consultation.status == ConsultationStatus.CANCELLED
    keys = OutboxMessage.objects.filter(
        topic="meeting_notice",
        idempotency_key__startswith=f"consultation:{open_consultation.pk}:cancelled:",
    )
    assert keys.count() == 4
    with pytest.raises(DomainError):  # nothing to answer any more
        answer(open_consultation, board.members[0], "agree")
