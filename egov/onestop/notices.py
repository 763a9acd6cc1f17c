"""Forms 02, 03 and 04 of the one-stop mechanism issued as documents: the form's fields built from
the dossier and the action, rendered as a PDF, signed by the issuing official where the form has
a signature, stored as a dossier file and announced to the applicant (e-mail, SMS) through the
outbox, all inside the action's transaction (a rollback leaves neither row, file nor message).

Which text this follows
-----------------------
The layout and wording of the forms in the annex of Circular 01/2018/TT-VPCP (guiding Decree
61/2018/NĐ-CP), as provincial one-stop systems print them (checked against public
implementations: Thanh Hóa's form 02 "Theo Mẫu số 02 ... Thông tư số 01/2018/TT-VPCP", a land
registration office's form 04). Decree 118/2025/NĐ-CP replaced Decree 61/2018 from 1 July 2025;
one secondary source (a 2026 design document) says its guiding Circular 03/2025/TT-VPCP carries
the forms in its Appendix I: 01 receipt, 02 supplement request, 03 refusal, 04 "Văn bản xin lỗi
và đề nghị gia hạn thời gian giải quyết", 05 stop notice, 06 control sheet, 07 register. The text
of that appendix could not be read here: **unverified**. Forms 02 and 03 keep their names there;
form 04 keeps its 2018 title below (the engine's letter is still an apology with a new date)
until the 2025 text is checked. Titles, symbols and signature labels are data (FORMS) so that an
administrator's correction is one line.

Fields of each form
-------------------
Every form: the issuing agency (its parent agency above it, the issuing unit below), "Số:" (the
dossier code and the form's symbol; a local convention, the legal numbering is **unverified**),
the national motto "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM / Độc lập - Tự do - Hạnh phúc", place and
date ("<place>, ngày dd tháng mm năm yyyy"; the place is the agency's administrative unit), the
title, the dossier code (mã hồ sơ) and the signature block.

- 02 Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ: whose dossier (hồ sơ của), procedure (nội dung yêu
  cầu giải quyết), address, phone, e-mail, "Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:" as a
  numbered list (one line of the official's text per item), the reason ("Lý do:"; the engine
  keeps one text, so the reason printed is the legal ground of the form: the dossier is not yet
  complete or correct), the contact for help (the official, the agency's phone), signed by
  "NGƯỜI HƯỚNG DẪN (Ký và ghi rõ họ tên)".
- 03 Phiếu từ chối tiếp nhận giải quyết hồ sơ: whose dossier, procedure, address, phone, e-mail,
  "Qua xem xét, ... thông báo không tiếp nhận, giải quyết hồ sơ này với lý do cụ thể như sau:"
  and the reason, "Xin thông báo cho ông/bà được biết và thực hiện./.", signed by "NGƯỜI TIẾP
  NHẬN HỒ SƠ (Ký và ghi rõ họ tên)".
- 04 Phiếu xin lỗi và hẹn lại ngày trả kết quả: addressee (Kính gửi), the reception date and
  agency, procedure (nội dung giải quyết), the appointment the receipt gave, the reason for the
  delay, the apology and the new appointment ("hẹn lại thời gian trả kết quả vào ngày ..."; the
  letter's `new_appointment_at`), "Xin trân trọng cảm ơn!", signed by the leader who approved it
  (their position, else "LÃNH ĐẠO CƠ QUAN"; whether the 2018 form also asks for the agency's seal
  is **unverified**, so no agency signature is applied).

The system holds no postal address for the applicant: "Địa chỉ" shows the result delivery
address when one was given, else a dotted line to fill in by hand.

The notice (the action's e-mail and SMS, same text as before) links to the form on the portal
(PUBLIC_BASE_URL + path) when the applicant has a portal account; only they and the officials who
may see the dossier can open it (the dossier visibility rule, dossiers.scopes).

Signatures: where the form has one, the PDF is signed (PAdES, the signing app's personal
signature with its Decree 30 appearance) with the issuing official's certificate. An official
without a usable certificate (the demo CA gives none to desk clerks) still issues the form,
unsigned: the printed copy is signed by hand, as the label asks.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from egov.core.pdfrender import SIGNATURE_SLOT_ID, render_document, signature_box
from egov.core.uploads import PDF, CheckedFile
from egov.dossiers.models import Dossier, DossierFile
from egov.dossiers.notify import notify_applicant
from egov.dossiers.services import store_paper
from egov.org.models import Agency, Official

from .models import ApologyLetter, SupplementRequest


@dataclass(frozen=True)
class FormSpec:
    number: str  # "02"
    title: str
    symbol: str  # after the dossier code in "Số:"
    kind: str  # DossierFile.Kind
    signer_label: str  # "" when the signer's position is printed instead
    signer_hint: str
    file_stem: str


FORMS: dict[str, FormSpec] = {
    "02": FormSpec(
        "02",
        "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
        "YCBS",
        DossierFile.Kind.FORM_02,
        "NGƯỜI HƯỚNG DẪN",
        "(Ký và ghi rõ họ tên)",
        "mau-02-phieu-yeu-cau-bo-sung",
    ),
    "03": FormSpec(
        "03",
        "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
        "TCTN",
        DossierFile.Kind.FORM_03,
        "NGƯỜI TIẾP NHẬN HỒ SƠ",
        "(Ký và ghi rõ họ tên)",
        "mau-03-phieu-tu-choi",
    ),
    "04": FormSpec(
        "04",
        "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
        "PXL",
        DossierFile.Kind.FORM_04,
        "",
        "(Ký và ghi rõ họ tên)",
        "mau-04-phieu-xin-loi",
    ),
}

LEADER_FALLBACK = "LÃNH ĐẠO CƠ QUAN"
SUPPLEMENT_GROUND = (
    "Hồ sơ chưa đầy đủ hoặc chưa chính xác theo quy định của thủ tục hành chính (các nội dung "
    "nêu trên)."
)

_PLACE_PREFIXES = re.compile(
    r"^(Tỉnh|Thành phố|TP\.?|Xã|Phường|Đặc khu|Huyện|Quận|Thị xã)\s+", re.I
)


# --- the fields ----------------------------------------------------------------------------------


def _place(agency: Agency) -> str:
    unit = agency.admin_unit
    return _PLACE_PREFIXES.sub("", unit.name).strip() if unit is not None else ""


def _date_line(agency: Agency, at: datetime) -> str:
    local = timezone.localtime(at)
    date = f"ngày {local:%d} tháng {local:%m} năm {local:%Y}"
    place = _place(agency)
    return f"{place}, {date}" if place else date.capitalize()


def _day(at: datetime | None) -> str:
    return f"{timezone.localtime(at):%d/%m/%Y}" if at else "……"


def _moment(at: datetime | None) -> str:
    if at is None:
        return "……"
    local = timezone.localtime(at)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"


def _common(
    spec: FormSpec, dossier: Dossier, official: Official, at: datetime, ordinal: int = 1
) -> dict[str, Any]:
    agency = official.agency
    serial = dossier.code if ordinal <= 1 else f"{dossier.code}-{ordinal}"
    return {
        "spec": spec,
        "dossier": dossier,
        "parent_name": agency.parent.name if agency.parent_id and agency.parent else "",
        "agency_name": agency.name,
        "unit_name": official.unit.name if official.unit_id and official.unit else "",
        "number": f"{serial}/{spec.symbol}",
        "date_line": _date_line(agency, at),
        "procedure": dossier.procedure.name,
        "address": dossier.delivery_address,
        "phone": dossier.applicant_phone,
        "email": dossier.applicant_email,
        "agency_phone": agency.phone,
        "official_name": official.user.get_full_name(),
        "signer_label": spec.signer_label or _position_label(official),
        "signer_name": official.user.get_full_name(),
    }


def _position_label(official: Official) -> str:
    position = official.position.name if official.position_id and official.position else ""
    return position.upper() if position else LEADER_FALLBACK


def supplement_fields(request: SupplementRequest, ordinal: int) -> dict[str, Any]:
    """Form 02's fields. A request naming its papers (#15 on) prints them as the items and the
    official's reason as "Lý do"; a reason-only request prints the reason's lines as the items
    and the legal ground as the reason."""
    dossier, official = request.dossier, request.requested_by
    return {
        **_common(FORMS["02"], dossier, official, request.requested_at, ordinal),
        "items": [paper["name"] for paper in request.papers],
        "ground": request.reason if request.structured else SUPPLEMENT_GROUND,
        "answer_by": _answer_by(request),
        # Answered online only by an applicant with a portal account, at the site's address.
        "portal_url": _absolute(reverse("portal:my_dossier", args=[dossier.code]))
        if dossier.applicant_id and _base_url()
        else "",
        "online": bool(dossier.applicant_id),
    }


def _answer_by(request: SupplementRequest) -> str:
    if request.answer_by is None:
        return ""
    return f"{timezone.localtime(request.answer_by):%H giờ %M, ngày %d/%m/%Y}"


def supplement_notice(request: SupplementRequest) -> str:
    """The supplement notice in full: what, why, by when, who asked."""
    dossier, official = request.dossier, request.requested_by
    papers = "; ".join(
        f"{number}. {paper['name'].rstrip('.;')}"
        for number, paper in enumerate(request.papers, start=1)
    )
    who = official.user.get_full_name()
    where = official.unit.name if official.unit_id and official.unit else ""
    agency = official.agency.name
    lines = [
        f"Hồ sơ {dossier.code} ({dossier.procedure.name}) cần bổ sung giấy tờ.",
        f"Giấy tờ cần bổ sung: {papers}.",
    ]
    if request.structured:
        lines.append(f"Lý do: {request.reason.rstrip('.')}.")
    if request.answer_by is not None:
        lines.append(f"Hạn bổ sung: trước {_answer_by(request)}.")
    lines.append(f"Người yêu cầu: {who}, {', '.join(x for x in (where, agency) if x)}.")
    lines.append(
        "Thời hạn giải quyết tạm dừng từ hôm nay đến khi ông/bà bổ sung; ngày hẹn trả kết quả "
        "lùi theo thời gian chờ. Ông/bà bổ sung trên Cổng dịch vụ công hoặc tại Bộ phận Một cửa."
    )
    return "\n".join(lines)


def refusal_fields(
    dossier: Dossier, official: Official, reason: str, at: datetime
) -> dict[str, Any]:
    return {**_common(FORMS["03"], dossier, official, at), "reason": reason}


def apology_fields(dossier: Dossier, letter: ApologyLetter, ordinal: int) -> dict[str, Any]:
    official = letter.decided_by or letter.drafted_by
    at = letter.decided_at or timezone.now()
    return {
        **_common(FORMS["04"], dossier, official, at, ordinal),
        "received_day": _day(dossier.received_at or dossier.submitted_at),
        "receiving_agency": dossier.agency.name,
        "previous_appointment": _moment(letter.previous_appointment_at),
        "reason": letter.reason,
        "new_appointment": _moment(letter.new_appointment_at),
        "new_day": f"{timezone.localtime(letter.new_appointment_at):ngày %d tháng %m năm %Y}",
    }


# --- rendering, signing, storing -----------------------------------------------------------------


def _base_url() -> str:
    return str(getattr(settings, "PUBLIC_BASE_URL", "") or "").rstrip("/")


def _absolute(path: str) -> str:
    """A link the applicant can follow from an e-mail or SMS (PUBLIC_BASE_URL, else the path)."""
    return f"{_base_url()}{path}"


@dataclass(frozen=True)
class Rendered:
    content: bytes
    pages: int
    box: tuple[float, float, float, float] | None


def render(fields: dict[str, Any], *, for_signing: bool) -> Rendered:
    """The form as a PDF; the copy made for signing leaves the signature slot empty and returns
    where the signature box goes (x1, y1, x2, y2 in PDF points)."""
    spec: FormSpec = fields["spec"]
    document = render_document(
        f"onestop/pdf/form{spec.number}.html",
        {**fields, "for_signing": for_signing, "slot_id": SIGNATURE_SLOT_ID},
    )
    box = signature_box(document) if for_signing else None
    return Rendered(bytes(document.write_pdf()), len(document.pages), box)


def _identity(official: Official) -> Any:
    """The official's usable certificate, or None (no certificate, expired, revoked)."""
    from egov.signing.services import SigningError, identity_for_official

    try:
        return identity_for_official(official)
    except SigningError:
        return None


