"""Starting to pay (services.attempts.start) and cash at the desk (services.cash.record_cash):
who may, which providers, the references sent to providers, earlier attempts abandoned, the
amount that must be exact, and the dossier waiting in status 6 for fees due before processing.
Denials are tried as attacks: another citizen, another agency's official, an official who is not
a receiver; each changes nothing."""

from __future__ import annotations

import re

import pytest

from egov.core.actors import SYSTEM, actor_for_user
from egov.core.errors import DomainError, NotAllowed, NotFoundError
from egov.dossiers.models import Dossier, PaymentState, Status
from egov.events.models import Event
from egov.onestop import services as onestop
from egov.org.models import Role, Unit
from egov.payments.models import Attempt, AttemptStatus, Payment, PaymentStatus
from egov.payments.services import attempts
from egov.payments.services.cash import InvalidAmount, record_cash

from .checkout_support import WAITING, online  # noqa: F401
from .conftest import FEE, actor, payment_of

pytestmark = pytest.mark.django_db


def snapshot() -> tuple[object, ...]:
    return (
        list(Payment.objects.values_list("code", "status", "version")),
        list(Attempt.objects.values_list("reference", "status")),
        Event.objects.filter(subject_type="payment").count(),
        list(Dossier.objects.values_list("code", "status", "payment_state")),
    )


def test_the_applicant_starts_paying_and_a_new_try_abandons_the_last(
    criminal_record,
    submit,
    make_citizen,
    online,  # noqa: F811
):
    citizen = make_citizen()
    payment = payment_of(submit(citizen, criminal_record))
    first = attempts.start(
        actor=actor_for_user(citizen), payment=payment.code, provider=WAITING.code
    )
    assert first.amount == FEE and first.provider == WAITING.code
    assert first.started_by_id == citizen.pk
    # A short ASCII reference: letters and digits only, within VietQR's 25-character purpose.
    assert re.fullmatch(r"[0-9A-Z]{1,25}", first.reference)
    assert first.reference == re.sub(r"[^0-9A-Z]", "", payment.code) + "L1"
    second = attempts.start(
        actor=actor_for_user(citizen), payment=payment.code, provider=WAITING.code
    )
    assert second.reference.endswith("L2")
    first.refresh_from_db()
    assert first.status == AttemptStatus.ABANDONED and first.finished_at
    failed = Event.objects.get(event_type="payment.attempt_failed")
    assert failed.payload["attempt"] == first.reference and failed.payload["reason"]
    started = Event.objects.filter(event_type="payment.attempt_started")
    assert [e.payload["attempt"] for e in started.order_by("pk")] == [
        first.reference,
        second.reference,
    ]


def test_a_long_code_gets_a_random_reference(criminal_record, submit, make_citizen, online):  # noqa: F811
    citizen = make_citizen()
    payment = payment_of(submit(citizen, criminal_record))
    Payment.objects.filter(pk=payment.pk).update(code="G01.01.01.H41.X-261231-99999-TT12")
    attempt = attempts.start(
        actor=actor_for_user(citizen),
        payment="G01.01.01.H41.X-261231-99999-TT12",
        provider=WAITING.code,
    )
    assert re.fullmatch(r"TT[0-9A-Z]{16}", attempt.reference)


def test_refusals_change_nothing(
    criminal_record,
    submit,
    make_citizen,
    staff,
    other_agency,
    make_official,
    online,  # noqa: F811
):
    owner = make_citizen()
    payment = payment_of(submit(owner, criminal_record))
    stranger = make_official(other_agency, [Role.RECEIVER], username="tiepnhan-khac")
    before = snapshot()
    attacks = [
        # another citizen, another agency's receiver: the payment does not exist for them
        (make_citizen(), WAITING.code, NotFoundError),
        (stranger.user, WAITING.code, NotFoundError),
        # an official of the agency who is not at the desk
        (staff.specialist.user, WAITING.code, NotAllowed),
        # the applicant cannot choose the desk's cash, nor an unknown provider
        (owner, "cash", DomainError),
        (owner, "khong-co", DomainError),
    ]
    for user, provider, error in attacks:
        with pytest.raises(error):
            attempts.start(actor=actor_for_user(user), payment=payment.code, provider=provider)
    assert snapshot() == before
    # A payment no longer due.
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.CANCELLED)
    with pytest.raises(attempts.NothingDue):
        attempts.start(actor=actor_for_user(owner), payment=payment.code, provider=WAITING.code)


def test_cash_must_be_exactly_what_is_due_and_settles_at_once(
    criminal_record, submit, make_citizen, staff
):
    dossier = submit(make_citizen(), criminal_record)
    payment = payment_of(dossier)
    before = snapshot()
    for wrong in (FEE - 1, FEE + 1, 0, "200000", True):
        with pytest.raises(InvalidAmount):
            record_cash(actor=actor(staff.receiver), payment=payment.code, amount=wrong)  # type: ignore[arg-type]
    with pytest.raises(NotAllowed):
        record_cash(actor=actor(staff.accountant), payment=payment.code, amount=FEE)
    assert snapshot() == before
    paid = record_cash(actor=actor(staff.receiver), payment=payment.code, amount=FEE)
    assert (paid.status, paid.paid_provider) == (PaymentStatus.PAID, "cash")
    attempt = Attempt.objects.get(payment=payment)
    assert (attempt.provider, attempt.status, attempt.started_by_id) == (
        "cash",
        AttemptStatus.SUCCEEDED,
        staff.receiver.user_id,
    )
    event = Event.objects.get(event_type="payment.paid")
    assert event.payload["recorded_by"] == staff.receiver.user.username
    dossier.refresh_from_db()
    assert (dossier.payment_state, dossier.amount_paid) == (PaymentState.PAID, FEE)
    with pytest.raises(attempts.NothingDue):
        record_cash(actor=actor(staff.receiver), payment=payment.code, amount=FEE)


