"""Building the national portal's records from the dossier events (no I/O but reference data).

`apply(event, record, state)` folds one dossier event into the dossier's sync record (a dict
with the portal's field names) and returns the process-step record the event adds, if any.
The field → event mapping is in docs/national.md. Formats (the stand-in checks them,
standin.py):

- dates: "yyyyMMddHHmmss" in Vietnam's local time (Asia/Ho_Chi_Minh), "" when not (yet) known;
- codes and flags: strings ("1"/"0"), TrangThaiHoSo the dossier status 1..10, KenhThucHien
  1 (in person) 2 (online) 3 (post), LoaiDoiTuong 1 (citizen) 2 (organisation);
- money: integer đồng (DanhSachLePhi[].Gia).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.utils.dateparse import parse_datetime

from egov.catalog.models import Procedure
from egov.dossiers import event_types as E
from egov.dossiers.models import Dossier
from egov.events.catalogue import CATALOGUE
from egov.events.models import Event
from egov.identity.selectors import level_of
from egov.org.models import Agency, Official

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
TIME_FORMAT = "%Y%m%d%H%M%S"
CITIZEN, ORGANISATION = "1", "2"

RECORD_FIELDS = (
    "MaHoSo",
    "MaTTHC",
    "TenTTHC",
    "MaLinhVuc",
    "TenLinhVuc",
    "KenhThucHien",
    "ChuHoSo",
    "SoGiayToChuHoSo",
    "LoaiDoiTuong",
    "TrichYeuHoSo",
    "NgayTiepNhan",
    "NgayHenTra",
    "TrangThaiHoSo",
    "NgayTra",
    "NgayKetThucXuLy",
    "DonViXuLy",
    "TaiLieuNop",
    "DanhSachLePhi",
    "DanhSachHoSoBoSung",
    "DanhSachGiayToKetQua",
    "HoSoCoThanhPhanSoHoa",
    "TaiKhoanDuocXacThucVoiVNeID",
    "DuocThanhToanTrucTuyen",
    "NgayTuChoi",
    "NgayNopHoSo",
)
STEP_FIELDS = (
    "MaHoSo",
    "STT",
    "NguoiXuLy",
    "ChucDanh",
    "ThoiDiemXuLy",
    "PhongBanXuLy",
    "NoiDungXuLy",
    "TrangThai",
    "NgayBatDau",
    "NgayKetThucTheoQuyDinh",
)

# The events that make a process-step record, and what the step says was done.
STEP_TEXT = {
    E.RECEIVED.name: "Tiếp nhận hồ sơ",
    E.REFUSED.name: "Từ chối tiếp nhận hồ sơ",
    E.FORWARDED.name: "Hoàn thành bước xử lý, chuyển bước tiếp theo",
    E.APPROVED.name: "Phê duyệt kết quả",
    E.DONE.name: "Hoàn thành xử lý hồ sơ",
    E.SENT_BACK.name: "Trả lại bước trước",
    E.SUPPLEMENT_REQUESTED.name: "Yêu cầu bổ sung hồ sơ",
    E.SUPPLEMENT_PROVIDED.name: "Công dân bổ sung hồ sơ",
    E.PAYMENT_REQUESTED.name: "Yêu cầu thực hiện nghĩa vụ tài chính",
    E.PAYMENT_RECEIVED.name: "Đã thu phí, lệ phí",
    E.RESULT_RECORDED.name: "Cập nhật kết quả giải quyết",
    E.RESULT_SIGNED.name: "Ký số kết quả giải quyết",
    E.RETURNED.name: "Trả kết quả",
    E.STOPPED.name: "Dừng xử lý hồ sơ",
    E.WITHDRAWN.name: "Rút hồ sơ",
}


def stamp(moment: datetime | str | None) -> str:
    """A time in the portal's format (local time), "" for none."""
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        parsed = parse_datetime(moment)
        if parsed is None:
            return ""
        moment = parsed
    return moment.astimezone(LOCAL).strftime(TIME_FORMAT)


