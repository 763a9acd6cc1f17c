"""A small agency with a one-stop desk and a specialist, a three-step procedure, the national
portal stand-in in a thread (with a token), and `lifecycle(n)` that drives dossiers from the
desk to the returned result through the one-stop services."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from egov.catalog.models import Procedure
from egov.core.actors import actor_for_user
from egov.dossiers.models import Dossier
from egov.dossiers.tests.conftest import pdf_upload
from egov.national.standin import NationalPortalStandIn
from egov.onestop import services
from egov.onestop.tests.conftest import make_procedure
from egov.org.models import Role, Unit

TOKEN = "ma-truy-cap-thu-nghiem-cong-quoc-gia"  # test value only; production reads the env
STEPS = [
    ("Tiếp nhận hồ sơ", Role.RECEIVER, "0.5", ""),
    ("Thẩm định hồ sơ", Role.SPECIALIST, "1", ""),
    ("Trả kết quả", Role.RECEIVER, "0.5", ""),
]
APPLICANT_NAME = "Lê Thị Hoa"
APPLICANT_ID = "022195001234"


@pytest.fixture(autouse=True)
def media(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def staff(agency, make_official):  # type: ignore[no-untyped-def]
    desk = Unit.objects.create(
        agency=agency, code="MC", name="Bộ phận Một cửa", kind=Unit.Kind.ONE_STOP_DESK
    )
    section = Unit.objects.create(
        agency=agency, code="HT", name="Phòng Hộ tịch", kind=Unit.Kind.PROFESSIONAL
    )
    return SimpleNamespace(
        receiver=make_official(agency, [Role.RECEIVER], desk, username="tiepnhan"),
        specialist=make_official(agency, [Role.SPECIALIST], section, username="chuyenvien"),
    )


@pytest.fixture
def procedure(agency, staff) -> Procedure:  # type: ignore[no-untyped-def]
    return make_procedure(agency, steps=STEPS)


@pytest.fixture
def portal(settings) -> Iterator[NationalPortalStandIn]:  # type: ignore[no-untyped-def]
    with NationalPortalStandIn(token=TOKEN, seed=18) as server:
        settings.NATIONAL_PORTAL_URL = server.url
        settings.NATIONAL_PORTAL_TOKEN = TOKEN
        settings.NATIONAL_PORTAL_TIMEOUT = 2
        yield server


def receive(staff: Any, procedure: Procedure, n: int = 0) -> Dossier:
    return services.receive_in_person(
        actor=actor_for_user(staff.receiver.user),
        procedure_code=procedure.code,
        applicant=services.Applicant(
            "citizen", APPLICANT_NAME, f"{int(APPLICANT_ID) + n:012d}", "0912345678"
        ),
        uploads={"to-khai": [pdf_upload("to-khai.pdf")]},
    )


def finish(staff: Any, dossier: Dossier) -> Dossier:
    specialist = actor_for_user(staff.specialist.user)
    services.record_result(actor=specialist, dossier=dossier.code, upload=pdf_upload("kq.pdf"))
    services.forward(actor=specialist, dossier=dossier.code, note="Hồ sơ hợp lệ")
    return services.return_result(actor=actor_for_user(staff.receiver.user), dossier=dossier.code)


@pytest.fixture
def lifecycle(staff, procedure):  # type: ignore[no-untyped-def]
    def run(n: int) -> list[Dossier]:
        return [finish(staff, receive(staff, procedure, i)) for i in range(n)]

    return run
