"""Issue #15, after submitting: a supplement request names which papers, why and by when; the
answer brings files for each paper; every notice is recorded in full with a link and lands in
the applicant's inbox; the applicant withdraws online while processing has not ended."""

from __future__ import annotations

import pytest
from django.utils import timezone

from egov.cases import TransitionRefused
from egov.catalog import services as catalog
from egov.core.actors import SYSTEM, actor_for_user
from egov.core.errors import DomainError, NotFoundError
from egov.dossiers.models import ApplicantNotice, Dossier, DossierFile, Status
from egov.dossiers.notify import shorten, sms_text
from egov.dossiers.services import Submission, submit_online
from egov.dossiers.tests.conftest import pdf_upload
from egov.events.models import Event, OutboxMessage
from egov.onestop import services
from egov.onestop.models import StepStatus
from egov.workcalendar.services import WorkingCalendar

from .conftest import act, make_procedure

pytestmark = pytest.mark.django_db

PAPERS = [
    catalog.ComponentSpec(code="to-khai", name="Tờ khai", required=True),
    catalog.ComponentSpec(code="cccd", name="Bản sao căn cước công dân", required=False),
    catalog.ComponentSpec(code="cu-tru", name="Giấy xác nhận thông tin cư trú", required=False),
]


@pytest.fixture
def procedure(agency, staff):  # type: ignore[no-untyped-def]
    procedure = make_procedure(agency)
    catalog.set_components(actor=SYSTEM, procedure=procedure, components=PAPERS)
    return procedure


@pytest.fixture
def received(staff, procedure, make_citizen):  # type: ignore[no-untyped-def]
    owner = make_citizen()
    owner.email = "dan@example.vn"
    owner.save(update_fields=["email"])
    dossier = submit_online(
        user=owner,
        submission=Submission(
            procedure_code=procedure.code,
            agency_identifier=procedure.agencies.get().identifier,
            form_data={},
            uploads={"to-khai": [pdf_upload()]},
            result_delivery="online",
        ),
    )
    services.receive_online(actor=act(staff.receiver), dossier=dossier.code)
    dossier.refresh_from_db()
    if dossier.steps.get(status="active").assignee_id != staff.specialist.pk:
        services.assign(actor=act(staff.head), dossier=dossier, official_id=staff.specialist.pk)
    dossier.refresh_from_db()
    return owner, dossier


def ask(staff, dossier, **kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("reason", "Tờ khai ghi nơi cư trú khác dữ liệu dân cư.")
    kwargs.setdefault("components", ["cccd", "cu-tru"])
    return services.request_supplement(actor=act(staff.specialist), dossier=dossier, **kwargs)


def test_the_request_names_the_papers_the_reason_and_a_working_day_deadline(staff, received):
    _owner, dossier = received
    before = timezone.now()
    request = ask(staff, dossier, other="Ảnh chân dung 4×6", answer_days=5)
    assert request.items == [
        {"component": "cccd", "name": "Bản sao căn cước công dân"},
        {"component": "cu-tru", "name": "Giấy xác nhận thông tin cư trú"},
        {"component": "", "name": "Ảnh chân dung 4×6"},
    ]
    calendar = WorkingCalendar.for_agency(dossier.agency_id)
    assert request.answer_by == calendar.add_working_days(before, 5)
    event = Event.objects.filter(event_type="dossier.supplement_requested").get()
    assert event.payload["answer_days"] == 5 and len(event.payload["items"]) == 3
    # By default: the platform's ten working days.
    assert services.default_answer_days() == 10


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"components": ["khong-co"]}, "components"),
        ({"components": [], "other": ""}, "components"),
        ({"answer_days": 0}, "answer_days"),
        ({"answer_days": 61}, "answer_days"),
    ],
)
def test_a_bad_request_is_refused_and_changes_nothing(staff, received, kwargs, field):  # type: ignore[no-untyped-def]
    _owner, dossier = received
    with pytest.raises(DomainError) as refused:
        ask(staff, dossier, **kwargs)
    assert field in refused.value.fields
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING and not dossier.supplement_requests.exists()


