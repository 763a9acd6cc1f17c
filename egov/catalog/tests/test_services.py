"""Catalogue changes: validation with clear Vietnamese errors, versioned processes, events."""

from __future__ import annotations

from decimal import Decimal

import pytest

from egov.catalog import services
from egov.catalog.models import (
    DossierComponent,
    Fee,
    Level,
    OnlineMode,
    Procedure,
    ProcessStep,
    ProcessVersion,
)
from egov.catalog.services import (
    CatalogError,
    ComponentSpec,
    FeeSpec,
    StepSpec,
)
from egov.core.actors import ANONYMOUS, Actor
from egov.core.errors import NotAllowed
from egov.core.text import normalize_vietnamese
from egov.events.models import Event

from .conftest import KHAI_SINH, OPERATOR, commune_steps

pytestmark = pytest.mark.django_db


def _create(sectors, **overrides):
    values = {
        "actor": OPERATOR,
        "code": KHAI_SINH,
        "name": "Đăng ký khai sinh",
        "sector": sectors["HT"],
        "level": Level.COMMUNE,
        "processing_time": 10,
        "online_mode": OnlineMode.FULL,
        "is_published": True,
        "steps": [
            StepSpec("Tiếp nhận", "receiver", 1, "one_stop"),
            StepSpec("Thẩm định", "specialist", 6),
            StepSpec("Trình ký", "unit_head", 1),
            StepSpec("Ký", "leader", 1),
            StepSpec("Trả kết quả", "receiver", 1),
        ],
    }
    values.update(overrides)
    return services.create_procedure(**values)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Đăng ký khai sinh", "dang ky khai sinh"),
        ("ĐĂNG KÝ KHAI SINH", "dang ky khai sinh"),
        ("Chứng thực bản sao (từ bản chính), giấy tờ!", "chung thuc ban sao tu ban chinh giay to"),
        ("Người có công với cách mạng", "nguoi co cong voi cach mang"),
        ("Thủ tục 1.001193.000.00.00.H41.", "thu tuc 1.001193.000.00.00.h41"),
        ("  Lý   lịch\ttư pháp ", "ly lich tu phap"),
        ("", ""),
    ],
)
def test_normalize_vietnamese(text, expected):
    assert normalize_vietnamese(text) == expected


def test_create_keeps_search_text_and_records_events(sectors):
    procedure = _create(sectors)
    assert procedure.search_text == "1.001193.000.00.00.h41 dang ky khai sinh ho tich"
    types = list(
        Event.objects.filter(subject_type="procedure", subject_id=str(procedure.pk)).values_list(
            "event_type", flat=True
        )
    )
    assert types == ["catalog.procedure_created", "catalog.process_published"]
    current = procedure.current_process()
    assert current is not None and current.version == 1
    assert [s.order for s in current.steps.all()] == [1, 2, 3, 4, 5]
    assert current.processing_time == Decimal("10")


def _nothing_written(events_before: int) -> None:
    assert not Procedure.objects.exists()
    assert not ProcessVersion.objects.exists()
    assert not ProcessStep.objects.exists()
    assert Event.objects.count() == events_before


def test_budgets_must_add_up_to_the_legal_time(sectors):
    events = Event.objects.count()
    steps = [StepSpec("Tiếp nhận", "receiver", 1), StepSpec("Thẩm định", "specialist", 8)]
    with pytest.raises(CatalogError) as exc:
        _create(sectors, steps=steps)
    assert (
        "Tổng thời gian các bước (9 ngày làm việc) phải bằng thời hạn giải quyết (10 ngày làm việc)"
    ) in exc.value.fields["steps"][0]
    assert exc.value.message.startswith("Thông tin thủ tục chưa hợp lệ")
    _nothing_written(events)


def test_hours_and_fractions_are_reported_in_vietnamese(sectors):
    steps = [StepSpec("Tiếp nhận", "receiver", "0.5"), StepSpec("Chứng thực", "specialist", 3)]
    with pytest.raises(CatalogError) as exc:
        _create(sectors, processing_time=4, time_unit="hours", steps=steps)
    assert "(3,5 giờ làm việc)" in exc.value.fields["steps"][0]
    assert "(4 giờ làm việc)" in exc.value.fields["steps"][0]


