"""A province history made through the real services, with the real calendar, across months."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine

from egov.catalog.models import OnlineMode
from egov.dossiers.models import Dossier
from egov.dossiers.services import Submission, rate, submit_online
from egov.dossiers.tests.conftest import pdf_upload
from egov.onestop import services
from egov.onestop.models import StepStatus
from egov.onestop.services import provide_supplement
from egov.onestop.tests.conftest import (  # noqa: F401 - fixtures
    STEPS,
    act,
    make_procedure,
    media,
    procedure,
    staff,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2025, 4, 15, 10, 0, tzinfo=VN)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


# A demo CA valid over the histories these tests replay (2025), so that a result signed then
# validates then: only a result carrying a valid signature counts as electronic (766: 3.3, 4.1,
# 4.2).
SINCE = datetime(2024, 1, 1, tzinfo=VN)
UNTIL = datetime(2030, 1, 1, tzinfo=VN)


def signed_result(official):  # type: ignore[no-untyped-def]
    """The result as an electronic original: a PDF the official signed (PAdES)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from egov.core.actors import SYSTEM
    from egov.dossiers.tests.conftest import make_pdf
    from egov.signing import ca
    from egov.signing import services as signing
    from egov.signing.models import SigningIdentity

    if signing.demo_issuing_ca() is None:
        root = ca.make_root(not_before=SINCE, not_after=UNTIL)
        intermediate = ca.make_intermediate(root, not_before=SINCE, not_after=UNTIL)
        tsa = ca.issue_tsa_certificate(intermediate, not_before=SINCE, not_after=UNTIL)
        hierarchy = signing.DemoHierarchy(root=root, intermediate=intermediate, tsa=tsa)
        signing.ensure_demo_ca(actor=SYSTEM, hierarchy=hierarchy)
    identity = SigningIdentity.objects.filter(official=official, not_before__lte=SINCE).first()
    if identity is None:
        identity = signing.issue_demo_identity(
            actor=SYSTEM, official=official, not_before=SINCE, not_after=UNTIL
        )
    pdf = signing.sign_pdf(make_pdf(), identity=identity, role="personal")
    return SimpleUploadedFile("ket-qua.pdf", pdf, content_type="application/pdf")


class History:
    """Drives dossiers through the services at given local times."""

    def __init__(self, team, main_procedure, citizen):  # type: ignore[no-untyped-def]
        self.staff = team
        self.procedure = main_procedure
        self.citizen = citizen

    def when(self, *moment: int):  # type: ignore[no-untyped-def]
        return time_machine.travel(at(*moment), tick=False)

    def receive(self, *moment: int, other=None) -> Dossier:  # type: ignore[no-untyped-def]
        with self.when(*moment):
            return services.receive_in_person(
                actor=act(self.staff.receiver),
                procedure_code=(other or self.procedure).code,
                applicant=services.Applicant("citizen", "Lê Thị Hoa", "022195001234"),
                uploads={"to-khai": [pdf_upload("to-khai.pdf")]},
            )

    def submit(self, *moment: int) -> Dossier:
        with self.when(*moment):
            return submit_online(
                user=self.citizen,
                submission=Submission(
                    procedure_code=self.procedure.code,
                    agency_identifier=self.procedure.agencies.get().identifier,
                    form_data={},
                    uploads={"to-khai": [pdf_upload()]},
                    result_delivery="online",
                ),
            )

    def accept(self, dossier: Dossier, *moment: int) -> Dossier:
        with self.when(*moment):
            return services.receive_online(actor=act(self.staff.receiver), dossier=dossier.code)

    def holder(self, dossier: Dossier):  # type: ignore[no-untyped-def]
        step = Dossier.objects.get(pk=dossier.pk).steps.get(status=StepStatus.ACTIVE)
        return step.assignee

    def forward(self, dossier: Dossier, *moment: int, result: bool = False) -> None:
        with self.when(*moment):
            official = self.holder(dossier)
            if result:
                services.record_result(
                    actor=act(official), dossier=dossier.code, upload=signed_result(official)
                )
            services.forward(actor=act(official), dossier=dossier.code)

    def finish(self, dossier: Dossier, *moment: int, result: bool = False) -> None:
        """The three processing steps (specialist, unit head, leader) at the same moment."""
        for last in (False, False, True):
            self.forward(dossier, *moment, result=result and last)

    def hand_back(self, dossier: Dossier, *moment: int) -> None:
        with self.when(*moment):
            services.return_result(actor=act(self.staff.receiver), dossier=dossier.code)

    def ask_supplement(self, dossier: Dossier, *moment: int) -> None:
        with self.when(*moment):
            services.request_supplement(
                actor=act(self.holder(dossier)), dossier=dossier.code, reason="Thiếu bản sao"
            )

    def supplement(self, dossier: Dossier, *moment: int) -> None:
        with self.when(*moment):
            provide_supplement(
                user=self.citizen,
                dossier=Dossier.objects.get(pk=dossier.pk),
                uploads=[pdf_upload("bo-sung.pdf")],
            )

    def rate(self, dossier: Dossier, level: int, *moment: int) -> None:
        Dossier.objects.filter(pk=dossier.pk).update(applicant=self.citizen)
        with self.when(*moment):
            rate(user=self.citizen, dossier=Dossier.objects.get(pk=dossier.pk), level=level)