def produce(fields: dict[str, Any], signer: Official, at: datetime) -> tuple[bytes, int, bool]:
    """The form's PDF, signed by `signer` when they hold a usable certificate: (pdf, pages,
    signed)."""
    from egov.signing.services import Appearance, sign_pdf

    identity = _identity(signer)
    if identity is None:
        plain = render(fields, for_signing=False)
        return plain.content, plain.pages, False
    slot = render(fields, for_signing=True)
    spec: FormSpec = fields["spec"]
    # The box shows the signer's title, image and name. Under a fixed legal label ("NGƯỜI HƯỚNG
    # DẪN") the title is the official's position (the signing app's default); where the label is
    # the position itself (form 04), the box carries it instead of the page.
    appearance = Appearance(
        title="" if spec.signer_label else fields["signer_label"],
        full_name=fields["signer_name"],
        signing_time=at,
        box=slot.box,
        reason=f"Ký phát hành {spec.title.capitalize()}",
    )
    signed = sign_pdf(slot.content, identity=identity, role="personal", appearance=appearance)
    return signed, slot.pages, True


def _store(dossier: Dossier, spec: FormSpec, pdf: bytes, pages: int, ordinal: int) -> DossierFile:
    suffix = f"-{ordinal}" if ordinal > 1 else ""
    item = CheckedFile(
        name=f"{spec.file_stem}-{dossier.code}{suffix}.pdf",
        content=pdf,
        content_type=PDF,
        size=len(pdf),
        sha256=hashlib.sha256(pdf).hexdigest(),
        page_count=pages,
    )
    return store_paper(dossier, item, spec.kind)