def test_unknown_role_is_refused(sectors):
    events = Event.objects.count()
    steps = commune_steps("10")
    steps[1] = StepSpec("Thẩm định", "boss", steps[1].budget)
    with pytest.raises(CatalogError) as exc:
        _create(sectors, steps=steps)
    message = exc.value.fields["steps"][0]
    assert message.startswith("Bước 2: vai trò 'boss' không hợp lệ")
    assert "specialist (Chuyên viên xử lý)" in message
    _nothing_written(events)


def test_operator_role_cannot_own_a_step(sectors):
    steps = commune_steps("10")
    steps[0] = StepSpec("Tiếp nhận", "operator", steps[0].budget)
    with pytest.raises(CatalogError):
        _create(sectors, steps=steps)


@pytest.mark.parametrize("code", ["1.1193", "1.001193", "abc", "1.001193.000.00.00.h41 x"])
def test_bad_code_format_is_refused(sectors, code):
    events = Event.objects.count()
    with pytest.raises(CatalogError) as exc:
        _create(sectors, code=code)
    assert "không đúng định dạng" in exc.value.fields["code"][0]
    _nothing_written(events)


def test_lower_case_code_is_accepted_as_upper_case(sectors):
    procedure = _create(sectors, code=" 1.001193.000.00.00.h41 ")
    assert procedure.code == KHAI_SINH


def test_duplicate_code_is_refused(sectors):
    _create(sectors)
    with pytest.raises(CatalogError) as exc:
        _create(sectors, name="Khác")
    assert "đã có trong danh mục" in exc.value.fields["code"][0]
    assert Procedure.objects.count() == 1


def test_several_problems_are_reported_together(sectors):
    with pytest.raises(CatalogError) as exc:
        _create(
            sectors,
            code="x",
            name=" ",
            level="huyen",
            online_mode=5,
            components=[ComponentSpec("to khai", "")],
            fees=[FeeSpec("tax", "Lệ phí", -1)],
        )
    fields = exc.value.fields
    assert {"code", "name", "level", "online_mode", "components", "fees"} <= set(fields)
    assert "Thành phần hồ sơ 1: mã 'to khai' không hợp lệ" in fields["components"][0]
    assert any("số tiền phải là số nguyên đồng" in m for m in fields["fees"])


def test_publishing_needs_a_process(sectors):
    with pytest.raises(CatalogError) as exc:
        _create(sectors, steps=None)
    assert "đã có quy trình nội bộ" in exc.value.fields["is_published"][0]
    draft = _create(sectors, steps=None, is_published=False)
    with pytest.raises(CatalogError):
        services.update_procedure(actor=OPERATOR, procedure=draft, changes={"is_published": True})
    services.publish_process(actor=OPERATOR, procedure=draft, steps=commune_steps("10"))
    services.update_procedure(actor=OPERATOR, procedure=draft, changes={"is_published": True})
    draft.refresh_from_db()
    assert draft.is_published


@pytest.mark.parametrize(
    "actor",
    [
        ANONYMOUS,
        Actor(kind="citizen", user_id=1),
        Actor(kind="official", user_id=2),
        Actor(kind="api_client", api_client_id=1, scopes=frozenset({"catalog:read"})),
    ],
)
def test_only_operators_change_the_catalogue(sectors, actor):
    procedure = _create(sectors)
    with pytest.raises(NotAllowed):
        _create(sectors, actor=actor, code="1.000894.000.00.00.H41")
    with pytest.raises(NotAllowed):
        services.update_procedure(actor=actor, procedure=procedure, changes={"name": "X"})
    with pytest.raises(NotAllowed):
        services.publish_process(actor=actor, procedure=procedure, steps=commune_steps("10"))
    with pytest.raises(NotAllowed):
        services.set_fees(actor=actor, procedure=procedure, fees=[])


