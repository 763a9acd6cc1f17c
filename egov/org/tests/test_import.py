"""Importing administrative units from vietnam-provinces (2025) and from a legacy JSON file."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from vietnam_provinces import Province, ProvinceCode, Ward

from egov.core.actors import Actor
from egov.core.errors import NotAllowed
from egov.events.models import Event
from egov.org import services
from egov.org.models import AdministrativeUnit

pytestmark = pytest.mark.django_db

QN = 22


def package_wards(code: int) -> list[Ward]:
    return list(Ward.iter_by_province(ProvinceCode(code)))


def test_quang_ninh_import_matches_the_package_and_is_idempotent() -> None:
    wards = package_wards(QN)
    out = StringIO()
    call_command("import_admin_units", "--province", str(QN), stdout=out)

    units = AdministrativeUnit.objects.filter(scheme="2025")
    province = units.get(level="province")
    assert province.code == "22"
    assert province.name == "Tỉnh Quảng Ninh"
    assert province.valid_from == date(2025, 7, 1)
    communes = units.filter(level="commune")
    assert communes.count() == len(wards)
    assert set(communes.values_list("code", flat=True)) == {f"{w.code.value:05d}" for w in wards}
    assert set(communes.values_list("parent_id", flat=True)) == {province.pk}
    assert units.get(code="06688").name == "Phường Hạ Long"
    assert units.get(code="06994").division_type == "đặc khu"
    assert f"tạo mới {len(wards) + 1}" in out.getvalue()
    events = Event.objects.filter(event_type="org.admin_units_imported")
    assert events.count() == 1

    # Running again creates nothing, changes nothing, records nothing.
    out = StringIO()
    call_command("import_admin_units", "--province", str(QN), stdout=out)
    assert "tạo mới 0, cập nhật 0" in out.getvalue()
    assert AdministrativeUnit.objects.filter(scheme="2025").count() == len(wards) + 1
    assert events.count() == 1


def test_reimport_restores_names_and_keeps_the_rows() -> None:
    services.import_from_package(province_codes=[QN])
    unit = AdministrativeUnit.objects.get(scheme="2025", code="06688")
    AdministrativeUnit.objects.filter(pk=unit.pk).update(name="Tên sai")

    result = services.import_from_package(province_codes=[QN])

    assert (result.created, result.updated) == (0, 1)
    unit.refresh_from_db()
    assert unit.name == "Phường Hạ Long"
    assert AdministrativeUnit.objects.filter(scheme="2025", code="06688").count() == 1


def test_existing_province_row_is_updated_not_duplicated(province: AdministrativeUnit) -> None:
    services.import_from_package(province_codes=[QN])
    assert AdministrativeUnit.objects.filter(scheme="2025", code="22").count() == 1
    province.refresh_from_db()
    assert province.division_type == "tỉnh"
    assert province.children.count() == len(package_wards(QN))


def test_all_provinces() -> None:
    result = services.import_from_package()
    expected = len(list(Province.iter_all())) + len(list(Ward.iter_all()))
    assert result.created == expected
    assert AdministrativeUnit.objects.filter(level="province").count() == 34


def test_unknown_province_is_refused() -> None:
    with pytest.raises(CommandError, match="mã 99"):
        call_command("import_admin_units", "--province", "99", stdout=StringIO())
    assert not AdministrativeUnit.objects.exists()


def test_only_operators_import() -> None:
    with pytest.raises(NotAllowed):
        services.import_from_package(province_codes=[QN], actor=Actor(kind="official", user_id=1))


def test_legacy_scheme_needs_a_file_because_the_package_has_only_2025_data() -> None:
    with pytest.raises(CommandError, match="chỉ có dữ liệu 2 cấp"):
        call_command("import_admin_units", "--scheme", "legacy", stdout=StringIO())


LEGACY = [
    {
        "name": "Tỉnh Quảng Ninh",
        "code": 22,
        "division_type": "tỉnh",
        "districts": [
            {
                "name": "Thành phố Hạ Long",
                "code": 193,
                "division_type": "thành phố trực thuộc tỉnh",
                "wards": [
                    {"name": "Phường Hồng Gai", "code": 6685, "division_type": "phường"},
                    {"name": "Phường Bãi Cháy", "code": 6673, "division_type": "phường"},
                ],
            },
            {
                "name": "Huyện Vân Đồn",
                "code": 203,
                "division_type": "huyện",
                "wards": [{"name": "Thị trấn Cái Rồng", "code": 6994, "division_type": "thị trấn"}],
            },
        ],
    },
    {"name": "Tỉnh Lạng Sơn", "code": 20, "division_type": "tỉnh", "districts": []},
]


def test_legacy_three_tier_import_from_file(tmp_path) -> None:
    path = tmp_path / "legacy.json"
    path.write_text(json.dumps(LEGACY, ensure_ascii=False), encoding="utf-8")
    services.import_from_package(province_codes=[QN])  # both schemes side by side

    out = StringIO()
    call_command("import_admin_units", "--scheme", "legacy", "--file", str(path), stdout=out)
    call_command("import_admin_units", "--scheme", "legacy", "--file", str(path), stdout=out)

    legacy = AdministrativeUnit.objects.filter(scheme="legacy")
    assert legacy.count() == 6  # Lạng Sơn is not the default province: not imported
    ha_long = legacy.get(code="193")
    assert ha_long.level == "district"
    assert ha_long.parent is not None and ha_long.parent.code == "22"
    cai_rong = legacy.get(code="06994")
    assert cai_rong.level == "commune" and cai_rong.parent_id == legacy.get(code="203").pk
    assert cai_rong.valid_to == date(2025, 6, 30)
    # The 2025 unit with the same code is a different row.
    assert AdministrativeUnit.objects.get(scheme="2025", code="06994").name == "Đặc khu Vân Đồn"
    assert "tạo mới 0, cập nhật 0, không đổi 6" in out.getvalue()


def test_legacy_file_with_wrong_structure_is_refused(tmp_path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([{"name": "x"}]), encoding="utf-8")
    with pytest.raises(CommandError, match="sai cấu trúc"):
        call_command(
            "import_admin_units",
            "--scheme",
            "legacy",
            "--file",
            str(path),
            "--all",
            stdout=StringIO(),
        )