def _link(row: DossierFile, label: str) -> str:
    """The notice's pointer to the form on the portal, for an applicant with a portal account
    (one received at the desk without an account gets the paper there)."""
    if row.dossier.applicant_id is None:
        return ""
    return f" {label}: " + _absolute(reverse("portal:issued_form", args=[row.dossier.code, row.pk]))


def _issue(
    dossier: Dossier, fields: dict[str, Any], signer: Official, at: datetime, ordinal: int
) -> DossierFile:
    spec: FormSpec = fields["spec"]
    pdf, pages, _signed = produce(fields, signer, at)
    return _store(dossier, spec, pdf, pages, ordinal)


# --- the three actions' forms (called inside the action's transaction) ---------------------------


def issue_supplement_request(dossier: Dossier, request: SupplementRequest) -> DossierFile:
    """Form 02 for `request` (the dossier's `supplement_count`-th), and the applicant's notice."""
    ordinal = dossier.supplement_count or 1
    row = _issue(
        dossier,
        supplement_fields(request, ordinal),
        request.requested_by,
        request.requested_at,
        ordinal,
    )
    deadline = (
        f" trước {timezone.localtime(request.answer_by):%d/%m/%Y}" if request.answer_by else ""
    )
    notify_applicant(
        dossier,
        f"supplement-{request.pk}",
        supplement_notice(request)
        + _link(row, "Phiếu yêu cầu bổ sung (mẫu 02)").replace(" ", "\n", 1),
        subject=f"Hồ sơ {dossier.code}: cần bổ sung giấy tờ{deadline}",
    )
    return row