@pytest.fixture
def history(staff, procedure, agency, make_citizen):  # type: ignore[no-untyped-def] # noqa: F811
    """February to mid-April 2025 at one agency: early, on-time and late dossiers, supplements
    (one answered, one repeated, one still waiting), refused, withdrawn, stopped, sent back, an
    apology with a new date, ratings, a second procedure in another sector, and dossiers still
    open on 15/4/2025 (one overdue, one on time, one paused). Returns the dossiers by letter."""
    citizen = make_citizen(personal_id="022195001234")
    other = make_procedure(agency, code="2.000002.000.00.00.H41", online=OnlineMode.NONE)
    h = History(staff, procedure, citizen)
    d = SimpleNamespace()

    # A: early (due Fri 14/2 17:00, done Wed 12/2), electronic result, returned.
    d.A = h.receive(2025, 2, 10, 8, 0)
    h.finish(d.A, 2025, 2, 12, 8, 0, result=True)
    h.hand_back(d.A, 2025, 2, 12, 10, 0)
    # B: late (done Fri 21/2), returned, rated "không hài lòng".
    d.B = h.receive(2025, 2, 10, 9, 0)
    h.finish(d.B, 2025, 2, 21, 9, 0)
    h.hand_back(d.B, 2025, 2, 24, 8, 0)
    h.rate(d.B, 2, 2025, 2, 24, 9, 0)
    # C: online, one supplement (paused Wed→Mon), on time after the pause, rated 5.
    d.C = h.submit(2025, 2, 11, 8, 0)
    h.accept(d.C, 2025, 2, 11, 9, 0)
    h.ask_supplement(d.C, 2025, 2, 12, 10, 0)
    h.supplement(d.C, 2025, 2, 17, 8, 0)
    h.finish(d.C, 2025, 2, 18, 9, 0, result=True)
    h.hand_back(d.C, 2025, 2, 19, 8, 0)
    h.rate(d.C, 5, 2025, 2, 19, 9, 0)
    # D: online, two supplements: late whatever the dates.
    d.D = h.submit(2025, 2, 12, 8, 0)
    h.accept(d.D, 2025, 2, 12, 8, 30)
    h.ask_supplement(d.D, 2025, 2, 13, 8, 0)
    h.supplement(d.D, 2025, 2, 14, 8, 0)
    h.ask_supplement(d.D, 2025, 2, 17, 8, 0)
    h.supplement(d.D, 2025, 2, 18, 8, 0)
    h.finish(d.D, 2025, 2, 19, 8, 0, result=True)
    # E: refused at reception.
    d.E = h.submit(2025, 2, 13, 8, 0)
    with h.when(2025, 2, 13, 9, 0):
        services.refuse(actor=act(staff.receiver), dossier=d.E.code, reason="Sai thủ tục")
    # F: withdrawn; G: stopped.
    d.F = h.receive(2025, 2, 14, 8, 0)
    with h.when(2025, 2, 17, 8, 0):
        services.withdraw(actor=act(staff.receiver), dossier=d.F.code, reason="Công dân rút")
    d.G = h.receive(2025, 2, 14, 9, 0)
    with h.when(2025, 2, 18, 8, 0):
        services.stop(actor=act(staff.leader), dossier=d.G.code, reason="Không đủ điều kiện")
    # H: sent back by the unit head, then done on time.
    d.H = h.receive(2025, 2, 17, 8, 0)
    h.forward(d.H, 2025, 2, 18, 8, 0)
    with h.when(2025, 2, 18, 9, 0):
        services.send_back(actor=act(staff.head), dossier=d.H.code, to_order=2, reason="Sai tên")
    h.finish(d.H, 2025, 2, 19, 9, 0)
    h.hand_back(d.H, 2025, 2, 19, 10, 0)
    # I: apology approved on 27/2 (promised 7/3), done 5/3: late against its legal date 28/2,
    # which the promise does not move (#13; it used to count on time), but the promise kept.
    # Open: on time at the end of 28/2 (its due day), overdue at the end of 3/3.
    d.I = h.receive(2025, 2, 24, 8, 0)
    with h.when(2025, 2, 27, 8, 0):
        letter = services.draft_apology(
            actor=act(staff.specialist),
            dossier=d.I.code,
            reason="Chờ xác minh",
            new_appointment_at=at(2025, 3, 7, 17, 0),
        )
        services.decide_apology(actor=act(staff.leader), letter_id=letter.pk, approve=True)
    h.finish(d.I, 2025, 3, 5, 9, 0)
    h.hand_back(d.I, 2025, 3, 6, 8, 0)
    # M: the other procedure (another sector), returned at the desk without a result file.
    d.M = h.receive(2025, 3, 3, 8, 0, other=other)
    h.finish(d.M, 2025, 3, 5, 8, 0)
    h.hand_back(d.M, 2025, 3, 6, 9, 0)
    # O: received in March (due Fri 4/4), done in April on the due day.
    d.O = h.receive(2025, 3, 31, 8, 0)
    h.finish(d.O, 2025, 4, 4, 9, 0)  # on its appointment day: on time, not early
    # Still open on 15/4: J overdue (due 26/3), K on time, L waiting for a supplement.
    d.J = h.receive(2025, 3, 20, 8, 0)
    d.K = h.receive(2025, 4, 14, 8, 0)
    d.L = h.submit(2025, 4, 1, 8, 0)
    h.accept(d.L, 2025, 4, 1, 9, 0)
    h.ask_supplement(d.L, 2025, 4, 2, 8, 0)
    d.other_procedure = other
    d.citizen = citizen
    return d
