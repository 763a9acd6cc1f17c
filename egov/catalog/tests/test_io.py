"""Import and export: JSON and XLSX round trips reproduce the catalogue exactly; an import with
any error writes nothing and names the sheet and row."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from egov.catalog import services
from egov.catalog.io import (
    CatalogImportError,
    clean_document,
    export_catalog,
    export_json,
    export_xlsx,
    import_catalog,
    read_document,
    read_json,
    read_xlsx,
)
from egov.catalog.models import (
    DossierComponent,
    Fee,
    Procedure,
    ProcessStep,
    ProcessVersion,
    Sector,
)
from egov.catalog.services import ComponentSpec, StepSpec
from egov.events.models import Event

from .conftest import KET_HON, KHAI_SINH, LLTP, OPERATOR

pytestmark = pytest.mark.django_db


@pytest.fixture
def rich_catalog(catalog, sectors):
    """The small catalogue plus values that are easy to lose on the way: line breaks, text that
    looks like a formula, hours, fractions, a stored form template, a second process version,
    a draft without a process and a sector without procedures."""
    services.create_sector(actor=OPERATOR, code="CT", name="Chứng thực")
    services.create_procedure(
        actor=OPERATOR,
        code="2.000815.000.00.00.H41",
        name="Chứng thực bản sao từ bản chính giấy tờ, văn bản",
        sector=sectors["HT"],
        level="commune",
        processing_time=4,
        time_unit="hours",
        online_mode=2,
        is_published=True,
        legal_basis="Nghị định 23/2015/NĐ-CP;\nThông tư 01/2020/TT-BTP",
        requirements='=Xuất trình bản chính; "ngay trong ngày"',
        for_citizens=True,
        for_businesses=True,
        steps=[
            StepSpec("Tiếp nhận", "receiver", "0.25", "one_stop"),
            StepSpec("Đối chiếu, ghi lời chứng", "specialist", "2.5"),
            StepSpec("Ký chứng thực", "leader", "0.75", "leadership"),
            StepSpec("Trả kết quả", "receiver", "0.5", "one_stop"),
        ],
        components=[
            ComponentSpec(
                "ban-chinh",
                "Bản chính giấy tờ",
                originals=1,
                form_template="catalog/forms/mau-01.docx",
            )
        ],
    )
    services.publish_process(
        actor=OPERATOR,
        procedure=catalog["record"],
        note="Phiên bản 2: liên thông Công an",
        steps=[
            StepSpec("Tiếp nhận", "receiver", "0.5", "one_stop"),
            StepSpec("Xác minh tại Công an tỉnh", "specialist", 7, "professional", "000.00.30.H41"),
            StepSpec("Ký phiếu", "leader", 2),
            StepSpec("Trả kết quả", "receiver", "0.5"),
        ],
    )
    return catalog


def wipe() -> None:
    ProcessStep.objects.all().delete()
    ProcessVersion.objects.all().delete()
    DossierComponent.objects.all().delete()
    Fee.objects.all().delete()
    Procedure.objects.all().delete()
    Sector.objects.all().delete()


def test_json_round_trip_reproduces_the_catalogue(rich_catalog):
    document = export_catalog()
    text = export_json()
    assert json.loads(text) == document
    assert len(document["procedures"]) == 7
    assert document["sectors"][0] == {"code": "CT", "name": "Chứng thực"}
    wipe()
    result = import_catalog(read_json(text), actor=OPERATOR)
    assert len(result.created) == 7 and not result.updated
    assert export_catalog() == document
    assert export_json() == text


def test_xlsx_round_trip_reproduces_the_catalogue(rich_catalog):
    document = export_catalog()
    text = export_json()
    workbook = export_xlsx()
    wipe()
    parsed = read_xlsx(workbook)
    assert len(parsed["procedures"]) == 7
    import_catalog(parsed, actor=OPERATOR)
    assert export_catalog() == document
    assert export_json() == text
    # And the workbook exported again holds the same rows.
    assert clean_document(read_xlsx(export_xlsx())) == clean_document(parsed)


def test_workbook_is_readable_by_people(rich_catalog):
    book = load_workbook(io.BytesIO(export_xlsx()))
    assert book.sheetnames == [
        "Lĩnh vực",
        "Thủ tục",
        "Thành phần hồ sơ",
        "Phí, lệ phí",
        "Miễn, giảm phí, lệ phí",
        "Quy trình",
        "Hướng dẫn",
    ]
    procedures = book["Thủ tục"]
    assert procedures["A1"].value == "Mã thủ tục"
    names = [row[1] for row in procedures.iter_rows(min_row=2, values_only=True)]
    assert "Đăng ký khai sinh" in names
    requirements = [row[12] for row in procedures.iter_rows(min_row=2, values_only=True)]
    assert '=Xuất trình bản chính; "ngay trong ngày"' in requirements  # text, not a formula
    steps = book["Quy trình"]
    assert [c.value for c in steps[1]] == [
        "Mã thủ tục",
        "Bước",
        "Tên bước",
        "Vai trò",
        "Loại phòng ban",
        "Cơ quan liên thông",
        "Thời gian",
    ]


def test_import_is_idempotent_by_code(rich_catalog):
    document = export_catalog()
    events = Event.objects.count()
    result = import_catalog(document, actor=OPERATOR)
    assert len(result.unchanged) == 7 and not result.created and not result.updated
    assert Event.objects.count() == events


def test_import_updates_and_publishes_a_new_process_version(catalog):
    document = export_catalog()
    birth = next(p for p in document["procedures"] if p["code"] == KHAI_SINH)
    birth["name"] = "Đăng ký khai sinh (đúng hạn)"
    birth["processing_time"] = 2
    birth["process"]["steps"][1]["budget"] = 1.25
    birth["fees"] = []
    result = import_catalog(document, actor=OPERATOR)
    assert result.updated == [KHAI_SINH]
    procedure = Procedure.objects.get(code=KHAI_SINH)
    assert procedure.name == "Đăng ký khai sinh (đúng hạn)"
    assert procedure.processing_time == 2
    assert not procedure.fees.exists()
    versions = list(procedure.process_versions.order_by("version"))
    assert [v.version for v in versions] == [1, 2] and versions[1].is_current
    assert versions[0].processing_time == 1
    assert [s.budget for s in versions[0].steps.all()] == [Decimal("0.25")] * 4


def test_invalid_json_import_writes_nothing(catalog):
    before = export_catalog()
    events = Event.objects.count()
    document = export_catalog()
    document["procedures"][0]["process"]["steps"][0]["role"] = "boss"
    document["procedures"][1]["code"] = "1.1193"
    document["procedures"].append(
        {**document["procedures"][2], "code": "1.000001.H41", "name": "Thủ tục mới hợp lệ"}
    )
    with pytest.raises(CatalogImportError) as exc:
        import_catalog(document, actor=OPERATOR)
    errors = exc.value.errors
    assert any("bước 1" in e and "vai trò 'boss' không hợp lệ" in e for e in errors)
    assert any("Mã thủ tục '1.1193' không đúng định dạng" in e for e in errors)
    assert "chưa ghi gì" in exc.value.message
    assert export_catalog() == before
    assert not Procedure.objects.filter(code="1.000001.H41").exists()
    assert Event.objects.count() == events


def _edit_workbook(data: bytes, sheet: str, cell: str, value) -> bytes:
    book = load_workbook(io.BytesIO(data))
    book[sheet][cell] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _row_of(data: bytes, sheet: str, code: str, column: int = 1) -> int:
    book = load_workbook(io.BytesIO(data))
    for number, row in enumerate(book[sheet].iter_rows(values_only=True), start=1):
        if row[column - 1] == code:
            return number
    raise AssertionError(code)


def test_xlsx_errors_name_the_sheet_and_row_and_nothing_is_written(catalog):
    before = export_catalog()
    workbook = export_xlsx()
    row = _row_of(workbook, "Quy trình", LLTP)
    # Step 1 goes from 0.5 to 5 days: the budgets no longer add up.
    broken = _edit_workbook(workbook, "Quy trình", f"G{row}", 5)
    broken = _edit_workbook(broken, "Phí, lệ phí", "E2", "hai trăm nghìn")
    broken = _edit_workbook(broken, "Thủ tục", "D2", "huyen-xa")
    with pytest.raises(CatalogImportError) as exc:
        import_catalog(read_xlsx(broken), actor=OPERATOR)
    errors = exc.value.errors
    assert any(e.startswith("Trang 'Phí, lệ phí', dòng 2, cột 'Số tiền (đồng)'") for e in errors)
    # Cell errors stop before the content checks; fix that cell and see the rest.
    broken = _edit_workbook(broken, "Phí, lệ phí", "E2", 0)
    with pytest.raises(CatalogImportError) as exc:
        import_catalog(read_xlsx(broken), actor=OPERATOR)
    errors = exc.value.errors
    assert any(
        "Trang 'Thủ tục', dòng 2" in e and "Cấp thực hiện 'huyen-xa' không hợp lệ" in e
        for e in errors
    )
    assert any(
        f"thủ tục {LLTP}" in e
        and "Tổng thời gian các bước (14,5 ngày làm việc) phải "
        "bằng thời hạn giải quyết (10 ngày làm việc)"
        in e
        for e in errors
    )
    assert export_catalog() == before


def test_xlsx_steps_for_an_unknown_procedure_are_refused(catalog):
    workbook = export_xlsx()
    broken = _edit_workbook(workbook, "Quy trình", "A2", "9.999999.H41")
    with pytest.raises(CatalogImportError) as exc:
        read_xlsx(broken)
    assert exc.value.errors[0].startswith("Trang 'Quy trình', dòng 2: mã thủ tục '9.999999.H41'")


def test_unknown_agency_is_an_error_unless_skipped(catalog):
    document = export_catalog()
    document["procedures"][0]["agencies"] = ["000.09.99.H41"]
    with pytest.raises(CatalogImportError) as exc:
        import_catalog(document, actor=OPERATOR)
    assert "cơ quan '000.09.99.H41' chưa có trong hệ thống" in exc.value.errors[0]
    result = import_catalog(document, actor=OPERATOR, missing_agencies="skip")
    assert "bỏ qua cơ quan '000.09.99.H41'" in result.warnings[0]


def test_dry_run_writes_nothing(catalog):
    document = export_catalog()
    document["procedures"][0]["name"] = "Tên mới"
    result = import_catalog(document, actor=OPERATOR, dry_run=True)
    assert result.dry_run and len(result.updated) == 1
    assert Procedure.objects.get(code=document["procedures"][0]["code"]).name != "Tên mới"


def test_only_operators_import(catalog):
    from egov.core.actors import ANONYMOUS
    from egov.core.errors import NotAllowed

    with pytest.raises(NotAllowed):
        import_catalog(export_catalog(), actor=ANONYMOUS)


def test_not_a_catalogue_file():
    with pytest.raises(CatalogImportError):
        read_document(b"not json at all", "x.json")
    with pytest.raises(CatalogImportError):
        read_document(b"PK\x03\x04garbage", "x.xlsx")
    with pytest.raises(CatalogImportError) as exc:
        import_catalog({"format": "other", "procedures": []}, actor=OPERATOR)
    assert "không phải danh mục thủ tục" in exc.value.errors[0]


def test_management_commands_round_trip(rich_catalog, tmp_path, capsys):
    document = export_catalog()
    call_command("export_catalog", str(tmp_path / "catalog.json"))
    call_command("export_catalog", str(tmp_path / "catalog.xlsx"), "--format", "xlsx")
    wipe()
    call_command("import_catalog", str(tmp_path / "catalog.xlsx"))
    assert "7 thủ tục mới" in capsys.readouterr().out
    assert export_catalog() == document
    call_command("import_catalog", str(tmp_path / "catalog.json"))
    assert "7 thủ tục không đổi" in capsys.readouterr().out
    assert json.loads((tmp_path / "catalog.json").read_text()) == document
    assert KET_HON in (tmp_path / "catalog.json").read_text()
