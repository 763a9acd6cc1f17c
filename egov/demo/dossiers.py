"""A few dossiers in the demo province, made through the real one-stop services, so that the
dashboard, the 766 page and the public transparency page (/cong-khai/) show figures instead of
zeros: some returned at the desk, some still in processing, at communes and departments.

They are created only when the demo agencies have no dossier at all (running the demo again adds
nothing). Applicants are made-up people without portal accounts: the demo citizens' "Hồ sơ của
tôi" stays theirs to fill. Every dossier is received now, so the finished ones are early.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile

from egov.catalog.models import Procedure, ReceptionDesk
from egov.core.actors import actor_for_user
from egov.dossiers.models import Dossier
from egov.onestop import services
from egov.onestop.models import DossierStep, StepStatus
from egov.org.models import Agency, Official, Role

from .data import AGENCIES


@dataclass(frozen=True)
class DemoDossier:
    procedure_code: str
    applicant: str
    personal_id: str
    steps_done: int  # processing steps finished after reception (-1: all, and returned)
    # The fees due are paid in cash at the desk when received; False: still unpaid (a procedure
    # paid before processing then waits in status 6 for the desk's "Thu tiền mặt").
    pays: bool = True


RETURNED = -1

# Per procedure, which dossiers: (applicant, personal id, how far it went).
DOSSIERS: tuple[DemoDossier, ...] = (
    # Chứng thực bản sao (4 hours): finished and returned at the desk.
    DemoDossier("2.000815.000.00.00.H41", "Lê Thị Hoa", "022195001234", RETURNED),
    DemoDossier("2.000815.000.00.00.H41", "Phạm Văn Khôi", "022088004321", RETURNED),
    # Xác nhận tình trạng hôn nhân (3 days): with the specialist.
    DemoDossier("1.004873.000.00.00.H41", "Trần Minh Châu", "022197005678", 0),
    # Đăng ký thành lập hộ kinh doanh (3 days): waiting for the leader's approval.
    DemoDossier("2.000720.000.00.00.H41", "Vũ Thị Ngân", "022190002468", 1),
    # Phiếu lý lịch tư pháp (Sở Tư pháp, 10 days): returned, and one in processing.
    DemoDossier("2.000488.000.00.00.H41", "Đỗ Quang Hải", "022092001357", RETURNED),
    DemoDossier("2.000488.000.00.00.H41", "Ngô Thị Lụa", "022196009753", 0, pays=False),
    # Đăng ký thành lập doanh nghiệp tư nhân (Sở Tài chính, 3 days): returned.
    DemoDossier("2.001610.000.00.00.H41", "Hoàng Văn Trung", "022085003579", RETURNED),
)


def _paper(name: str) -> SimpleUploadedFile:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def _active(dossier: Dossier) -> DossierStep | None:
    return (
        DossierStep.objects.filter(dossier=dossier, status=StepStatus.ACTIVE)
        .select_related("assignee__user")
        .first()
    )


def _pay_at_desk(receiver: Official, dossier: Dossier) -> None:
    """The applicant pays what is due in cash to the receiver (payments' desk service)."""
    from egov.core.scoping import visible_to
    from egov.payments.models import Payment, PaymentStatus
    from egov.payments.services.cash import record_cash

    actor = actor_for_user(receiver.user)
    due = visible_to(actor, Payment.objects.filter(dossier=dossier, status=PaymentStatus.DUE))
    for payment in due:
        record_cash(actor=actor, payment=payment.code, amount=payment.amount)


def load_demo_dossiers() -> int:
    """Create the demo dossiers at every demo agency that offers their procedure and has a
    receiver; nothing when the demo agencies already have dossiers. Returns how many."""
    demo_agencies = Agency.objects.filter(identifier__in=[a.identifier for a in AGENCIES])
    if Dossier.objects.filter(agency__in=demo_agencies).exists():
        return 0
    receivers = {
        o.agency_id: o
        for o in Official.objects.filter(agency__in=demo_agencies, roles__role=Role.RECEIVER)
        .select_related("user")
        .order_by("-id")
    }
    made = 0
    for number, spec in enumerate(DOSSIERS):
        procedure = Procedure.objects.filter(code=spec.procedure_code, is_published=True).first()
        if procedure is None:
            continue
        offering = sorted(a for a in procedure.agencies.values_list("pk", flat=True))
        # A department's procedure is received at the provincial centre's desk (ReceptionDesk).
        desk_of = dict(
            ReceptionDesk.objects.filter(procedure=procedure).values_list(
                "agency_id", "desk_agency_id"
            )
        )
        # Spread the commune procedures over the communes, one agency per dossier.
        candidates = [a for a in offering if desk_of.get(a, a) in receivers]
        if not candidates:
            continue
        competent = candidates[number % len(candidates)]
        receiver = receivers[desk_of.get(competent, competent)]
        uploads = {
            c.code: [_paper(f"{c.code}.pdf")]
            for c in procedure.components.all()
            if c.required and not c.is_online_form
        }
        dossier = services.receive_in_person(
            actor=actor_for_user(receiver.user),
            procedure_code=procedure.code,
            applicant=services.Applicant("citizen", spec.applicant, spec.personal_id),
            uploads=uploads,
            agency_identifier=Agency.objects.get(pk=competent).identifier,
        )
        made += 1
        if spec.pays:
            _pay_at_desk(receiver, dossier)
        done = 0
        while spec.steps_done == RETURNED or done < spec.steps_done:
            step = _active(dossier)
            if step is None or step.assignee is None or step.role == Role.RECEIVER:
                break  # only the return step is left (or nobody holds the step)
            services.forward(actor=actor_for_user(step.assignee.user), dossier=dossier.code)
            done += 1
        step = _active(dossier)
        if spec.steps_done == RETURNED and step is not None and step.role == Role.RECEIVER:
            desk = step.assignee or receiver
            services.return_result(actor=actor_for_user(desk.user), dossier=dossier.code)
    return made
