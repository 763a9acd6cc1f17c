"""Payment figures on the operations dashboard and 766 indicators 3.5 (procedures whose fees can
be paid online, full at 80%) and 3.6 (dossiers paid online), measured from the payments app with
their points and thresholds kept as data."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from egov.conftest import login_client
from egov.onestop import services as onestop
from egov.payments.tests.accounting_support import pay, rules
from egov.payments.tests.conftest import FEE, actor, payment_of
from egov.stats import index766
from egov.stats.models import IndexIndicator
from egov.stats.queries import Figures

pytestmark = pytest.mark.django_db


@pytest.fixture
def online_collecting(settings):  # type: ignore[no-untyped-def]
    """The agency collects online through the national payment platform (configured)."""
    settings.PAYMENT_PLATFORM_URL = "http://127.0.0.1:9/api"
    settings.PAYMENT_PROVIDERS = ["national", "cash"]


def test_3_5_and_3_6_score_against_their_thresholds():
    f = Figures()
    f.add({"received": 10})
    inputs = index766.Inputs(
        figures=f,
        fee_procedures=5,
        fee_procedures_online=4,
        fee_dossiers=10,
        fee_dossiers_online=3,
    )
    scores = {i.code: i for g in index766.compute(2025, inputs).groups for i in g.indicators}
    # 3.5: 4 of 5 = 80% >= 80% -> the full 4 points; 3.6: 30% of a 50% threshold -> 2.40 of 4.
    assert (scores["3.5"].rate_percent, scores["3.5"].score) == (Decimal("80.00"), Decimal("4.00"))
    assert (scores["3.6"].rate_percent, scores["3.6"].score) == (Decimal("30.00"), Decimal("2.40"))
    # The weights are data: an operator's new threshold changes the score, not the code.
    IndexIndicator.objects.filter(code="3.6").update(threshold=Decimal("30"))
    scores = {i.code: i for g in index766.compute(2025, inputs).groups for i in g.indicators}
    assert scores["3.6"].score == Decimal("4.00")


@pytest.fixture
def paid_day(criminal_record, submit, make_citizen, staff):  # type: ignore[no-untyped-def]
    """Today: one dossier paid online (and received), one paid in cash (then withdrawn and
    refunded), one still due, one refused before paying (owes nothing in the end)."""
    rules(("withdrawn", True, 100, True))
    dossiers = [submit(make_citizen(), criminal_record) for _ in range(4)]
    pay(payment_of(dossiers[0]), "national")
    onestop.receive_online(actor=actor(staff.receiver), dossier=dossiers[0].code)
    pay(payment_of(dossiers[1]), "cash")
    onestop.withdraw_by_applicant(
        user=dossiers[1].applicant, dossier=dossiers[1].code, reason="Nộp nhầm"
    )
    from egov.payments.services import refunds

    refund = payment_of(dossiers[1]).refunds.get()
    refunds.approve(actor=actor(staff.leader), refund=refund)
    refunds.complete(actor=actor(staff.accountant), refund=refund)
    onestop.refuse(actor=actor(staff.receiver), dossier=dossiers[3].code, reason="Sai thẩm quyền")
    return dossiers


def test_the_index_measures_online_payment(paid_day, staff, online_collecting):
    from egov.stats.periods import parse_period
    from egov.stats.queries import select
    from egov.stats.views import index_context

    period = parse_period(
        {"period": "year", "year": str(timezone.localdate().year)}, timezone.localdate()
    )
    sel = select(actor(staff.leader), period)
    result = index_context(sel)["result"]
    scores = {i.code: i for g in result.groups for i in g.indicators}
    # 3.5: the one procedure with a fee is online and the agency collects online: 100%.
    assert (scores["3.5"].measure.numerator, scores["3.5"].measure.denominator) == (1, 1)
    assert scores["3.5"].score == Decimal("4.00")
    # 3.6: three dossiers owed fees (the refused one owed nothing in the end), one paid online.
    assert (scores["3.6"].measure.numerator, scores["3.6"].measure.denominator) == (1, 3)
    assert scores["3.6"].rate_percent == Decimal("33.33")


def test_no_online_collection_no_3_5_points(paid_day, staff, settings):
    from egov.stats.periods import parse_period
    from egov.stats.queries import select
    from egov.stats.views import index_context

    settings.PAYMENT_PROVIDERS = ["cash"]  # the agency only takes cash
    period = parse_period(
        {"period": "year", "year": str(timezone.localdate().year)}, timezone.localdate()
    )
    result = index_context(select(actor(staff.leader), period))["result"]
    scores = {i.code: i for g in result.groups for i in g.indicators}
    assert (scores["3.5"].measure.numerator, scores["3.5"].measure.denominator) == (0, 1)
    assert scores["3.5"].score == Decimal("0.00")


def test_the_dashboard_shows_what_was_collected(paid_day, staff):
    page = login_client(staff.leader.user).get("/dieu-hanh/", {"partial": "live"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Thu phí, lệ phí" in text
    figures = page.context["payments"]
    assert (figures["total"].paid, figures["total"].amount) == (2, 2 * FEE)
    assert (figures["total"].online, figures["total"].refunded_amount) == (1, FEE)
    assert figures["online_share"] == "50,0%"
    assert [a["name"] for a in figures["agencies"]] == [staff.leader.agency.name]