def test_publishing_v2_keeps_v1_and_its_steps_unchanged(sectors):
    procedure = _create(sectors)
    v1 = procedure.current_process()
    assert v1 is not None
    v1_steps = list(v1.steps.values_list("pk", "order", "name", "role", "budget"))

    v2 = services.publish_process(
        actor=OPERATOR,
        procedure=procedure,
        note="Rút ngắn thời gian",
        processing_time=8,
        steps=[
            StepSpec("Tiếp nhận", "receiver", "0.5", "one_stop"),
            StepSpec("Thẩm định", "specialist", 5),
            StepSpec("Ký", "leader", 2),
            StepSpec("Trả kết quả", "receiver", "0.5"),
        ],
    )
    v1.refresh_from_db()
    procedure.refresh_from_db()
    assert v2.version == 2 and v2.is_current
    assert not v1.is_current
    assert v1.processing_time == Decimal("10")  # dossiers on v1 keep their legal time
    assert list(v1.steps.values_list("pk", "order", "name", "role", "budget")) == v1_steps
    assert procedure.current_process() == v2
    assert procedure.processing_time == Decimal("8")
    assert [s.budget for s in v2.steps.all()] == [Decimal("0.5"), 5, 2, Decimal("0.5")]
    assert ProcessVersion.objects.filter(procedure=procedure).count() == 2
    event = Event.objects.filter(event_type="catalog.process_published").last()
    assert event is not None
    assert event.payload["version"] == 2 and event.payload["previous_version"] == 1


def test_invalid_new_version_changes_nothing(sectors):
    procedure = _create(sectors)
    with pytest.raises(CatalogError):
        services.publish_process(
            actor=OPERATOR, procedure=procedure, steps=[StepSpec("Tiếp nhận", "receiver", 3)]
        )
    assert ProcessVersion.objects.filter(procedure=procedure).count() == 1
    assert procedure.current_process().version == 1


def test_new_legal_time_must_come_with_a_matching_process(sectors):
    procedure = _create(sectors)
    with pytest.raises(CatalogError) as exc:
        services.update_procedure(
            actor=OPERATOR, procedure=procedure, changes={"processing_time": 7}
        )
    assert "hãy công bố quy trình mới cùng lúc" in exc.value.fields["processing_time"][0]
    procedure.refresh_from_db()
    assert procedure.processing_time == 10

    services.update_procedure(
        actor=OPERATOR,
        procedure=procedure,
        changes={"processing_time": 7},
        steps=commune_steps("7"),
    )
    procedure.refresh_from_db()
    assert procedure.processing_time == 7
    assert procedure.current_process().version == 2


def test_update_records_changes_and_nothing_when_unchanged(sectors):
    procedure = _create(sectors)
    before = Event.objects.count()
    services.update_procedure(
        actor=OPERATOR, procedure=procedure, changes={"name": "Đăng ký khai sinh", "online_mode": 4}
    )
    assert Event.objects.count() == before
    services.update_procedure(
        actor=OPERATOR,
        procedure=procedure,
        changes={"name": "Đăng ký khai sinh (đúng hạn)", "sector": sectors["LLTP"]},
    )
    procedure.refresh_from_db()
    assert procedure.search_text.endswith("dang ky khai sinh dung han ly lich tu phap")
    event = Event.objects.last()
    assert event is not None and event.event_type == "catalog.procedure_updated"
    assert event.payload["changes"]["sector"] == ["HT", "LLTP"]
    # Same steps again: no new version.
    services.update_procedure(
        actor=OPERATOR, procedure=procedure, steps=services._steps_of(procedure.current_process())
    )
    assert procedure.process_versions.count() == 1


def test_sector_rename_updates_search_text(catalog, sectors):
    services.update_sector(actor=OPERATOR, sector=sectors["HT"], name="Hộ tịch, quốc tịch")
    catalog["birth"].refresh_from_db()
    assert catalog["birth"].search_text.endswith("ho tich quoc tich")