def test_the_answer_needs_files_for_every_paper_and_files_them_under_it(staff, received):
    owner, dossier = received
    ask(staff, dossier)
    dossier.refresh_from_db()
    with pytest.raises(DomainError) as missing:
        services.provide_supplement(
            user=owner, dossier=dossier, by_item={0: [pdf_upload("a.pdf")], 1: []}
        )
    assert "item-1" in missing.value.fields
    with pytest.raises(DomainError) as too_many:
        services.provide_supplement(
            user=owner,
            dossier=dossier,
            by_item={0: [pdf_upload(f"{n}.pdf") for n in range(11)], 1: [pdf_upload()]},
        )
    assert "item-0" in too_many.value.fields
    assert not dossier.files.filter(kind=DossierFile.Kind.SUPPLEMENT).exists()

    services.provide_supplement(
        user=owner,
        dossier=dossier,
        by_item={0: [pdf_upload("truoc.pdf"), pdf_upload("sau.pdf")], 1: [pdf_upload("ct.pdf")]},
    )
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING
    filed = {
        f.original_name: f.component.code
        for f in dossier.files.filter(kind=DossierFile.Kind.SUPPLEMENT).select_related("component")
    }
    assert filed == {"truoc.pdf": "cccd", "sau.pdf": "cccd", "ct.pdf": "cu-tru"}
    assert dossier.supplement_requests.get().answered_at is not None


def test_notices_are_recorded_in_full_with_a_link_and_fill_the_inbox(staff, received, settings):
    settings.PUBLIC_BASE_URL = "https://dichvucong.example.vn"
    owner, dossier = received
    request = ask(staff, dossier)
    email = OutboxMessage.objects.get(
        idempotency_key=f"dossier:{dossier.code}:supplement-{request.pk}:email"
    )
    deadline = f"{timezone.localtime(request.answer_by):%d/%m/%Y}"
    assert email.payload["subject"] == f"Hồ sơ {dossier.code}: cần bổ sung giấy tờ trước {deadline}"
    body = email.payload["body"]
    for part in (
        "1. Bản sao căn cước công dân; 2. Giấy xác nhận thông tin cư trú",
        "Lý do: Tờ khai ghi nơi cư trú khác dữ liệu dân cư.",
        f"Hạn bổ sung: trước 17 giờ 00, ngày {deadline}",
        f"Người yêu cầu: {staff.specialist.user.get_full_name()}",
        f"https://dichvucong.example.vn/ho-so-cua-toi/{dossier.code}/",
    ):
        assert part in body, part
    inbox = list(ApplicantNotice.objects.filter(recipient=owner).order_by("sent_at", "pk"))
    assert [n.what for n in inbox] == ["submitted", "received", f"supplement-{request.pk}"]
    assert inbox[-1].text in body and inbox[-1].dossier_id == dossier.pk

    services.provide_supplement(
        user=owner, dossier=dossier, by_item={0: [pdf_upload()], 1: [pdf_upload()]}
    )
    answered = ApplicantNotice.objects.filter(recipient=owner).latest("sent_at", "pk")
    assert answered.subject.startswith(f"Hồ sơ {dossier.code}: đã nhận giấy tờ bổ sung")


def test_an_sms_is_shortened_at_a_word_never_inside_one():
    text = "Hồ sơ cần bổ sung giấy tờ: bản sao căn cước công dân và giấy xác nhận cư trú."
    short = shorten(text, 40)
    assert len(short) <= 40 and short.endswith("…")
    assert text.startswith(short[:-1]) and text[len(short) - 1] == " "
    assert shorten("ngắn", 40) == "ngắn"
    assert sms_text(text, "https://x.vn/h/").endswith(" Xem hồ sơ: https://x.vn/h/")


def test_the_applicant_withdraws_online_and_the_official_sees_it(staff, received, make_citizen):
    owner, dossier = received
    with pytest.raises(NotFoundError):
        services.withdraw_by_applicant(user=make_citizen(), dossier=dossier.code, reason="Rút")
    services.withdraw_by_applicant(user=owner, dossier=dossier.code, reason="Nộp nhầm thủ tục.")
    dossier.refresh_from_db()
    assert dossier.status == Status.WITHDRAWAL_REQUESTED and dossier.finished_at
    assert not dossier.steps.filter(status__in=[StepStatus.ACTIVE, StepStatus.PENDING]).exists()
    event = Event.objects.get(event_type="dossier.withdrawn")
    assert event.payload["online"] is True and event.payload["reason"] == "Nộp nhầm thủ tục."
    assert event.actor_user_id == owner.pk
    assert ApplicantNotice.objects.filter(recipient=owner, what="withdrawn").exists()