def empty_record(code: str) -> dict[str, Any]:
    record: dict[str, Any] = dict.fromkeys(RECORD_FIELDS, "")
    record.update(
        MaHoSo=code,
        TaiLieuNop=[],
        DanhSachLePhi=[],
        DanhSachHoSoBoSung=[],
        DanhSachGiayToKetQua=[],
        HoSoCoThanhPhanSoHoa="0",
        TaiKhoanDuocXacThucVoiVNeID="0",
        DuocThanhToanTrucTuyen="0",
    )
    return record


def _reference(record: dict[str, Any], procedure_code: str, agency_id: int | None) -> None:
    """Procedure, sector (catalog) and agency code (org): reference data, not the dossier."""
    procedure = (
        Procedure.objects.select_related("sector").filter(code=procedure_code).first()
        if procedure_code
        else None
    )
    if procedure is not None:
        record.update(
            MaTTHC=procedure.code,
            TenTTHC=procedure.name[:500],
            MaLinhVuc=procedure.sector.code,
            TenLinhVuc=procedure.sector.name[:255],
        )
    if agency_id is not None and not record.get("DonViXuLy"):
        agency = Agency.objects.filter(pk=agency_id).values_list("identifier", flat=True).first()
        record["DonViXuLy"] = agency or ""


def _applicant(record: dict[str, Any], payload: Any, code: str) -> None:
    """From the event (issue #18 on); for older events once from the dossier row."""
    kind, name, number, summary = (
        payload.applicant_kind,
        payload.applicant_name,
        payload.applicant_id_number,
        payload.summary,
    )
    if not name:
        row = (
            Dossier.objects.filter(code=code)
            .values("applicant_kind", "applicant_name", "applicant_id_number", "summary")
            .first()
        )
        if row:
            kind, name = row["applicant_kind"], row["applicant_name"]
            number, summary = row["applicant_id_number"], row["summary"]
    record.update(
        ChuHoSo=name[:255],
        SoGiayToChuHoSo=number[:20],
        LoaiDoiTuong=ORGANISATION if kind == "business" else CITIZEN,
        TrichYeuHoSo=summary[:500],
    )


def _vneid(level: int | None, user_id: int | None) -> str:
    # The level the submitted event carries (issue #18 on) is what the account held then; older
    # events fall back to the account's level now. Any VNeID level counts as authenticated.
    if level is None:
        user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
        level = level_of(user) if user is not None else 0
    return "1" if level >= 1 else "0"


def _files(record: dict[str, Any], code: str, files: list[Any], scanned: bool) -> None:
    known = {f["DuongDanTaiTepTin"] for f in record["TaiLieuNop"]}
    for f in files:
        path = f"hoso/{code}/{f.sha256}"
        if path in known:
            continue
        record["TaiLieuNop"].append(
            {
                "MaThanhPhanHoSo": f.component[:60],
                "DuongDanTaiTepTin": path,
                "DuocSoHoa": "1" if scanned else "0",
                "DuocTaiSuDung": "0",
                "DuocLayTuKhoDMQG": "0",
            }
        )
    if any(f["DuocSoHoa"] == "1" for f in record["TaiLieuNop"]):
        record["HoSoCoThanhPhanSoHoa"] = "1"


def _position(user_id: int | None) -> str:
    """ChucDanh: the acting official's position (org), "" for the system or a citizen."""
    if user_id is None:
        return ""
    found = Official.objects.filter(user_id=user_id).values_list("position__name", flat=True)
    return str(found.first() or "")


