"""The electronic identity level a procedure requires for online submission (#18): kept by the
services with an event, carried by the JSON and XLSX import-export and the API, checked."""

from __future__ import annotations

import pytest

from egov.catalog import services
from egov.catalog.admin import ProcedureAdminForm
from egov.catalog.io import (
    CatalogImportError,
    export_catalog,
    export_xlsx,
    import_catalog,
    read_xlsx,
)
from egov.catalog.models import IdentityRequirement, Procedure
from egov.events.models import Event

from .conftest import LLTP, OPERATOR

pytestmark = pytest.mark.django_db


def test_update_records_the_change_and_refuses_an_unknown_level(catalog):
    record = catalog["record"]
    services.update_procedure(actor=OPERATOR, procedure=record, changes={"min_identity_level": 2})
    record.refresh_from_db()
    assert record.min_identity_level == IdentityRequirement.LEVEL_2
    event = Event.objects.filter(event_type="catalog.procedure_updated").latest("id")
    assert event.payload["changes"]["min_identity_level"] == [0, 2]
    for wrong in (3, True, "hai"):
        with pytest.raises(services.CatalogError) as exc:
            services.update_procedure(
                actor=OPERATOR, procedure=record, changes={"min_identity_level": wrong}
            )
        assert "Mức độ định danh điện tử" in exc.value.fields["min_identity_level"][0]
    assert Procedure.objects.get(code=LLTP).min_identity_level == 2


def test_json_and_xlsx_carry_the_level(catalog):
    record = catalog["record"]
    services.update_procedure(actor=OPERATOR, procedure=record, changes={"min_identity_level": 2})
    document = export_catalog()
    assert {p["code"]: p["min_identity_level"] for p in document["procedures"]}[LLTP] == 2
    workbook = export_xlsx()
    Procedure.objects.filter(code=LLTP).update(min_identity_level=0)
    import_catalog(read_xlsx(workbook), actor=OPERATOR)
    assert Procedure.objects.get(code=LLTP).min_identity_level == 2
    Procedure.objects.filter(code=LLTP).update(min_identity_level=0)
    import_catalog(document, actor=OPERATOR)
    assert Procedure.objects.get(code=LLTP).min_identity_level == 2


def test_a_file_without_the_level_means_any_account_and_a_bad_one_writes_nothing(catalog):
    document = export_catalog()
    for item in document["procedures"]:
        item.pop("min_identity_level")
    import_catalog(document, actor=OPERATOR)
    assert set(Procedure.objects.values_list("min_identity_level", flat=True)) == {0}
    events = Event.objects.count()
    document["procedures"][0]["min_identity_level"] = 5
    with pytest.raises(CatalogImportError) as exc:
        import_catalog(document, actor=OPERATOR)
    assert any("Mức độ định danh điện tử '5' không hợp lệ" in e for e in exc.value.errors)
    assert Event.objects.count() == events


def test_the_admin_form_offers_the_level():
    form = ProcedureAdminForm()
    assert "min_identity_level" in form.fields
    assert "Nghị định 69/2024/NĐ-CP" in str(form.fields["min_identity_level"].help_text)