def test_fees_due_before_processing_hold_the_dossier_until_paid(
    criminal_record, submit, make_citizen, staff
):
    """Received while unpaid: status 6, with no second payment opened; cash brings it back."""
    dossier = submit(make_citizen(), criminal_record)
    received = onestop.receive_online(actor=actor(staff.receiver), dossier=dossier.code)
    assert received.status == Status.PAYMENT_REQUESTED
    assert Dossier.objects.get(pk=dossier.pk).status == Status.PAYMENT_REQUESTED
    requested = Event.objects.get(event_type="dossier.payment_requested")
    assert requested.payload["fees_due"] is True and requested.payload["amount"] == FEE
    assert Payment.objects.filter(dossier=dossier).count() == 1
    # The old one-stop confirmation would leave the payment open: it points to the desk page.
    with pytest.raises(DomainError) as exc:
        onestop.payment_received(actor=actor(staff.receiver), dossier=dossier.code)
    assert exc.value.code == "payment_due"
    record_cash(actor=actor(staff.receiver), payment=payment_of(dossier).code, amount=FEE)
    assert Dossier.objects.get(pk=dossier.pk).status == Status.PROCESSING


def test_received_in_person_unpaid_waits_and_the_centre_desk_may_take_the_cash(
    criminal_record, staff, other_agency, make_official
):
    """The provincial centre's desk receives a department's dossier: it sees the payment and
    takes the cash; an official of the centre who is not at the desk may not."""
    from egov.catalog.services import set_reception_desk
    from egov.org.models import Agency

    Agency.objects.filter(pk=other_agency.pk).update(kind=Agency.Kind.SERVICE_CENTRE)
    other_agency.refresh_from_db()
    desk = Unit.objects.create(
        agency=other_agency, code="TN", name="Bộ phận Tiếp nhận", kind=Unit.Kind.ONE_STOP_DESK
    )
    centre = make_official(other_agency, [Role.RECEIVER], desk, username="ttpvhcc-tiepnhan")
    clerk = make_official(other_agency, [Role.SPECIALIST], None, username="ttpvhcc-cv")
    set_reception_desk(
        actor=SYSTEM,
        procedure=criminal_record,
        agency=criminal_record.agencies.get(),
        desk_agency=other_agency,
        legal_basis="Quyết định minh họa",
    )
    from egov.dossiers.tests.conftest import pdf_upload

    dossier = onestop.receive_in_person(
        actor=actor(centre),
        procedure_code=criminal_record.code,
        applicant=onestop.Applicant("citizen", "Lê Thị Hoa", "022195001234", "0912345678"),
        uploads={"to-khai": [pdf_upload("to-khai.pdf")]},
    )
    assert dossier.status == Status.PAYMENT_REQUESTED
    payment = payment_of(dossier)
    with pytest.raises(NotAllowed):
        record_cash(actor=actor(clerk), payment=payment.code, amount=FEE)
    record_cash(actor=actor(centre), payment=payment.code, amount=FEE)
    assert Dossier.objects.get(pk=dossier.pk).status == Status.PROCESSING


def test_before_result_the_result_waits_for_the_payment(
    criminal_record, submit, make_citizen, staff
):
    from egov.catalog.models import PaymentTiming, Procedure
    from egov.dossiers.models import DossierFile
    from egov.dossiers.tests.conftest import pdf_upload

    Procedure.objects.filter(pk=criminal_record.pk).update(
        payment_timing=PaymentTiming.BEFORE_RESULT
    )
    dossier = submit(make_citizen(), criminal_record)
    onestop.receive_online(actor=actor(staff.receiver), dossier=dossier.code)
    assert Dossier.objects.get(pk=dossier.pk).status == Status.PROCESSING  # goes on unpaid
    onestop.record_result(
        actor=actor(staff.specialist), dossier=dossier.code, upload=pdf_upload("phieu.pdf")
    )
    onestop.forward(actor=actor(staff.specialist), dossier=dossier.code)
    onestop.forward(actor=actor(staff.leader), dossier=dossier.code)
    assert Dossier.objects.get(pk=dossier.pk).status == Status.DONE
    with pytest.raises(DomainError) as exc:
        onestop.return_result(actor=actor(staff.receiver), dossier=dossier.code)
    assert exc.value.code == "payment_due" and "chưa nộp đủ phí" in exc.value.message
    assert Dossier.objects.get(pk=dossier.pk).status == Status.DONE
    record_cash(actor=actor(staff.receiver), payment=payment_of(dossier).code, amount=FEE)
    onestop.return_result(actor=actor(staff.receiver), dossier=dossier.code)
    assert Dossier.objects.get(pk=dossier.pk).status == Status.RETURNED
    assert dossier.files.filter(kind=DossierFile.Kind.RESULT).exists()
