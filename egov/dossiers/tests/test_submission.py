"""Submitting a dossier online: what the citizen gets, and what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from egov.core.errors import DomainError
from egov.dossiers.models import Dossier, DossierFile, Status
from egov.dossiers.services import Submission, public_lookup, submit_online, timeline
from egov.events.models import Event, OutboxMessage

from .conftest import VALID_FORM, make_pdf, pdf_upload

pytestmark = pytest.mark.django_db


def submission(procedure, agency, **overrides):  # type: ignore[no-untyped-def]
    data = {
        "procedure_code": procedure.code,
        "agency_identifier": agency.identifier,
        "form_data": VALID_FORM,
        "uploads": {"giay-chung-sinh": [pdf_upload()]},
        "result_delivery": "online",
    }
    data.update(overrides)
    return Submission(**data)


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "dossiers"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def test_submission_creates_new_dossier_with_code_event_and_notifications(
    birth_procedure, agency, make_citizen
):
    citizen = make_citizen()
    dossier = submit_online(user=citizen, submission=submission(birth_procedure, agency))
    assert dossier.status == Status.NEW
    prefix, day, serial = dossier.code.rsplit("-", 2)
    assert prefix == agency.identifier and len(day) == 6 and serial == "0001"
    assert dossier.appointment_at > dossier.submitted_at
    assert dossier.form_data["to-khai"]["child_name"] == "Nguyễn Minh An"
    assert dossier.files.get().page_count == 1
    assert Event.objects.filter(event_type="dossier.submitted", subject_id=dossier.code).exists()
    assert OutboxMessage.objects.filter(
        idempotency_key=f"dossier:{dossier.code}:submitted:sms"
    ).exists()
    assert [t.title for t in timeline(dossier)] == ["Nộp hồ sơ trực tuyến"]
    second = submit_online(user=citizen, submission=submission(birth_procedure, agency))
    assert second.code.endswith("-0002")


def test_same_idempotency_key_makes_one_dossier(birth_procedure, agency, make_citizen):
    citizen = make_citizen()
    first = submit_online(
        user=citizen, submission=submission(birth_procedure, agency, idempotency_key="abc-123")
    )
    again = submit_online(
        user=citizen, submission=submission(birth_procedure, agency, idempotency_key="abc-123")
    )
    assert first.pk == again.pk and Dossier.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "expected_code", "message"),
    [
        (
            {
                "uploads": {
                    "giay-chung-sinh": [
                        SimpleUploadedFile("virus.pdf", b"MZ\x90\x00" + b"\x00" * 200)
                    ]
                }
            },
            "submission_invalid",
            "không phải PDF",
        ),
        (
            {"uploads": {"giay-chung-sinh": [SimpleUploadedFile("scan.png", make_pdf())]}},
            "submission_invalid",
            "không khớp",
        ),
        ({"uploads": {}}, "submission_invalid", "Thiếu thành phần bắt buộc"),
        (
            {
                "form_data": {
                    "to-khai": {"child_name": "", "birth_date": "2026-11-01", "gender": "Nam"}
                }
            },
            "submission_invalid",
            "Vui lòng nhập",
        ),
        (
            {
                "form_data": {
                    "to-khai": {"child_name": "An", "birth_date": "31/02/2026", "gender": "Nam"}
                }
            },
            "submission_invalid",
            "Ngày không hợp lệ",
        ),
        (
            {
                "form_data": {
                    "to-khai": {"child_name": "An", "birth_date": "2026-11-01", "gender": "Khác"}
                }
            },
            "submission_invalid",
            "không nằm trong danh sách",
        ),
        ({"procedure_code": "9.999999.H41"}, "unknown_procedure", "Không tìm thấy thủ tục"),
        ({"agency_identifier": "000.00.99.H41"}, "agency", "cơ quan"),
        ({"result_delivery": "post"}, "submission_invalid", "địa chỉ"),
    ],
)
def test_bad_submissions_are_refused_and_leave_nothing(
    birth_procedure, agency, make_citizen, change, expected_code, message
):
    citizen = make_citizen()
    events_before = Event.objects.count()
    with pytest.raises(DomainError) as exc:
        submit_online(user=citizen, submission=submission(birth_procedure, agency, **change))
    assert exc.value.code == expected_code
    text = exc.value.message + " ".join(str(v) for v in exc.value.fields.values())
    assert message.lower() in text.lower()
    assert not Dossier.objects.exists() and not DossierFile.objects.exists()
    assert Event.objects.count() == events_before and not stored_files()


def test_oversized_file_is_refused(birth_procedure, agency, make_citizen, settings):
    from egov.dossiers import uploads

    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * (uploads.PAPERS.max_bytes + 10))
    with pytest.raises(DomainError, match="chưa hợp lệ") as exc:
        submit_online(
            user=make_citizen(),
            submission=submission(birth_procedure, agency, uploads={"giay-chung-sinh": [big]}),
        )
    assert "dung lượng" in str(exc.value.fields)
    assert not Dossier.objects.exists() and not stored_files()


def test_procedure_that_is_not_online_is_refused(offline_procedure, agency, make_citizen):
    with pytest.raises(DomainError) as exc:
        submit_online(
            user=make_citizen(),
            submission=submission(offline_procedure, agency, form_data={}, uploads={}),
        )
    assert exc.value.code == "not_online"
    assert not Dossier.objects.exists()


def test_failure_after_files_were_written_removes_them(
    birth_procedure, agency, make_citizen, monkeypatch
):
    from egov.dossiers import services

    def explode(**kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full while writing the event")

    monkeypatch.setattr(services, "record_event", explode)
    with pytest.raises(RuntimeError):
        submit_online(user=make_citizen(), submission=submission(birth_procedure, agency))
    assert not Dossier.objects.exists() and not stored_files()


def test_public_lookup_needs_the_right_second_factor(birth_procedure, agency, make_citizen):
    citizen = make_citizen()
    dossier = submit_online(user=citizen, submission=submission(birth_procedure, agency))
    assert public_lookup(dossier.code, citizen.username) == dossier
    assert public_lookup(dossier.code.lower(), citizen.phone) == dossier
    assert public_lookup(dossier.code, "0" + citizen.phone[3:]) == dossier  # 09... form
    other = make_citizen()
    assert public_lookup(dossier.code, other.username) is None
    assert public_lookup(dossier.code, "") is None
    assert public_lookup("NOPE", citizen.username) is None