def test_no_withdrawal_once_processing_is_done(staff, received):
    owner, dossier = received
    Dossier.objects.filter(pk=dossier.pk).update(status=Status.DONE)
    with pytest.raises(TransitionRefused):
        services.withdraw_by_applicant(user=owner, dossier=dossier.code, reason="Rút")
    assert not services.withdrawable(Dossier.objects.get(pk=dossier.pk))


def test_officials_cannot_use_the_applicants_withdrawal(staff, received):
    _owner, dossier = received
    with pytest.raises(DomainError):
        services.withdraw_by_applicant(user=staff.receiver.user, dossier=dossier.code, reason="Rút")
    assert actor_for_user(staff.receiver.user).kind == "official"


def test_portal_inbox_withdrawal_and_drafts(client, staff, received, make_citizen):
    owner, dossier = received
    ask(staff, dossier)
    other = make_citizen()
    client.force_login(other)
    assert dossier.code not in client.get("/thong-bao/").content.decode()
    client.force_login(owner)
    listing = client.get("/ho-so-cua-toi/").content.decode()
    assert "Cần bổ sung" in listing and "Hồ sơ đang soạn (bản nháp)" in listing
    inbox = client.get("/thong-bao/").content.decode()
    assert "3 thông báo chưa đọc" in inbox
    notice = ApplicantNotice.objects.filter(recipient=owner).latest("sent_at", "pk")
    assert client.get(f"/thong-bao/{notice.pk}/")["Location"] == f"/ho-so-cua-toi/{dossier.code}/"
    notice.refresh_from_db()
    assert notice.read_at is not None
    other_notice = ApplicantNotice.objects.filter(recipient=owner).exclude(pk=notice.pk).first()
    client.force_login(other)
    assert client.get(f"/thong-bao/{other_notice.pk}/").status_code == 404
    client.force_login(owner)
    page = client.get(f"/ho-so-cua-toi/{dossier.code}/").content.decode()
    assert page.index("Cần bổ sung hồ sơ") < page.index("Quá trình xử lý")
    # Withdrawal: the reason, then the confirmation, then the deed.
    url = f"/ho-so-cua-toi/{dossier.code}/rut-ho-so/"
    confirm = client.post(url, {"step": "check", "reason": "Nộp nhầm"}).content.decode()
    assert "Xác nhận rút hồ sơ" in confirm
    assert Dossier.objects.get(pk=dossier.pk).status == Status.SUPPLEMENT_REQUESTED
    done = client.post(url, {"step": "confirm", "reason": "Nộp nhầm"})
    assert done.status_code == 302
    assert Dossier.objects.get(pk=dossier.pk).status == Status.WITHDRAWAL_REQUESTED
    assert "Đã rút hồ sơ" in client.get(f"/ho-so-cua-toi/{dossier.code}/").content.decode()
    # Once withdrawn, no way back in.
    assert client.get(url).status_code == 302


def test_public_tracking_shows_the_request_as_the_serializer_does(staff, received):
    """The public lookup reads with its own two SQL statements (dossiers.lookup): after a
    reception, an assignment (internal, not shown) and a supplement request, its body is still
    exactly what DossierDetailSerializer writes for the applicant, the papers, reason and
    deadline included."""
    import json

    from rest_framework.test import APIClient

    from egov.dossiers.api import DossierDetailSerializer

    owner, dossier = received
    ask(staff, dossier)
    answer = APIClient().post(
        "/api/v1/tracking/",
        {"code": dossier.code.lower(), "second_factor": f" {owner.username} "},
        format="json",
    )
    assert answer.status_code == 200
    full = Dossier.objects.select_related("procedure", "agency").get(pk=dossier.pk)
    expected = json.loads(json.dumps(DossierDetailSerializer(full).data))
    assert answer.json() == expected
    titles = [entry["title"] for entry in answer.json()["timeline"]]
    assert "Yêu cầu bổ sung hồ sơ" in titles and "Phân công xử lý" not in titles
    assert answer.json()["status_label"] == "Yêu cầu bổ sung giấy tờ"
    detail = answer.json()["timeline"][-1]["detail"]
    assert detail.startswith("Cần bổ sung: Bản sao căn cước công dân; Giấy xác nhận")
