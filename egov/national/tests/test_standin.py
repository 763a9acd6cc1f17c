"""The stand-in portal validates every field and stores idempotently; the deliverer maps its
answers to retry or dead."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from egov.events.models import OutboxMessage
from egov.national import adapter
from egov.national.models import SyncRecord
from egov.national.standin import NationalPortalStandIn, validate_record, validate_step

from .conftest import TOKEN, finish, receive
from .helpers import drain

pytestmark = pytest.mark.django_db

GOOD: dict[str, Any] = {
    "MaHoSo": "000.00.01.H41-261204-0001",
    "MaTTHC": "1.000001.000.00.00.H41",
    "TenTTHC": "Cấp giấy xác nhận tình trạng hôn nhân",
    "MaLinhVuc": "HT",
    "TenLinhVuc": "Hộ tịch",
    "KenhThucHien": "2",
    "ChuHoSo": "Nguyễn Văn An",
    "SoGiayToChuHoSo": "022195001234",
    "LoaiDoiTuong": "1",
    "TrichYeuHoSo": "Xác nhận tình trạng hôn nhân",
    "NgayTiepNhan": "20261204090000",
    "NgayHenTra": "20261208170000",
    "TrangThaiHoSo": "4",
    "NgayTra": "",
    "NgayKetThucXuLy": "",
    "DonViXuLy": "000.00.01.H41",
    "TaiLieuNop": [
        {
            "MaThanhPhanHoSo": "to-khai",
            "DuongDanTaiTepTin": "hoso/x/abc",
            "DuocSoHoa": "0",
            "DuocTaiSuDung": "0",
            "DuocLayTuKhoDMQG": "0",
        }
    ],
    "DanhSachLePhi": [
        {
            "TenPhiLePhi": "Lệ phí",
            "MaPhiLePhi": "",
            "HinhThucThu": "1",
            "Gia": 200000,
            "LoaiPhiLePhi": "1",
        }
    ],
    "DanhSachHoSoBoSung": [],
    "DanhSachGiayToKetQua": [],
    "HoSoCoThanhPhanSoHoa": "0",
    "TaiKhoanDuocXacThucVoiVNeID": "1",
    "DuocThanhToanTrucTuyen": "1",
    "NgayTuChoi": "",
    "NgayNopHoSo": "20261204085500",
}
STEP = {
    "MaHoSo": GOOD["MaHoSo"],
    "STT": 1,
    "NguoiXuLy": "Cán bộ",
    "ChucDanh": "Chuyên viên",
    "ThoiDiemXuLy": "20261204090000",
    "PhongBanXuLy": "Bộ phận Một cửa",
    "NoiDungXuLy": "Tiếp nhận hồ sơ",
    "TrangThai": "2",
    "NgayBatDau": "20261204090000",
    "NgayKetThucTheoQuyDinh": "",
}


def changed(**fields: Any) -> dict[str, Any]:
    record = copy.deepcopy(GOOD)
    record.update(fields)
    return record


def test_a_good_record_and_step_pass():
    assert validate_record(GOOD) == [] and validate_step(STEP) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("MaHoSo", "HS-1"),
        ("MaTTHC", "1.0001"),
        ("TenTTHC", ""),
        ("MaLinhVuc", "linh vực"),
        ("KenhThucHien", 2),
        ("ChuHoSo", None),
        ("SoGiayToChuHoSo", "0221-95"),
        ("LoaiDoiTuong", "3"),
        ("TrangThaiHoSo", "11"),
        ("DonViXuLy", "H41"),
        ("NgayNopHoSo", ""),
        ("NgayTiepNhan", "2026-12-04"),
        ("NgayHenTra", "20261332000000"),
        ("HoSoCoThanhPhanSoHoa", "có"),
        ("DuocThanhToanTrucTuyen", 1),
        ("TaiLieuNop", "to-khai"),
        ("DanhSachLePhi", [{**GOOD["DanhSachLePhi"][0], "Gia": 1.5}]),
        ("DanhSachLePhi", [{**GOOD["DanhSachLePhi"][0], "Gia": True}]),
        ("DanhSachLePhi", [{**GOOD["DanhSachLePhi"][0], "HinhThucThu": "9"}]),
        ("DanhSachHoSoBoSung", [{"NgayYeuCauBoSung": "x", "NoiDungYeuCau": "a"}]),
        ("DanhSachGiayToKetQua", [{"MaGiayToKetQua": ""}]),
        ("TruongLa", "x"),
    ],
)
def test_each_bad_field_is_refused_by_name(field, value):
    problems = validate_record(changed(**{field: value}))
    assert problems and any(field in p for p in problems)


def test_a_returned_dossier_needs_its_return_date():
    assert validate_record(changed(TrangThaiHoSo="10"))
    assert validate_record(changed(TrangThaiHoSo="10", NgayTra="20261205100000")) == []


def test_bad_steps_are_refused():
    assert validate_step({**STEP, "STT": 0})
    assert validate_step({**STEP, "ThoiDiemXuLy": "04/12/2026"})
    assert validate_step({**STEP, "TrangThai": "0"})
    assert validate_step({**STEP, "NoiDungXuLy": ""})


def test_the_same_record_twice_is_one_dossier_and_steps_are_keyed():
    with NationalPortalStandIn(token=TOKEN) as server:
        portal = adapter.HttpNationalPortal(server.url, TOKEN, timeout=5)
        portal.add(GOOD)
        portal.add(GOOD)
        portal.update(changed(TrangThaiHoSo="9"))
        portal.push_steps(GOOD["MaHoSo"], [STEP])
        portal.push_steps(GOOD["MaHoSo"], [STEP, {**STEP, "STT": 2}])
        assert len(server.dossiers) == 1
        assert server.dossiers[GOOD["MaHoSo"]]["TrangThaiHoSo"] == "9"
        assert [s["STT"] for s in server.steps_of(GOOD["MaHoSo"])] == [1, 2]
        (count,) = portal.counts(__import__("datetime").date(2026, 12, 4))
        assert (count.agency, count.count, count.codes) == (
            "000.00.01.H41",
            1,
            frozenset({GOOD["MaHoSo"]}),
        )


def test_the_portal_answers_are_mapped_to_errors():
    with NationalPortalStandIn(token=TOKEN) as server:
        portal = adapter.HttpNationalPortal(server.url, TOKEN, timeout=5)
        with pytest.raises(adapter.PortalError) as invalid:
            portal.add(changed(MaTTHC="x"))
        assert invalid.value.code == "1" and invalid.value.permanent
        with pytest.raises(adapter.PortalError) as unknown:
            portal.update(GOOD)
        assert unknown.value.code == "2" and not unknown.value.permanent
        with pytest.raises(adapter.PortalError) as unknown_steps:
            portal.push_steps(GOOD["MaHoSo"], [STEP])
        assert unknown_steps.value.code == "2"
        server.control({"fail_rate": 1})
        with pytest.raises(adapter.PortalError) as failed:
            portal.add(GOOD)
        assert not failed.value.permanent
        server.control({"fail_rate": 0, "timeout_rate": 1, "timeout_delay": 1})
        quick = adapter.HttpNationalPortal(server.url, TOKEN, timeout=0.2)
        with pytest.raises(adapter.PortalError) as timed_out:
            quick.add(GOOD)
        assert timed_out.value.code == "" and not timed_out.value.permanent


def test_a_refused_record_goes_dead_and_shows_on_the_health_panel(portal, staff, procedure):
    from egov.national.health import sync_health

    # A sector code the portal's format refuses (a catalogue entry not fit for the portal).
    procedure.sector.__class__.objects.filter(pk=procedure.sector_id).update(code="MÃ SAI")
    dossier = receive(staff, procedure)
    drain()
    message = OutboxMessage.objects.get(topic="national_portal")
    assert message.status == "dead" and "MaLinhVuc" in message.last_error
    (health,) = sync_health()
    assert (health.agency_code, health.pending, health.dead) == (dossier.agency.identifier, 1, 1)


def test_an_update_the_portal_does_not_know_is_added_again(portal, staff, procedure):
    dossier = receive(staff, procedure)
    drain()
    del portal.dossiers[dossier.code]  # the portal lost it between two versions
    finish(staff, dossier)
    drain()
    sync = SyncRecord.objects.get(code=dossier.code)
    assert portal.dossiers[dossier.code] == sync.record
    assert len(portal.steps_of(dossier.code)) == 5


def test_a_stale_message_delivered_late_does_not_regress_the_portal(portal, staff, procedure):
    from egov.events.services import dispatch_message

    dossier = receive(staff, procedure)
    first = OutboxMessage.objects.get(topic="national_portal")
    finish(staff, dossier)
    drain()
    assert portal.dossiers[dossier.code]["TrangThaiHoSo"] == "10"
    OutboxMessage.objects.filter(pk=first.pk).update(status="pending")
    dispatch_message(first.pk)  # the v1 message again, after v5 was acknowledged
    assert portal.dossiers[dossier.code]["TrangThaiHoSo"] == "10"