def test_components_are_matched_by_code(catalog):
    procedure = catalog["birth"]
    form = DossierComponent.objects.get(procedure=procedure, code="to-khai")
    components = [
        ComponentSpec("giay-chung-sinh", "Giấy chứng sinh (bản chính)", originals=1),
        ComponentSpec("to-khai", "Tờ khai đăng ký khai sinh", form_schema=form.form_schema),
        ComponentSpec("cccd-cha-me", "Căn cước của cha, mẹ", originals=0, copies=1, required=False),
    ]
    services.set_components(actor=OPERATOR, procedure=procedure, components=components)
    rows = list(DossierComponent.objects.filter(procedure=procedure).order_by("order"))
    assert [r.code for r in rows] == ["giay-chung-sinh", "to-khai", "cccd-cha-me"]
    assert rows[1].pk == form.pk  # updated in place: dossiers referring to it keep working
    assert rows[1].is_online_form
    event = Event.objects.filter(event_type="catalog.components_set").last()
    assert event is not None
    assert event.payload["added"] == ["cccd-cha-me"]
    assert event.payload["removed"] == ["uy-quyen"]


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"fields": [{"name": "x", "label": "X", "type": "photo"}]}, "kiểu 'photo' không hợp lệ"),
        ({"fields": [{"name": "x", "label": "X", "type": "select"}]}, "phải có danh sách lựa chọn"),
        (
            {
                "fields": [
                    {"name": "a", "label": "A", "type": "text"},
                    {"name": "a", "label": "B", "type": "text"},
                ]
            },
            "bị trùng",
        ),
        ({"fields": [{"name": "Họ tên", "label": "A", "type": "text"}]}, "không hợp lệ"),
        ({"fields": []}, "ít nhất một trường"),
        ([1, 2], "phải có dạng"),
    ],
)
def test_online_form_schema_is_checked(catalog, schema, message):
    with pytest.raises(CatalogError) as exc:
        services.set_components(
            actor=OPERATOR,
            procedure=catalog["birth"],
            components=[ComponentSpec("to-khai", "Tờ khai", form_schema=schema)],
        )
    assert message in exc.value.fields["errors"][0]
    assert DossierComponent.objects.filter(procedure=catalog["birth"]).count() == 3


def test_fees_are_integer_vnd_in_order(catalog):
    procedure = catalog["birth"]
    services.set_fees(
        actor=OPERATOR,
        procedure=procedure,
        fees=[
            FeeSpec("fee", "Phí cấp bản sao", 8000, "8.000 đồng/bản"),
            FeeSpec("charge", "Lệ phí đăng ký khai sinh quá hạn", 5000),
        ],
    )
    assert list(Fee.objects.filter(procedure=procedure).values_list("name", "amount")) == [
        ("Phí cấp bản sao", 8000),
        ("Lệ phí đăng ký khai sinh quá hạn", 5000),
    ]
    with pytest.raises(CatalogError):
        services.set_fees(actor=OPERATOR, procedure=procedure, fees=[FeeSpec("fee", "Phí", 1500.5)])  # type: ignore[arg-type]


def test_delete_unused_procedure(catalog):
    services.delete_procedure(actor=OPERATOR, procedure=catalog["record"])
    assert not Procedure.objects.filter(code=catalog["record"].code).exists()
    assert Event.objects.filter(event_type="catalog.procedure_deleted").exists()


def test_submission_count(catalog, django_capture_on_commit_callbacks):
    """Counted once the submission commits (the procedure's row is not held by it)."""
    with django_capture_on_commit_callbacks(execute=True):
        services.note_submission(catalog["again"])
        services.note_submission(catalog["again"].pk)
        catalog["again"].refresh_from_db()
        assert catalog["again"].submission_count == 0
    catalog["again"].refresh_from_db()
    assert catalog["again"].submission_count == 2


def test_form_template_upload_is_stored_and_kept(catalog, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    procedure = catalog["birth"]
    specs = [services.component_spec(c) for c in procedure.components.order_by("order")]
    specs[0] = ComponentSpec(
        specs[0].code,
        specs[0].name,
        form_schema=specs[0].form_schema,
        form_template=SimpleUploadedFile("to-khai-khai-sinh.docx", b"PK mau to khai"),
    )
    services.set_components(actor=OPERATOR, procedure=procedure, components=specs)
    stored = DossierComponent.objects.get(procedure=procedure, code="to-khai").form_template
    assert stored.name.startswith("catalog/forms/to-khai-khai-sinh")
    assert (tmp_path / stored.name).read_bytes() == b"PK mau to khai"
    # Handing the stored name back (as the importer does) changes nothing.
    events = Event.objects.count()
    again = [services.component_spec(c) for c in procedure.components.order_by("order")]
    services.set_components(actor=OPERATOR, procedure=procedure, components=again)
    assert Event.objects.count() == events
