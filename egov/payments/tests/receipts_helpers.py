"""Helpers of the receipts tests: the collecting agency's seal from a demo CA made once per
session (as the documents and meetings tests certify), and `pay(dossier)` that settles the
dossier's payment through the one settle action, on an attempt made here."""

from __future__ import annotations

import io
import subprocess
from typing import Any

import pytest

from egov.core.actors import SYSTEM
from egov.dossiers.models import Dossier
from egov.payments.models import Attempt, Payment
from egov.payments.services.settle import settle
from egov.signing import services as signing

from .conftest import payment_of


# Fixtures named apart from their functions: a test module imports the function (one name) and
# takes the fixture as a parameter (another), so nothing is redefined.
@pytest.fixture(scope="session", name="seal_hierarchy")
def seal_hierarchy_fixture() -> signing.DemoHierarchy:
    return signing.make_demo_hierarchy()


@pytest.fixture(name="seal")
def seal_fixture(agency, collector, seal_hierarchy):  # type: ignore[no-untyped-def]
    """The collecting agency's organisation certificate (the demo CA trusted)."""
    signing.ensure_demo_ca(actor=SYSTEM, hierarchy=seal_hierarchy)
    return signing.identity_for_agency(agency)


def pay(dossier: Dossier, *, provider: str = "national", transaction: str = "") -> Payment:
    """Settle the dossier's payment in full (its receipt message queued, not delivered)."""
    payment = payment_of(dossier)
    n = Attempt.objects.count() + 1
    attempt = Attempt.objects.create(
        payment=payment, provider=provider, reference=f"TT-THU-{n:04d}", amount=payment.amount
    )
    settle(
        actor=SYSTEM,
        attempt=attempt,
        amount=payment.amount,
        provider_transaction=transaction or f"GD{n:06d}",
    )
    return payment_of(dossier)


def read(field: Any) -> bytes:
    with field.open("rb") as handle:
        return bytes(handle.read())


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.split())


def pdftotext(content: bytes) -> str:
    """The text as poppler reads it."""
    done = subprocess.run(
        ["pdftotext", "-", "-"], input=content, capture_output=True, check=True, timeout=60
    )
    return " ".join(done.stdout.decode().split())
