"""What the checkout tests share: an online provider of the tests' own (the real national and
VietQR providers are their owners' modules), the criminal-record fee's exemption groups, and
helpers to file a dossier through the portal as the applicant does."""

from __future__ import annotations

from typing import Any

import pytest

from egov.catalog import services as catalog
from egov.catalog.models import Fee, FeeExemption, Procedure
from egov.core.actors import SYSTEM
from egov.payments import providers
from egov.payments.models import Attempt, AttemptStatus

from .conftest import FEE


class WaitingProvider(providers.Provider):
    """Online and always configured; starting leaves the attempt waiting for the provider's
    page, as the national platform's does until its INIT reply arrives (tests then store that
    reply as the platform's deliverer would)."""

    code = "thu-nghiem"
    label = "Cổng thanh toán thử nghiệm"
    description = "Chỉ dùng trong kiểm thử."
    online = True

    def start(self, act: Any, attempt: Attempt) -> None:
        attempt.status = AttemptStatus.CREATED


WAITING = providers.register(WaitingProvider())


@pytest.fixture
def online(settings):  # type: ignore[no-untyped-def]
    """The tests' online provider offered next to cash."""
    settings.PAYMENT_PROVIDERS = [WAITING.code, "cash"]
    return WAITING


STUDENT, DISABLED = "Sinh viên", "Người khuyết tật"
LEGAL = "Thông tư 244/2016/TT-BTC"


@pytest.fixture
def with_exemptions(criminal_record: Procedure) -> Procedure:
    """The criminal-record fee halves for students and is waived for people with disabilities
    (as the starter catalogue has it)."""
    catalog.set_fees(
        actor=SYSTEM,
        procedure=criminal_record,
        fees=[
            catalog.FeeSpec(
                kind="fee",
                name="Phí cung cấp thông tin lý lịch tư pháp",
                amount=FEE,
                legal_source=LEGAL,
                exemptions=(
                    catalog.ExemptionSpec(STUDENT, 50, "Thẻ sinh viên", LEGAL),
                    catalog.ExemptionSpec(DISABLED, 100, "Giấy xác nhận khuyết tật", LEGAL),
                ),
            )
        ],
    )
    return criminal_record


def fee_of(procedure: Procedure) -> Fee:
    return procedure.fees.get()


def group(procedure: Procedure, name: str) -> FeeExemption:
    return FeeExemption.objects.get(fee__procedure=procedure, group=name)
