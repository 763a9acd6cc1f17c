"""Liên thông: one submission creates linked dossiers at each agency of the chain."""

from __future__ import annotations

from decimal import Decimal

import pytest

from egov.catalog import services as catalog
from egov.catalog.models import OnlineMode, ProcedureChain, ProcedureChainItem
from egov.core.actors import SYSTEM, actor_for_user
from egov.core.errors import DomainError
from egov.core.scoping import visible_to
from egov.dossiers.models import Dossier
from egov.dossiers.services import Submission, submit_online
from egov.onestop.models import DossierLink
from egov.org.models import Agency, Role

from .conftest import VALID_FORM, pdf_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def chain(birth_procedure, agency, province):  # type: ignore[no-untyped-def]
    police = Agency.objects.create(
        identifier="000.00.07.H41",
        name="Công an tỉnh Quảng Ninh",
        abbreviation="CA",
        kind=Agency.Kind.DEPARTMENT,
        admin_unit=province,
    )
    insurance = Agency.objects.create(
        identifier="000.00.08.H41",
        name="Bảo hiểm xã hội tỉnh Quảng Ninh",
        abbreviation="BHXH",
        kind=Agency.Kind.DEPARTMENT,
        admin_unit=province,
    )
    sector = catalog.create_sector(actor=SYSTEM, code="LT", name="Liên thông")
    follow_ups = []
    for code, name, where in [
        ("1.004194.000.00.00.H41", "Đăng ký thường trú", police),
        ("1.000045.000.00.00.H41", "Cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi", insurance),
    ]:
        follow_ups.append(
            (
                catalog.create_procedure(
                    actor=SYSTEM,
                    code=code,
                    name=name,
                    sector=sector,
                    level="province",
                    processing_time=Decimal("3"),
                    online_mode=OnlineMode.FULL,
                    agencies=[where],
                    is_published=True,
                    steps=[catalog.StepSpec("Xử lý", "specialist", "3")],
                ),
                where,
            )
        )
    group = ProcedureChain.objects.create(
        code="khai-sinh-thuong-tru-bhyt", name="Khai sinh, thường trú, thẻ BHYT cho trẻ dưới 6 tuổi"
    )
    ProcedureChainItem.objects.create(chain=group, order=1, procedure=birth_procedure)
    for order, (procedure, where) in enumerate(follow_ups, start=2):
        ProcedureChainItem.objects.create(
            chain=group, order=order, procedure=procedure, agency_identifier=where.identifier
        )
    return group, police, insurance


def test_one_submission_creates_a_linked_dossier_at_each_agency(
    chain, birth_procedure, agency, make_citizen, make_official
):
    group, police, insurance = chain
    citizen = make_citizen()
    main = submit_online(
        user=citizen,
        submission=Submission(
            procedure_code=birth_procedure.code,
            agency_identifier=agency.identifier,
            form_data=VALID_FORM,
            uploads={"giay-chung-sinh": [pdf_upload()]},
            result_delivery="online",
            chain=group.code,
        ),
    )
    linked = [link.target for link in DossierLink.objects.filter(source=main).order_by("id")]
    assert [d.agency for d in linked] == [police, insurance]
    assert all(d.applicant == citizen and d.status == 1 for d in linked)
    assert linked[0].files.get().sha256 == main.files.get().sha256
    # Each agency sees its own dossier; the citizen sees all three.
    police_officer = make_official(police, [Role.RECEIVER])
    seen = visible_to(actor_for_user(police_officer.user), Dossier.objects.all())
    assert list(seen) == [linked[0]]
    assert visible_to(actor_for_user(citizen), Dossier.objects.all()).count() == 3


def test_a_chain_that_does_not_start_with_the_procedure_is_refused(
    chain, birth_procedure, agency, make_citizen
):
    group, _police, _insurance = chain
    group.items.filter(order=1).delete()
    with pytest.raises(DomainError):
        submit_online(
            user=make_citizen(),
            submission=Submission(
                procedure_code=birth_procedure.code,
                agency_identifier=agency.identifier,
                form_data=VALID_FORM,
                uploads={"giay-chung-sinh": [pdf_upload()]},
                result_delivery="online",
                chain=group.code,
            ),
        )
    assert not Dossier.objects.exists()
