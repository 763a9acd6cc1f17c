"""A province with a public administrative service centre that receives a department's procedure
(catalog.ReceptionDesk): the centre's desk receives, the department's sections handle, the
centre returns the result. Shared by the centre's tests and browser tests."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from egov.catalog import services as catalog
from egov.catalog.models import OnlineMode, Procedure
from egov.core.actors import SYSTEM
from egov.dossiers import services as dossier_services
from egov.dossiers.models import Dossier, ResultDelivery
from egov.dossiers.tests.conftest import pdf_upload
from egov.org.models import Agency, Role, Unit

CENTRE_STEPS = [
    ("Tiếp nhận hồ sơ, chuyển Phòng Hành chính tư pháp", Role.RECEIVER, "0.5", "one_stop"),
    ("Thẩm định hồ sơ", Role.SPECIALIST, "6.5", "professional"),
    ("Kiểm tra, trình lãnh đạo Sở", Role.UNIT_HEAD, "1.5", "professional"),
    ("Ký Phiếu lý lịch tư pháp", Role.LEADER, "1", "leadership"),
    ("Trả kết quả", Role.RECEIVER, "0.5", "one_stop"),
]


def centre_province(province: Any, make_official: Any) -> SimpleNamespace:
    """The centre (with a desk receiver and a leader), the Department of Justice (its own desk,
    two specialists, a unit head, a leader) and one procedure of the department, received at
    the centre."""
    centre = Agency.objects.create(
        identifier="000.00.20.H41",
        name="Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh",
        abbreviation="TTPVHCC",
        kind=Agency.Kind.SERVICE_CENTRE,
        admin_unit=province,
    )
    department = Agency.objects.create(
        identifier="000.00.01.H41",
        name="Sở Tư pháp tỉnh Quảng Ninh",
        abbreviation="STP",
        kind=Agency.Kind.DEPARTMENT,
        admin_unit=province,
    )
    centre_desk = Unit.objects.create(
        agency=centre,
        code="TNTKQ",
        name="Bộ phận Tiếp nhận và Trả kết quả",
        kind=Unit.Kind.ONE_STOP_DESK,
    )
    own_desk = Unit.objects.create(
        agency=department, code="MC", name="Bộ phận Một cửa Sở", kind=Unit.Kind.ONE_STOP_DESK
    )
    section = Unit.objects.create(
        agency=department,
        code="HCTP",
        name="Phòng Hành chính tư pháp",
        kind=Unit.Kind.PROFESSIONAL,
    )
    leadership = Unit.objects.create(
        agency=department, code="LD", name="Lãnh đạo Sở", kind=Unit.Kind.LEADERSHIP
    )
    people = SimpleNamespace(
        centre=centre,
        department=department,
        section=section,
        centre_receiver=make_official(
            centre, [Role.RECEIVER], centre_desk, username="ttpvhcc.tiepnhan"
        ),
        department_receiver=make_official(
            department, [Role.RECEIVER], own_desk, username="stp.tiepnhan"
        ),
        specialist=make_official(department, [Role.SPECIALIST], section, username="stp.cv1"),
        specialist2=make_official(department, [Role.SPECIALIST], section, username="stp.cv2"),
        head=make_official(department, [Role.UNIT_HEAD], section, username="stp.truongphong"),
        leader=make_official(department, [Role.LEADER], leadership, username="stp.giamdoc"),
    )
    sector = catalog.create_sector(actor=SYSTEM, code="LLTP", name="Lý lịch tư pháp")
    procedure = catalog.create_procedure(
        actor=SYSTEM,
        code="2.000488.000.00.00.H41",
        name="Cấp Phiếu lý lịch tư pháp",
        sector=sector,
        level="province",
        processing_time=10,
        online_mode=OnlineMode.FULL,
        agencies=[department],
        is_published=True,
        components=[catalog.ComponentSpec(code="to-khai", name="Tờ khai", required=True)],
        steps=[
            catalog.StepSpec(n, r, b, unit_kind=k, agency_identifier="")
            for n, r, b, k in CENTRE_STEPS
        ],
    )
    catalog.set_reception_desk(
        actor=SYSTEM, procedure=procedure, agency=department, desk_agency=centre
    )
    people.procedure = procedure
    return people


def submit(user: Any, procedure: Procedure, agency: Agency) -> Dossier:
    """An online dossier of the procedure, for the agency."""
    return dossier_services.submit_online(
        user=user,
        submission=dossier_services.Submission(
            procedure_code=procedure.code,
            agency_identifier=agency.identifier,
            form_data={},
            uploads={"to-khai": [pdf_upload("to-khai.pdf")]},
            result_delivery=ResultDelivery.ONLINE,
        ),
    )
