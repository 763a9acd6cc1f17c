"""The demo's results: a result document for a dossier (the draft a specialist prepares), and
finished dossiers whose result is an electronic original, made through the real one-stop flow:
received at the desk, the specialist records the draft, the leader approves by signing it (PAdES,
with the agency's seal where the procedure asks) with a code from the demo authenticator, and
the desk returns it. Their result files pass `pdfsig` and pyHanko against the demo trust list.

The signature is confirmed by the leader's current authenticator code, which each leader may use
once: the demo therefore finishes one dossier per commune (one signature per leader per code
period). Everything is made now, so the dossiers are early.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from egov.core.actors import SYSTEM, actor_for_user
from egov.core.pdfrender import render_pdf
from egov.dossiers.models import Dossier
from egov.onestop import services
from egov.onestop.models import DossierStep, StepStatus
from egov.org.models import Agency, Official, Role

BIRTH_REGISTRATION = "1.001193.000.00.00.H41"


@dataclass(frozen=True)
class DemoBirth:
    commune_key: str  # the demo commune (data.AGENCIES key)
    citizen: str  # the demo citizen who registers the birth online (data.CITIZENS)
    relationship: str
    child: str
    sex: str
    born: str  # ISO date
    place: str
    father: str
    mother: str


BIRTHS: tuple[DemoBirth, ...] = (
    DemoBirth(
        "halong",
        "022085012345",
        "Cha",
        "Nguyễn An Khang",
        "Nam",
        "2026-11-02",
        "Bệnh viện Bãi Cháy, tỉnh Quảng Ninh",
        "Nguyễn Văn An",
        "Lê Thu Trang",
    ),
    DemoBirth(
        "baichay",
        "022192067890",
        "Mẹ",
        "Phạm Bảo Ngọc",
        "Nữ",
        "2026-10-15",
        "Bệnh viện Sản Nhi Quảng Ninh",
        "Phạm Văn Tùng",
        "Trần Thị Bình",
    ),
)


def _facts(dossier: Dossier) -> list[tuple[str, str]]:
    """The result's content: for a birth registration the declaration as filled in, else what
    the procedure gives."""
    if dossier.procedure.code != BIRTH_REGISTRATION:
        return [
            ("Thủ tục", dossier.procedure.name),
            ("Kết quả", dossier.procedure.result_description or "Kết quả giải quyết"),
            ("Cấp cho", dossier.applicant_name),
            ("Hồ sơ", dossier.code),
        ]
    declared = (dossier.form_data or {}).get("to-khai") or {}
    return [
        ("Họ, chữ đệm, tên", declared.get("child_name", "")),
        ("Giới tính", declared.get("child_sex", "")),
        ("Ngày, tháng, năm sinh", _vn_date(declared.get("date_of_birth", ""))),
        ("Nơi sinh", declared.get("place_of_birth", "")),
        ("Dân tộc", declared.get("ethnicity", "")),
        ("Quốc tịch", declared.get("nationality", "")),
        ("Họ, chữ đệm, tên người cha", declared.get("father_name", "")),
        ("Họ, chữ đệm, tên người mẹ", declared.get("mother_name", "")),
        ("Người đi đăng ký khai sinh", dossier.applicant_name),
        ("Hồ sơ", dossier.code),
    ]


def _vn_date(value: str) -> str:
    """2026-11-02 → 02/11/2026 (a date the form stored as ISO); anything else as it is."""
    parts = value.split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return f"{parts[2]}/{parts[1]}/{parts[0]}"
    return value


def result_pdf(dossier: Dossier) -> bytes:
    """The draft result of `dossier` as the specialist prepares it (unsigned): a Giấy khai sinh
    for a birth registration, else a result sheet naming what the procedure gives."""
    now = timezone.localtime()
    agency = dossier.agency
    birth = dossier.procedure.code == BIRTH_REGISTRATION
    place = agency.admin_unit.name if agency.admin_unit_id else ""  # type: ignore[union-attr]
    return render_pdf(
        "demo/result.html",
        {
            "dossier": dossier,
            "title": "Giấy khai sinh"
            if birth
            else (dossier.procedure.result_description or "Kết quả giải quyết"),
            "agency_name": agency.name,
            "number": f"{dossier.register_number or 1}/{now.year}",
            "facts": _facts(dossier),
            "place": place.replace("Phường ", "").replace("Xã ", ""),
            "day": f"{now.day:02d}",
            "month": f"{now.month:02d}",
            "year": now.year,
            "signer_label": "NGƯỜI KÝ GIẤY KHAI SINH" if birth else "NGƯỜI KÝ",
            "sealed": dossier.procedure.result_sealed,
        },
    )


def current_demo_code(user: object = None) -> str:
    """The code the demo authenticator shows now (all demo accounts share its secret), not
    one about to expire. Each account may use a code once: callers sign as distinct users."""
    import time

    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    from .data import DEMO_TOTP_SECRET

    period = app_settings.TOTP_PERIOD
    if period - time.time() % period < 2:
        time.sleep(2.2)
    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, int(time.time()) // period))


def _active(dossier: Dossier) -> DossierStep | None:
    return (
        DossierStep.objects.filter(dossier=dossier, status=StepStatus.ACTIVE)
        .select_related("assignee__user")
        .first()
    )


def finish_with_result(dossier: Dossier, *, code_for: object = None) -> Dossier:
    """Take `dossier` from where it is to returned, as its officials would: each step's holder
    forwards it; the specialist records the draft (`result_pdf`) before handing it to the
    leader; where the procedure returns an electronic original the leader approves by signing
    it, confirmed by `code_for(user)` (default: the demo authenticator's current code)."""

    code_of = code_for or current_demo_code
    for _ in range(20):  # a process has a handful of steps
        dossier.refresh_from_db()
        step = _active(dossier)
        if step is None or step.assignee is None:
            break
        actor = actor_for_user(step.assignee.user)
        if step.role == Role.RECEIVER:
            if dossier.status == 9:  # done: the desk hands the result back
                services.return_result(actor=actor, dossier=dossier.code)
            break
        if services.is_signing_step(dossier, step):
            services.approve_and_sign(
                actor=actor,
                dossier=dossier.code,
                code=code_of(step.assignee.user),  # type: ignore[operator]
                note="Đồng ý, ký số kết quả.",
            )
            continue
        if step.role == Role.SPECIALIST and services.result_draft(dossier) is None:
            pdf = result_pdf(dossier)
            services.record_result(
                actor=actor,
                dossier=dossier.code,
                upload=SimpleUploadedFile(
                    f"ket-qua-{dossier.code}.pdf", pdf, content_type="application/pdf"
                ),
            )
        services.forward(actor=actor, dossier=dossier.code)
    dossier.refresh_from_db()
    return dossier


def load_demo_results() -> int:
    """Finished birth registrations with a signed Giấy khai sinh, submitted online by the demo
    citizens (so "Hồ sơ của tôi" shows the electronic original), one per commune in BIRTHS;
    nothing for a commune that already has a birth registration. Needs the demo CA
    (`make_demo_ca`), made here when missing. Returns how many dossiers were made."""
    from egov.accounts.models import User
    from egov.dossiers.services import Submission, submit_online
    from egov.signing.services import ensure_demo_ca

    from .data import AGENCIES, CITIZENS

    identifiers = {a.key: a.identifier for a in AGENCIES}
    phones = {c.personal_id: c.phone for c in CITIZENS}
    ensure_demo_ca(actor=SYSTEM)
    made = 0
    for birth in BIRTHS:
        agency = Agency.objects.filter(identifier=identifiers[birth.commune_key]).first()
        receiver = (
            Official.objects.filter(agency=agency, roles__role=Role.RECEIVER)
            .select_related("user")
            .first()
        )
        citizen = User.objects.filter(username=birth.citizen).first()
        if agency is None or receiver is None or citizen is None:
            continue
        if Dossier.objects.filter(agency=agency, procedure__code=BIRTH_REGISTRATION).exists():
            continue
        dossier = submit_online(
            user=citizen,
            submission=Submission(
                procedure_code=BIRTH_REGISTRATION,
                agency_identifier=agency.identifier,
                form_data={
                    "to-khai": {
                        "child_name": birth.child,
                        "child_sex": birth.sex,
                        "date_of_birth": birth.born,
                        "place_of_birth": birth.place,
                        "ethnicity": "Kinh",
                        "nationality": "Việt Nam",
                        "father_name": birth.father,
                        "mother_name": birth.mother,
                        "applicant_name": citizen.get_full_name(),
                        "applicant_id": birth.citizen,
                        "applicant_phone": phones.get(birth.citizen, "0912000001"),
                        "relationship": birth.relationship,
                    }
                },
                uploads={
                    "giay-chung-sinh": [
                        SimpleUploadedFile(
                            "giay-chung-sinh.pdf", _paper(), content_type="application/pdf"
                        )
                    ]
                },
                result_delivery="online",
            ),
        )
        services.receive_online(actor=actor_for_user(receiver.user), dossier=dossier.code)
        finish_with_result(dossier)
        made += 1
    return made


def _paper() -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