def apply(event: Event, record: dict[str, Any], state: dict[str, Any]) -> dict[str, Any] | None:
    """Fold the event into `record` and `state` (both changed in place); the new step, if any."""
    name = event.event_type
    declared = CATALOGUE.get(name)
    if declared is None:
        return None
    payload = declared.read(event.payload or {})
    code = event.subject_id
    at = stamp(event.occurred_at)
    status = getattr(payload, "status", None)

    if isinstance(payload, E.Submitted):
        _reference(record, payload.procedure, event.agency_id)
        _applicant(record, payload, code)
        record.update(
            KenhThucHien=str(payload.channel),
            NgayNopHoSo=at,
            NgayHenTra=stamp(payload.appointment_at),
            TaiKhoanDuocXacThucVoiVNeID=_vneid(payload.identity_level, event.actor_user_id),
        )
        _files(record, code, payload.files, scanned=False)
    elif isinstance(payload, E.Received):
        if not record.get("NgayNopHoSo"):  # born at the desk: no submitted event
            procedure = payload.procedure
            if not procedure:
                procedure = (
                    Dossier.objects.filter(code=code)
                    .values_list("procedure__code", flat=True)
                    .first()
                    or ""
                )
            _reference(record, procedure, event.agency_id)
            _applicant(record, payload, code)
            record["NgayNopHoSo"] = at
        if payload.channel is not None:
            record["KenhThucHien"] = str(payload.channel)
        record["NgayTiepNhan"] = at
        if payload.appointment_at is not None:
            record["NgayHenTra"] = stamp(payload.appointment_at)
        _files(record, code, payload.files, scanned=True)
    elif name == E.REFUSED.name:
        record["NgayTuChoi"] = at
    elif isinstance(payload, E.StepStarted):
        state.setdefault("open", {})[str(payload.step)] = {
            "start": at,
            "due": stamp(payload.due_at),
        }
    elif isinstance(payload, E.SupplementRequested):
        record["DanhSachHoSoBoSung"].append(
            {
                "NgayYeuCauBoSung": at,
                "NoiDungYeuCau": payload.reason[:1000],
                "HanBoSung": stamp(payload.answer_by),
                "NgayBoSung": "",
            }
        )
    elif isinstance(payload, E.SupplementProvided):
        if record["DanhSachHoSoBoSung"]:
            record["DanhSachHoSoBoSung"][-1]["NgayBoSung"] = at
        if payload.appointment_at is not None:
            record["NgayHenTra"] = stamp(payload.appointment_at)
    elif isinstance(payload, E.ResultRecorded | E.ResultSigned):
        entry = {"MaGiayToKetQua": payload.sha256[:32], "DuongDanTepTinKetQua": f"ketqua/{code}/"}
        entry["DuongDanTepTinKetQua"] += payload.sha256
        if entry not in record["DanhSachGiayToKetQua"]:
            record["DanhSachGiayToKetQua"].append(entry)
    elif isinstance(payload, E.DeadlineMoved) and payload.appointment_at is not None:
        record["NgayHenTra"] = stamp(payload.appointment_at)
    if name == E.DONE.name or name in (E.STOPPED.name, E.WITHDRAWN.name):
        record["NgayKetThucXuLy"] = at
    elif name == E.RETURNED.name:
        record["NgayTra"] = at
        if not record.get("NgayKetThucXuLy"):
            record["NgayKetThucXuLy"] = at
    if status is not None:
        record["TrangThaiHoSo"] = str(status)

    text = STEP_TEXT.get(name)
    if text is None:
        return None
    step_no = getattr(payload, "step", None)
    opened = state.get("open", {}).get(str(step_no), {}) if step_no is not None else {}
    note = getattr(payload, "note", "") or getattr(payload, "reason", "")
    due = getattr(payload, "due_at", None)
    return {
        "MaHoSo": code,
        "NguoiXuLy": (getattr(payload, "official", "") or event.actor_label or "Hệ thống")[:150],
        "ChucDanh": _position(event.actor_user_id)[:120],
        "ThoiDiemXuLy": at,
        "PhongBanXuLy": (getattr(payload, "unit_name", "") or getattr(payload, "agency_name", ""))[
            :255
        ],
        "NoiDungXuLy": (f"{text}: {note}" if note else text)[:1000],
        "TrangThai": str(status if status is not None else record.get("TrangThaiHoSo") or ""),
        "NgayBatDau": opened.get("start") or at,
        "NgayKetThucTheoQuyDinh": stamp(due) if due else opened.get("due", ""),
    }


def local_day(moment: datetime) -> Any:
    """The day in Vietnam (reconciliation counts per agency and local day)."""
    return moment.astimezone(LOCAL).date()
