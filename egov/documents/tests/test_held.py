"""The clerk's page for packages held because their signature could not be verified, end to
end with the real exchange: another province's platform (a declared external endpoint) posts
a package for our agency to the exchange API, unsigned or signed by a certificate outside the
trust list; the exchange holds it (01 "waiting for a check"); the clerk sees the count on the
incoming list and the package on the held page, then accepts it (it becomes an incoming
document waiting to be registered) or refuses it with a reason (the sender gets 02)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client
from rest_framework.test import APIClient

from egov.core.actors import SYSTEM
from egov.documents.models import IncomingDocument, IncomingStatus
from egov.events.models import OutboxMessage
from egov.exchange import edxml, endpoints
from egov.exchange.edxml import Attachment, EdxmlDocument, Organ, SignerInfo
from egov.exchange.hub import organ_for_agency
from egov.exchange.models import IncomingPackage, StatusRecord
from egov.org.models import Role

from .conftest import make_pdf

pytestmark = pytest.mark.django_db

PACKAGES = "/api/v1/exchange/packages/"
HELD = "/van-ban/den/goi-tin-cho-xac-minh/"
LANG_SON = Organ("000.00.00.H43", "Ủy ban nhân dân tỉnh Lạng Sơn")
SUBJECT = "Về việc phối hợp kiểm tra cửa khẩu"
# 02:30 UTC is 09:30 in Hà Nội (UTC+7): what the clerk must read
RECEIVED = datetime(2026, 5, 4, 2, 30, tzinfo=UTC)


@pytest.fixture
def peer(certificates) -> str:  # type: ignore[no-untyped-def]
    """Lạng Sơn's platform, declared with the token it presents to us. `certificates` gives
    our agencies theirs (our 02 answers are signed)."""
    token = endpoints.new_peer_token()
    endpoints.save_endpoint(
        actor=SYSTEM,
        organ_id=LANG_SON.organ_id,
        organ_name=LANG_SON.organ_name,
        url="http://127.0.0.1:9/api/v1/exchange/",
        inbound_token=token,
    )
    return token


def document_for(agency: Any, number: int = 12) -> EdxmlDocument:
    return EdxmlDocument(
        sender=LANG_SON,
        recipients=[organ_for_agency(agency)],
        code_number=str(number),
        code_notation="UBND-KT",
        promulgation_place="Lạng Sơn",
        promulgation_date=date(2026, 5, 4),
        subject=SUBJECT,
        document_type=1,
        document_type_name="Công văn",
        content="Đề nghị phối hợp kiểm tra.",
        signer=SignerInfo("KT. CHỦ TỊCH", "Phó Chủ tịch", "Hoàng Văn Bình"),
        due_date=date(2026, 5, 20),
        to_places=["Như trên", "Lưu: VT"],
        priority=1,
        page_amount=1,
        attachments=[
            Attachment("cong-van.pdf", "application/pdf", make_pdf("Đề nghị phối hợp kiểm tra"))
        ],
    )


def unsigned(agency: Any, number: int = 12) -> bytes:
    return edxml.build_document(document_for(agency, number))


def signed_by_an_untrusted_ca(agency: Any) -> bytes:
    """Signed with a look-alike certificate for Lạng Sơn from a CA nobody trusts."""
    from signxml import DigestAlgorithm, SignatureMethod, XMLSigner

    from egov.signing import ca, keystore
    from egov.signing.services import make_demo_hierarchy

    rogue = make_demo_hierarchy()
    material = ca.issue_certificate(
        rogue.intermediate,
        common_name=LANG_SON.organ_name,
        organisation=LANG_SON.organ_name,
        kind="organisation",
    )
    signer = XMLSigner(
        signature_algorithm=SignatureMethod.ECDSA_SHA256, digest_algorithm=DigestAlgorithm.SHA256
    )
    chain = [keystore.to_pem(material.certificate)] + [keystore.to_pem(c) for c in material.chain]
    root = edxml.document_element(document_for(agency, 13))
    return edxml.to_bytes(signer.sign(root, key=material.private_key, cert=chain))


def post_package(
    raw: bytes, token: str, agency: Any, at: datetime | None = None
) -> IncomingPackage:
    """Lạng Sơn posts the package to our exchange API (at `at`, when given: an unsigned
    package has no certificate whose validity the moment would matter to); it is held (01,
    code "held")."""
    with time_machine.travel(at or datetime.now(UTC), tick=at is None):
        response = APIClient().post(
            PACKAGES,
            raw,
            content_type="application/xml",
            HTTP_AUTHORIZATION=f"Bearer {token}",
            HTTP_X_EDXML_TO=agency.identifier,
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["code"], body["held"], body["status"]["status_code"]) == ("held", True, "01")
    return IncomingPackage.objects.get(document_id=body["document_id"])


@pytest.fixture
def held(peer, agency) -> IncomingPackage:  # type: ignore[no-untyped-def]
    return post_package(unsigned(agency), peer, agency, at=RECEIVED)


@pytest.fixture
def as_official(client, login_with_mfa):  # type: ignore[no-untyped-def]
    def login(official: Any) -> Client:
        client.logout()
        login_with_mfa(official.user)
        return client

    return login


def action(package: IncomingPackage, verb: str) -> str:
    return f"{HELD}{package.pk}/{verb}/"


def refuse(client: Client, package: IncomingPackage, reason: str) -> Any:
    return client.post(action(package, "tu-choi"), {f"r{package.pk}-reason": reason})


def accept(client: Client, package: IncomingPackage, note: str) -> Any:
    return client.post(action(package, "tiep-nhan"), {f"a{package.pk}-note": note})


def waiting(agency: Any) -> list[IncomingDocument]:
    return list(IncomingDocument.objects.filter(agency=agency))


# --- what the clerk sees -------------------------------------------------------------------------


def test_the_clerk_sees_the_count_and_the_package_with_the_reason(
    held, people, as_official, agency
):
    assert held.status == IncomingPackage.Status.HELD and waiting(agency) == []
    client = as_official(people["clerk"])

    listing = client.get("/van-ban/?tab=den-cho-vao-so").content.decode()
    assert "Có <strong>1</strong> gói tin đến chưa xác minh được chữ ký số" in listing
    assert f'href="{HELD}"' in listing

    page = client.get(HELD)
    assert page.status_code == 200
    html = page.content.decode()
    assert SUBJECT in html
    assert LANG_SON.organ_name in html and LANG_SON.organ_id in html
    assert "09:30 04/05/2026" in html  # received at 02:30 UTC, shown in local time
    assert "không có chữ ký số" in held.hold_reason and held.hold_reason in html
    assert held.document_id in html
    assert "Không có gói tin nào chờ xác minh" not in html


def test_a_certificate_outside_the_trust_list_is_held_with_that_reason(
    peer, people, as_official, agency
):
    package = post_package(signed_by_an_untrusted_ca(agency), peer, agency)
    assert "tin cậy" in package.hold_reason
    html = as_official(people["clerk"]).get(HELD).content.decode()
    assert package.hold_reason in html and SUBJECT in html


def test_nothing_held_shows_the_empty_state_and_no_count(peer, people, as_official):
    client = as_official(people["clerk"])
    assert "Không có gói tin nào chờ xác minh" in client.get(HELD).content.decode()
    assert "gói tin đến chưa xác minh" not in client.get("/van-ban/").content.decode()


# --- accept ----------------------------------------------------------------------------------


def test_accept_with_a_note_registers_the_package_and_the_document_waits_to_be_registered(
    held, people, as_official, agency
):
    client = as_official(people["clerk"])
    missing = accept(client, held, "")
    assert missing.status_code == 400
    assert "Chưa thực hiện được" in missing.content.decode()
    held.refresh_from_db()
    assert held.status == IncomingPackage.Status.HELD and waiting(agency) == []

    done = accept(client, held, "Đã gọi điện xác nhận với văn thư UBND tỉnh Lạng Sơn")
    assert done.status_code == 302 and done["Location"] == HELD
    follow = client.get(HELD).content.decode()
    assert "Đã tiếp nhận gói tin" in follow
    assert "Không có gói tin nào chờ xác minh" in follow and SUBJECT not in follow

    held.refresh_from_db()
    assert held.status == IncomingPackage.Status.ARRIVED
    assert held.decision_note == "Đã gọi điện xác nhận với văn thư UBND tỉnh Lạng Sơn"
    [document] = waiting(agency)  # the documents handler ran
    assert (document.document_id, document.status) == (held.document_id, IncomingStatus.RECEIVED)
    assert document.sender_organ_id == LANG_SON.organ_id
    listing = client.get("/van-ban/?tab=den-cho-vao-so").content.decode()
    assert SUBJECT in listing
    assert "gói tin đến chưa xác minh" not in listing


# --- refuse ----------------------------------------------------------------------------------


def test_refuse_needs_a_reason_then_the_sender_gets_02_with_it(held, people, as_official, agency):
    client = as_official(people["clerk"])
    for blank in ("", "   "):
        missing = refuse(client, held, blank)
        assert missing.status_code == 400
        html = missing.content.decode()
        assert "Chưa thực hiện được" in html and "Lý do từ chối" in html
        assert "Trường này là bắt buộc" in html  # the summary speaks Vietnamese
    held.refresh_from_db()
    assert held.status == IncomingPackage.Status.HELD
    assert not StatusRecord.objects.filter(direction="out", status_code="02").exists()

    reason = "Không xác nhận được với UBND tỉnh Lạng Sơn là cơ quan đã gửi"
    done = refuse(client, held, reason)
    assert done.status_code == 302
    assert "Đã từ chối gói tin" in client.get(HELD).content.decode()

    held.refresh_from_db()
    assert (held.status, held.error) == (IncomingPackage.Status.REJECTED, reason)
    answer = StatusRecord.objects.get(direction="out", status_code="02")
    assert answer.to_organ_id == LANG_SON.organ_id and reason in answer.description
    assert answer.raw and reason in bytes(answer.raw).decode()
    queued = OutboxMessage.objects.get(topic="edxml_status", payload__status_id=answer.pk)
    assert queued.status == OutboxMessage.Status.PENDING
    assert queued.payload["to"] == LANG_SON.organ_id
    assert waiting(agency) == []
    assert SUBJECT not in client.get(HELD).content.decode()


# --- attacks ---------------------------------------------------------------------------------


def test_another_agencys_clerk_sees_nothing_and_cannot_decide(
    held, other_agency, make_official, as_official
):
    stranger = make_official(other_agency, roles=[Role.CLERK], username="stp.vanthu")
    client = as_official(stranger)
    assert "gói tin đến chưa xác minh" not in client.get("/van-ban/").content.decode()
    page = client.get(HELD).content.decode()
    assert SUBJECT not in page and "Không có gói tin nào chờ xác minh" in page
    assert accept(client, held, "Tiếp nhận hộ").status_code == 404
    assert refuse(client, held, "Từ chối hộ").status_code == 404
    held.refresh_from_db()
    assert held.status == IncomingPackage.Status.HELD
    assert not StatusRecord.objects.filter(direction="out", status_code="02").exists()


@pytest.mark.parametrize("who", ["drafter", "leader"])
def test_without_the_clerks_rights_the_page_and_the_actions_are_refused(
    held, people, as_official, who
):
    client = as_official(people[who])
    assert client.get(HELD).status_code == 403
    assert accept(client, held, "Tiếp nhận").status_code == 403
    assert refuse(client, held, "Từ chối").status_code == 403
    assert "gói tin đến chưa xác minh" not in client.get("/van-ban/").content.decode()
    held.refresh_from_db()
    assert held.status == IncomingPackage.Status.HELD


def test_the_opposite_decision_after_one_was_taken_is_refused_with_a_clear_message(
    peer, people, as_official, agency
):
    client = as_official(people["clerk"])
    first = post_package(unsigned(agency, 21), peer, agency)
    second = post_package(unsigned(agency, 22), peer, agency)
    assert accept(client, first, "Đã xác nhận qua điện thoại").status_code == 302
    assert refuse(client, second, "Không rõ nguồn gốc").status_code == 302

    late = refuse(client, first, "Đổi ý")
    assert late.status_code == 409
    assert (
        "đã được văn thư" in late.content.decode() and "chấp nhận trước đó" in late.content.decode()
    )
    late = accept(client, second, "Đổi ý")
    assert late.status_code == 409
    assert "từ chối trước đó" in late.content.decode()

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("arrived", "rejected")
    assert StatusRecord.objects.filter(direction="out", status_code="02").count() == 1
    assert len(waiting(agency)) == 1
    # the same decision again (a double click) changes nothing and says it is done
    assert accept(client, first, "Lần hai").status_code == 302
    assert len(waiting(agency)) == 1


def test_the_actions_take_only_a_post_with_the_csrf_token(held, people, as_official):
    logged_in = as_official(people["clerk"])
    client = Client(enforce_csrf_checks=True)
    client.cookies = logged_in.cookies  # the same session, but the CSRF check is not waived
    assert client.get(HELD).status_code == 200
    assert client.get(action(held, "tiep-nhan")).status_code == 405
    assert client.get(action(held, "tu-choi")).status_code == 405
    assert accept(client, held, "Không có mã CSRF").status_code == 403
    assert refuse(client, held, "Không có mã CSRF").status_code == 403
    assert client.post(f"{HELD}{held.pk}/xoa/", {}).status_code in (403, 404)
    held.refresh_from_db()
    assert held.status == IncomingPackage.Status.HELD


# --- without the exchange ------------------------------------------------------------------------


def test_without_the_exchange_the_page_says_so_and_the_list_has_no_count(
    people, as_official, monkeypatch
):
    from django.apps import apps

    # a platform without the exchange app: asked the way the bridge asks (re-populating the
    # app registry would run every app's ready() again for the rest of the session)
    installed = apps.is_installed
    monkeypatch.setattr(
        apps, "is_installed", lambda name: name != "egov.exchange" and installed(name)
    )
    client = as_official(people["clerk"])
    page = client.get(HELD)
    assert page.status_code == 200
    assert "Nền tảng chưa bật việc giữ gói tin chờ xác minh" in page.content.decode()
    listing = client.get("/van-ban/")
    assert listing.status_code == 200
    assert "gói tin đến chưa xác minh" not in listing.content.decode()
    assert client.post(f"{HELD}1/tu-choi/", {"r1-reason": "x"}).status_code == 404
