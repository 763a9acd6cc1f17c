"""The catalogue carries fee exemptions and the payment timing end to end: services, JSON and
XLSX export and import, the administration's fee form, the procedure page."""

from __future__ import annotations

import json

import pytest

from egov.catalog import services as catalog
from egov.catalog.io import export_catalog, export_xlsx, import_catalog, read_json, read_xlsx
from egov.catalog.models import FeeExemption, PaymentTiming, Procedure
from egov.catalog.starter import STARTER_PATH
from egov.core.actors import SYSTEM
from egov.core.errors import DomainError

from .checkout_support import DISABLED, LEGAL, STUDENT, with_exemptions  # noqa: F401
from .conftest import CRIMINAL_RECORD

pytestmark = pytest.mark.django_db


def test_export_and_import_keep_exemptions_and_timing(with_exemptions):  # noqa: F811
    document = export_catalog()
    item = next(p for p in document["procedures"] if p["code"] == CRIMINAL_RECORD)
    assert item["payment_timing"] == PaymentTiming.BEFORE_PROCESSING
    assert item["fees"][0]["exemptions"] == [
        {"group": STUDENT, "percent": 50, "proof": "Thẻ sinh viên", "legal_source": LEGAL},
        {
            "group": DISABLED,
            "percent": 100,
            "proof": "Giấy xác nhận khuyết tật",
            "legal_source": LEGAL,
        },
    ]
    # Changed in the file: one group dropped, the timing moved; imported, then exported again.
    item["fees"][0]["exemptions"] = item["fees"][0]["exemptions"][1:]
    item["payment_timing"] = PaymentTiming.BEFORE_RESULT
    result = import_catalog(read_json(json.dumps(document)), actor=SYSTEM)
    assert CRIMINAL_RECORD in result.updated
    procedure = Procedure.objects.get(code=CRIMINAL_RECORD)
    assert procedure.payment_timing == PaymentTiming.BEFORE_RESULT
    assert list(FeeExemption.objects.values_list("group", "percent")) == [(DISABLED, 100)]


def test_workbook_round_trip_keeps_exemptions(with_exemptions):  # noqa: F811
    document = read_xlsx(export_xlsx())
    item = next(p for p in document["procedures"] if p["code"] == CRIMINAL_RECORD)
    assert item["payment_timing"] == PaymentTiming.BEFORE_PROCESSING
    assert [e["group"] for e in item["fees"][0]["exemptions"]] == [STUDENT, DISABLED]
    before = FeeExemption.objects.count()
    result = import_catalog(document, actor=SYSTEM)
    assert CRIMINAL_RECORD in result.unchanged and FeeExemption.objects.count() == before


def test_bad_exemptions_and_timing_are_refused_whole(criminal_record):
    bad = [
        catalog.FeeSpec(
            "fee",
            "Phí",
            FEE_AMOUNT,
            exemptions=(
                catalog.ExemptionSpec("", 100, "Giấy"),
                catalog.ExemptionSpec("Trẻ em", 101, "Giấy khai sinh"),
                catalog.ExemptionSpec("Trẻ em", 50, ""),
            ),
        )
    ]
    errors = catalog.check_fees(bad)
    assert len(errors) == 4, errors  # no name; percent out of range; twice; no proof
    with pytest.raises(DomainError):
        catalog.set_fees(actor=SYSTEM, procedure=criminal_record, fees=bad)
    assert criminal_record.fees.get().exemptions.count() == 0
    with pytest.raises(DomainError) as exc:
        catalog.update_procedure(
            actor=SYSTEM, procedure=criminal_record, changes={"payment_timing": "later"}
        )
    assert "payment_timing" in exc.value.fields


FEE_AMOUNT = 200_000


def test_starter_catalogue_criminal_record_is_paid_before_processing_with_exemptions():
    document = read_json(STARTER_PATH.read_bytes())
    item = next(p for p in document["procedures"] if p["code"] == CRIMINAL_RECORD)
    assert item["payment_timing"] == "before_processing"
    fee = item["fees"][0]
    assert fee["amount"] == 200_000
    groups = {e["group"]: e for e in fee["exemptions"]}
    assert groups["Người có công với cách mạng"]["percent"] == 50  # 100.000 đồng, as the rule says
    assert groups["Người khuyết tật"]["percent"] == 100
    assert all(e["proof"] and "244/2016/TT-BTC" in e["legal_source"] for e in fee["exemptions"])


def test_procedure_page_shows_exemptions_and_when_to_pay(client, with_exemptions):  # noqa: F811
    page = client.get(f"/thu-tuc/{CRIMINAL_RECORD}/").content.decode()
    assert "Đối tượng được miễn, giảm" in page
    assert STUDENT in page and "Giảm 50%" in page and "100.000 đồng" in page
    assert DISABLED in page and "Miễn" in page and "Giấy xác nhận khuyết tật" in page
    assert "Nộp trước khi giải quyết hồ sơ" in page


def test_admin_fee_form_reads_and_writes_exemptions(with_exemptions):  # noqa: F811
    from egov.catalog.admin import format_exemptions, parse_exemptions

    text = format_exemptions(with_exemptions.fees.get().exemptions.all())
    assert text.splitlines()[0] == f"{STUDENT} | 50 | Thẻ sinh viên | {LEGAL}"
    specs = parse_exemptions(text + "\nTrẻ em | 100% | Giấy khai sinh\n\n")
    assert specs[-1] == catalog.ExemptionSpec("Trẻ em", 100, "Giấy khai sinh", "")
    assert catalog.check_fees([catalog.FeeSpec("fee", "Phí", 1, exemptions=specs)]) == []
    assert catalog.check_fees(
        [catalog.FeeSpec("fee", "Phí", 1, exemptions=parse_exemptions("X | nửa | Giấy"))]
    )
