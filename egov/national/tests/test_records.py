"""The sync record and the process steps are built from the events (records.py, projector.py),
through the real one-stop services."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from egov.dossiers.models import Dossier
from egov.events.models import Event, OutboxMessage
from egov.national import records
from egov.national.models import SyncRecord
from egov.national.standin import validate_record, validate_step

from .conftest import APPLICANT_ID, APPLICANT_NAME, finish, receive

pytestmark = pytest.mark.django_db


def test_the_record_follows_the_dossier_events(staff, procedure):
    with time_machine.travel(datetime(2026, 12, 1, 8, 0, tzinfo=records.LOCAL), tick=False):
        dossier = receive(staff, procedure)
    sync = SyncRecord.objects.get(code=dossier.code)
    record = sync.record
    assert record["MaHoSo"] == dossier.code
    assert (record["MaTTHC"], record["TenTTHC"]) == (procedure.code, procedure.name)
    assert (record["MaLinhVuc"], record["TenLinhVuc"]) == (
        procedure.sector.code,
        procedure.sector.name,
    )
    assert (record["ChuHoSo"], record["SoGiayToChuHoSo"], record["LoaiDoiTuong"]) == (
        APPLICANT_NAME,
        APPLICANT_ID,
        "1",
    )
    assert record["KenhThucHien"] == "1" and record["TrangThaiHoSo"] == "4"
    assert record["DonViXuLy"] == dossier.agency.identifier
    assert record["NgayTiepNhan"] == record["NgayNopHoSo"] == "20261201080000"
    assert record["NgayHenTra"] == records.stamp(dossier.appointment_at)
    assert record["TaiLieuNop"][0]["DuocSoHoa"] == "1" and record["HoSoCoThanhPhanSoHoa"] == "1"
    assert record["NgayTra"] == "" and record["NgayTuChoi"] == ""
    assert [s.data["NoiDungXuLy"] for s in sync.steps.all()] == ["Tiếp nhận hồ sơ"]
    assert validate_record(record) == []

    with time_machine.travel(datetime(2026, 12, 2, 9, 30, tzinfo=records.LOCAL), tick=False):
        returned = finish(staff, dossier)
    sync.refresh_from_db()
    record = sync.record
    assert record["TrangThaiHoSo"] == "10"
    assert record["NgayTra"] == records.stamp(returned.returned_at) == "20261202093000"
    assert record["NgayKetThucXuLy"] == records.stamp(returned.finished_at)
    assert len(record["DanhSachGiayToKetQua"]) == 1
    steps = [s.data for s in sync.steps.all()]
    assert [s["STT"] for s in steps] == [1, 2, 3, 4, 5]
    assert [s["TrangThai"] for s in steps] == ["2", "4", "4", "9", "10"]
    forwarded = steps[2]
    assert forwarded["NoiDungXuLy"].endswith("Hồ sơ hợp lệ")
    assert forwarded["PhongBanXuLy"] == "Phòng Hộ tịch" and forwarded["ChucDanh"] == "Chuyên viên"
    assert forwarded["NgayKetThucTheoQuyDinh"] != ""
    assert all(validate_step(s) == [] for s in steps)
    # received, step started (status 2 -> 4), result, forwarded, done, returned
    assert sync.version == 6


def test_without_a_portal_address_nothing_is_queued(staff, procedure, settings):
    settings.NATIONAL_PORTAL_URL = ""
    receive(staff, procedure)
    assert not OutboxMessage.objects.filter(topic="national_portal").exists()


def test_one_waiting_message_per_dossier(staff, procedure, portal):
    dossier = receive(staff, procedure)
    finish(staff, dossier)  # four more versions while the first message still waits
    keys = set(
        OutboxMessage.objects.filter(topic="national_portal").values_list(
            "idempotency_key", flat=True
        )
    )
    assert keys == {f"national:{dossier.code}:v1:r0"}
    from .helpers import drain

    drain()
    assert portal.dossiers[dossier.code] == SyncRecord.objects.get(code=dossier.code).record


def test_old_events_without_applicant_fields_fall_back_to_the_dossier_row(staff, procedure):
    dossier = receive(staff, procedure)
    event = Event.objects.get(subject_id=dossier.code, event_type="dossier.received")
    payload = {
        k: v
        for k, v in event.payload.items()
        if k not in ("applicant_name", "applicant_id_number", "applicant_kind", "summary")
    }
    Dossier.objects.filter(pk=dossier.pk).update(applicant_name="Trần Văn Cũ")
    old = Event(
        **{**{f.name: getattr(event, f.name) for f in Event._meta.fields}, "payload": payload}
    )
    record = records.empty_record(dossier.code)
    records.apply(old, record, {})
    assert record["ChuHoSo"] == "Trần Văn Cũ"
    assert record["SoGiayToChuHoSo"] == APPLICANT_ID