def issue_refusal(dossier: Dossier, official: Official, reason: str) -> DossierFile:
    """Form 03 for a dossier refused at reception, and the applicant's notice."""
    at = dossier.finished_at or timezone.now()
    row = _issue(dossier, refusal_fields(dossier, official, reason, at), official, at, 1)
    notify_applicant(
        dossier,
        "refused",
        subject=f"Hồ sơ {dossier.code}: không được tiếp nhận",
        text=f"Hồ sơ {dossier.code} không được tiếp nhận. Lý do: {reason.rstrip('.')}."
        f"{_link(row, 'Phiếu từ chối tiếp nhận (mẫu 03)')}",
    )
    return row


def issue_apology(dossier: Dossier, letter: ApologyLetter) -> DossierFile:
    """Form 04 for an approved letter (signed by the leader who approved it), and the notice."""
    ordinal = ApologyLetter.objects.filter(
        dossier=dossier, status=ApologyLetter.Status.APPROVED, pk__lte=letter.pk
    ).count()
    signer = letter.decided_by or letter.drafted_by
    at = letter.decided_at or timezone.now()
    row = _issue(dossier, apology_fields(dossier, letter, ordinal), signer, at, ordinal)
    notify_applicant(
        dossier,
        f"apology-{letter.pk}",
        subject=f"Hồ sơ {dossier.code}: xin lỗi và hẹn lại ngày trả kết quả",
        text=f"Xin lỗi ông/bà: hồ sơ {dossier.code} chậm so với hẹn ({letter.reason}). "
        f"Ngày hẹn trả mới: {timezone.localtime(letter.new_appointment_at):%d/%m/%Y}."
        f"{_link(row, 'Phiếu xin lỗi và hẹn lại ngày trả kết quả (mẫu 04)')}",
    )
    return row
