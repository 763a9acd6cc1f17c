"""A demo province (Quảng Ninh) so a person can try the platform: agencies, units, positions,
officials with TOTP, an operator, two citizens and a business.

The agency identifiers have the QCVN 102:2016 shape (`000.00.00.H41` for the provincial People's
Committee, `000.00.NN.H41` for departments, `000.NN.50.H41` for commune People's Committees) but
are demo values, not the province's published codes. Communes are real 2025 units from
vietnam-provinces. The password and the TOTP secret below are public: never load the demo on a
production database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from egov.core.actors import SYSTEM, Actor
from egov.org.models import AdministrativeUnit, Agency, Position, Role, Unit

DEMO_PROVINCE_CODE = 22  # Quảng Ninh
DEMO_PASSWORD = "DemoEgov@2026"
DEMO_TOTP_SECRET = "MVTW65RNMRSW23ZNOF2WC3THNZUW42BB"  # base32 of "egov-demo-quangninh!"
DEMO_EMAIL_DOMAIN = "demo.dichvucong.local"


@dataclass(frozen=True)
class PositionSpec:
    code: str
    name: str
    is_leader: bool = False


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    kind: str
    abbreviation: str = ""


@dataclass(frozen=True)
class OfficialSpec:
    username: str
    full_name: str
    unit_code: str
    position_code: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class AgencySpec:
    key: str
    identifier: str
    name: str  # for communes: filled from the administrative unit's name
    abbreviation: str
    kind: str
    admin_unit_code: str  # "22" or a commune code
    parent_key: str | None
    units: tuple[UnitSpec, ...]
    officials: tuple[OfficialSpec, ...] = ()
    address: str = ""
    phone: str = ""
    website: str = ""


@dataclass(frozen=True)
class CitizenSpec:
    personal_id: str
    full_name: str
    phone: str
    email: str = ""


@dataclass(frozen=True)
class BusinessSpec:
    tax_code: str
    name: str
    representative: str
    phone: str
    email: str
    address: str


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    agency: str


@dataclass
class DemoResult:
    logins: list[DemoLogin] = field(default_factory=list)
    created_officials: int = 0
    created_agencies: int = 0
    created_units: int = 0


POSITIONS = (
    PositionSpec("chu-tich", "Chủ tịch", True),
    PositionSpec("pho-chu-tich", "Phó Chủ tịch", True),
    PositionSpec("giam-doc", "Giám đốc", True),
    PositionSpec("pho-giam-doc", "Phó Giám đốc", True),
    PositionSpec("chanh-van-phong", "Chánh Văn phòng", True),
    PositionSpec("truong-phong", "Trưởng phòng", True),
    PositionSpec("pho-truong-phong", "Phó Trưởng phòng", True),
    PositionSpec("chuyen-vien", "Chuyên viên"),
    PositionSpec("van-thu", "Văn thư"),
)

_NAMES = iter(
    """Nguyễn Văn Hùng|Trần Thị Lan|Lê Minh Tuấn|Phạm Thị Hương|Hoàng Văn Nam|Vũ Thị Mai|
    Đặng Quốc Bảo|Bùi Thị Thu|Đỗ Văn Long|Ngô Thị Hạnh|Dương Văn Thắng|Lý Thị Ngọc|Phan Văn Khánh|
    Trịnh Thị Hà|Đinh Văn Sơn|Mai Thị Yến|Cao Văn Dũng|Tạ Thị Linh|Lương Văn Phúc|Hà Thị Nga|
    Nguyễn Đức Anh|Trần Văn Quang|Lê Thị Hoa|Phạm Văn Toàn|Hoàng Thị Thủy|Vũ Văn Hải|
    Đặng Thị Nhung|Bùi Văn Cường|Đỗ Thị Phương|Ngô Văn Lợi|Nguyễn Thị Thanh|Trần Quốc Việt|
    Lê Văn Thành|Phạm Thị Loan|Hoàng Minh Đức|Vũ Thị Hằng|Đặng Văn Tùng|Bùi Thị Huyền|
    Đỗ Minh Khoa|Ngô Thị Vân|Nguyễn Văn Bình|Trần Thị Thảo|Lê Quang Huy|Phạm Thị Dung|
    Hoàng Văn Tiến|Vũ Thị Oanh|Đặng Minh Hoàng|Bùi Văn Hưng|Đỗ Thị Trang|Ngô Quang Vinh|
    Nguyễn Thị Liên|Trần Văn Hiếu|Lê Thị Xuân|Phạm Quốc Khải|Hoàng Thị Bích|Vũ Đức Thịnh|
    Đặng Thị Kim|Bùi Quang Minh|Đỗ Văn Hòa|Ngô Thị Hiền|Lưu Văn Kiên""".replace("\n", "")
    .replace("    ", "")
    .split("|")
)

_R, _S, _H, _L, _C = Role.RECEIVER, Role.SPECIALIST, Role.UNIT_HEAD, Role.LEADER, Role.CLERK
_ONE_STOP, _PROF = Unit.Kind.ONE_STOP_DESK, Unit.Kind.PROFESSIONAL
_OFFICE, _LEAD = Unit.Kind.OFFICE, Unit.Kind.LEADERSHIP


def _department(
    key: str, number: int, name: str, abbreviation: str, sections: tuple[UnitSpec, ...]
) -> AgencySpec:
    """A provincial department (Sở) with its leadership, office, one-stop desk (at the public
    administrative service centre) and professional sections; five officials."""
    main = sections[0].code
    return AgencySpec(
        key=key,
        identifier=f"000.00.{number:02d}.H41",
        name=f"{name} tỉnh Quảng Ninh",
        abbreviation=abbreviation,
        kind=Agency.Kind.DEPARTMENT,
        admin_unit_code="22",
        parent_key="ubnd",
        address="Tỉnh Quảng Ninh",
        units=(
            UnitSpec("LD", "Lãnh đạo Sở", _LEAD),
            UnitSpec("VP", "Văn phòng Sở", _OFFICE, "VP"),
            UnitSpec(
                "MC",
                "Bộ phận Một cửa tại Trung tâm Phục vụ hành chính công tỉnh",
                _ONE_STOP,
                "MC",
            ),
            *sections,
        ),
        officials=(
            OfficialSpec(f"{key}.giamdoc", next(_NAMES), "LD", "giam-doc", (_L,)),
            OfficialSpec(f"{key}.truongphong", next(_NAMES), main, "truong-phong", (_H,)),
            OfficialSpec(f"{key}.chuyenvien", next(_NAMES), main, "chuyen-vien", (_S,)),
            OfficialSpec(f"{key}.tiepnhan", next(_NAMES), "MC", "chuyen-vien", (_R,)),
            OfficialSpec(f"{key}.vanthu", next(_NAMES), "VP", "van-thu", (_C,)),
        ),
    )


def _commune(key: str, number: int, ward_code: str, is_rural: bool) -> AgencySpec:
    """A commune-level People's Committee in the 2025 model: Văn phòng HĐND và UBND, two
    sections and the commune's own public administrative service centre (its one-stop desk)."""
    economy = "Phòng Kinh tế" if is_rural else "Phòng Kinh tế, Hạ tầng và Đô thị"
    return AgencySpec(
        key=key,
        identifier=f"000.{number:02d}.50.H41",
        name="",
        abbreviation="UBND",
        kind=Agency.Kind.PEOPLES_COMMITTEE,
        admin_unit_code=ward_code,
        parent_key="ubnd",
        units=(
            UnitSpec("LD", "Lãnh đạo Ủy ban nhân dân", _LEAD),
            UnitSpec("VP", "Văn phòng Hội đồng nhân dân và Ủy ban nhân dân", _OFFICE, "VP"),
            UnitSpec("KT", economy, _PROF, "KT"),
            UnitSpec("VHXH", "Phòng Văn hóa - Xã hội", _PROF, "VHXH"),
            UnitSpec("TTPVHCC", "Trung tâm Phục vụ hành chính công", _ONE_STOP, "TTPVHCC"),
        ),
        officials=(
            OfficialSpec(f"{key}.chutich", next(_NAMES), "LD", "chu-tich", (_L,)),
            OfficialSpec(f"{key}.phochutich", next(_NAMES), "LD", "pho-chu-tich", (_L,)),
            OfficialSpec(f"{key}.truongphong", next(_NAMES), "KT", "truong-phong", (_H,)),
            OfficialSpec(f"{key}.chuyenvien", next(_NAMES), "KT", "chuyen-vien", (_S,)),
            OfficialSpec(f"{key}.tiepnhan", next(_NAMES), "TTPVHCC", "chuyen-vien", (_R,)),
            OfficialSpec(f"{key}.vanthu", next(_NAMES), "VP", "van-thu", (_C,)),
        ),
    )


AGENCIES: tuple[AgencySpec, ...] = (
    AgencySpec(
        key="ubnd",
        identifier="000.00.00.H41",
        name="Ủy ban nhân dân tỉnh Quảng Ninh",
        abbreviation="UBND",
        kind=Agency.Kind.PEOPLES_COMMITTEE,
        admin_unit_code="22",
        parent_key=None,
        address="Tỉnh Quảng Ninh",
        website="https://www.quangninh.gov.vn",
        units=(
            UnitSpec("LD", "Lãnh đạo Ủy ban nhân dân tỉnh", _LEAD),
            UnitSpec("VP", "Văn phòng Ủy ban nhân dân tỉnh", _OFFICE, "VP"),
            UnitSpec("TH", "Phòng Tổng hợp", _PROF, "TH"),
        ),
        officials=(
            OfficialSpec("ubndtinh.chutich", next(_NAMES), "LD", "chu-tich", (_L,)),
            OfficialSpec("ubndtinh.phochutich", next(_NAMES), "LD", "pho-chu-tich", (_L,)),
            OfficialSpec("ubndtinh.truongphong", next(_NAMES), "TH", "truong-phong", (_H,)),
            OfficialSpec("ubndtinh.chuyenvien", next(_NAMES), "TH", "chuyen-vien", (_S,)),
            OfficialSpec("ubndtinh.vanthu", next(_NAMES), "VP", "van-thu", (_C,)),
        ),
    ),
    AgencySpec(
        key="ttpvhcc",
        identifier="000.00.20.H41",
        name="Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh",
        abbreviation="TTPVHCC",
        kind=Agency.Kind.SERVICE_CENTRE,
        admin_unit_code="22",
        parent_key="ubnd",
        address="Tỉnh Quảng Ninh",
        units=(
            UnitSpec("LD", "Lãnh đạo Trung tâm", _LEAD),
            UnitSpec("HCTH", "Phòng Hành chính - Tổng hợp", _OFFICE, "HCTH"),
            UnitSpec("TNTKQ", "Bộ phận Tiếp nhận và Trả kết quả", _ONE_STOP, "TNTKQ"),
            UnitSpec("KSTT", "Phòng Kiểm soát thủ tục hành chính", _PROF, "KSTT"),
        ),
        officials=(
            OfficialSpec("ttpvhcc.giamdoc", next(_NAMES), "LD", "giam-doc", (_L,)),
            OfficialSpec("ttpvhcc.tiepnhan", next(_NAMES), "TNTKQ", "chuyen-vien", (_R,)),
            OfficialSpec("ttpvhcc.chuyenvien", next(_NAMES), "KSTT", "chuyen-vien", (_S,)),
            OfficialSpec("ttpvhcc.vanthu", next(_NAMES), "HCTH", "van-thu", (_C,)),
        ),
    ),
    _department(
        "stp",
        1,
        "Sở Tư pháp",
        "STP",
        (
            UnitSpec("HCTP", "Phòng Hành chính tư pháp", _PROF, "HCTP"),
            UnitSpec("BTTP", "Phòng Bổ trợ tư pháp", _PROF, "BTTP"),
        ),
    ),
    _department(
        "sxd",
        2,
        "Sở Xây dựng",
        "SXD",
        (
            UnitSpec("QLXD", "Phòng Quản lý hoạt động xây dựng", _PROF, "QLXD"),
            UnitSpec("QLN", "Phòng Quản lý nhà và thị trường bất động sản", _PROF, "QLN"),
        ),
    ),
    _department(
        "snnmt",
        3,
        "Sở Nông nghiệp và Môi trường",
        "SNNMT",
        (
            UnitSpec("QLDD", "Phòng Quản lý đất đai", _PROF, "QLĐĐ"),
            UnitSpec("MT", "Phòng Môi trường", _PROF, "MT"),
        ),
    ),
    _department(
        "stc",
        4,
        "Sở Tài chính",
        "STC",
        (
            UnitSpec("DKKD", "Phòng Đăng ký kinh doanh", _PROF, "ĐKKD"),
            UnitSpec("QLNS", "Phòng Quản lý ngân sách", _PROF, "QLNS"),
        ),
    ),
    _department(
        "syt",
        5,
        "Sở Y tế",
        "SYT",
        (
            UnitSpec("NVY", "Phòng Nghiệp vụ Y", _PROF, "NVY"),
            UnitSpec("NVD", "Phòng Nghiệp vụ Dược", _PROF, "NVD"),
        ),
    ),
    _department(
        "snv",
        6,
        "Sở Nội vụ",
        "SNV",
        (
            UnitSpec("TCBC", "Phòng Tổ chức, biên chế", _PROF, "TCBC"),
            UnitSpec("LDVL", "Phòng Lao động, Việc làm", _PROF, "LĐVL"),
        ),
    ),
    _commune("halong", 1, "06688", is_rural=False),  # Phường Hạ Long
    _commune("baichay", 2, "06673", is_rural=False),  # Phường Bãi Cháy
    _commune("vandon", 3, "06994", is_rural=False),  # Đặc khu Vân Đồn
)

OPERATOR = OfficialSpec("quantri", next(_NAMES), "VP", "chuyen-vien", (Role.OPERATOR,))
OPERATOR_AGENCY_KEY = "ubnd"
# The provincial People's Committee's office prepares its meetings and written consultations.
MEETINGS_SECRETARIAT = OfficialSpec(
    "ubndtinh.vanphong", next(_NAMES), "VP", "chuyen-vien", (Role.SECRETARIAT, Role.SPECIALIST)
)
# The Department of Justice's accountant: bank statements, reconciliation, refunds (payments).
ACCOUNTANT = OfficialSpec("stp.ketoan", next(_NAMES), "VP", "chuyen-vien", (Role.ACCOUNTANT,))
ACCOUNTANT_AGENCY_KEY = "stp"

CITIZENS = (
    CitizenSpec("022085012345", "Nguyễn Văn An", "0912000001", "an.nguyen@example.com"),
    CitizenSpec("022192067890", "Trần Thị Bình", "0912000002"),
)
# 5701234566: 570123456 with its check digit (weights 31,29,23,19,17,13,7,5,3; 10 - sum % 11).
BUSINESS = BusinessSpec(
    tax_code="5701234566",
    name="Công ty TNHH Du lịch Vịnh Xanh Hạ Long",
    representative="Phạm Minh Đức",
    phone="02033123456",
    email="lienhe@example.com",
    address="Phường Bãi Cháy, tỉnh Quảng Ninh",
)


# --- one-stop desks: where and when the public is received (shown on the procedure pages) -----
# Demo addresses and telephone numbers, not the province's published ones. The departments'
# desks sit at the provincial public administrative service centre, open Saturday mornings.

_CENTRE_ADDRESS = "Tầng 1, Trụ sở Liên cơ quan số 3, phường Hạ Long, tỉnh Quảng Ninh"


@dataclass(frozen=True)
class DeskSpec:
    address: str
    phone: str
    saturday: str = ""  # org.models.SaturdayHours: "", "morning" or "full"
    hours: tuple[str, str, str, str] = ("07:30", "11:30", "13:30", "17:00")


DESKS: dict[tuple[str, str], DeskSpec] = {
    ("ttpvhcc", "TNTKQ"): DeskSpec(_CENTRE_ADDRESS, "02033636666", "morning"),
    **{
        (key, "MC"): DeskSpec(f"Quầy số {n}, {_CENTRE_ADDRESS}", f"0203363660{n}", "morning")
        for n, key in enumerate(("stp", "sxd", "snnmt", "stc", "syt", "snv"), start=1)
    },
    ("halong", "TTPVHCC"): DeskSpec(
        "Số 2 đường Bến Đoan, phường Hạ Long, tỉnh Quảng Ninh", "02033825001", "morning"
    ),
    ("baichay", "TTPVHCC"): DeskSpec(
        "Số 18 đường Hạ Long, phường Bãi Cháy, tỉnh Quảng Ninh", "02033846002"
    ),
    ("vandon", "TTPVHCC"): DeskSpec(
        "Khu 3, đặc khu Vân Đồn, tỉnh Quảng Ninh", "02033874003", "morning"
    ),
}


def _set_up_desk(actor: Actor, unit: Unit, spec: DeskSpec) -> None:
    """Give a desk its demo address and hours, unless an operator already filled them in."""
    from datetime import time

    from egov.org import services

    if unit.address or unit.morning_opens:
        return
    opens, closes, after, end = (time.fromisoformat(t) for t in spec.hours)
    services.update_unit(
        actor=actor,
        unit=unit,
        address=spec.address,
        phone=spec.phone,
        morning_opens=opens,
        morning_closes=closes,
        afternoon_opens=after,
        afternoon_closes=end,
        saturday=spec.saturday,
    )


def commune_agency_name(admin_unit: AdministrativeUnit) -> str:
    # "Phường Hạ Long" -> "Ủy ban nhân dân phường Hạ Long"
    return f"Ủy ban nhân dân {admin_unit.name[:1].lower()}{admin_unit.name[1:]}"


def ensure_totp(user: Any) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)


# The demo citizens and business had their papers checked at this desk, so that what the desk
# receives for them shows under "Hồ sơ của tôi" (only verified accounts get desk dossiers).
DEMO_DESK_RECEIVER = "halong.tiepnhan"


def _verify_at_desk(kind: str, number: str, full_name: str, phone: str, email: str) -> None:
    """The real desk path: a receiver issues a code, the holder redeems it (the password set is
    the demo password). Skipped once the account is verified."""
    from egov.accounts.models import BusinessProfile, CitizenProfile, User
    from egov.accounts.services import issue_desk_code, redeem_desk_code
    from egov.core.actors import actor_for_user

    profiles: Any = BusinessProfile if kind == "business" else CitizenProfile
    field = "tax_code" if kind == "business" else "personal_id"
    profile = profiles.objects.filter(**{field: number}).first()
    if profile is None or profile.is_identity_verified:
        return
    receiver = User.objects.get(username=DEMO_DESK_RECEIVER)
    issued = issue_desk_code(
        actor=actor_for_user(receiver),
        kind=kind,
        id_number=number,
        full_name=full_name,
        phone=phone,
        email=email,
        papers_checked=True,
    )
    redeem_desk_code(id_number=number, code=issued.code, new_password=DEMO_PASSWORD)


def load_demo(*, actor: Actor = SYSTEM) -> DemoResult:
    """Create whatever part of the demo province is missing; existing rows are left as they are
    (an operator's edits survive a restart), so running it again changes nothing."""
    from egov.accounts.models import User
    from egov.accounts.services import create_official, register_business, register_citizen
    from egov.org import services

    result = DemoResult()
    with transaction.atomic():
        services.import_from_package(province_codes=[DEMO_PROVINCE_CODE], actor=actor)
        scheme = AdministrativeUnit.Scheme.TWO_TIER_2025
        admin_units = {
            u.code: u
            for u in AdministrativeUnit.objects.filter(
                scheme=scheme, code__in={a.admin_unit_code for a in AGENCIES}
            )
        }
        positions: dict[str, Position] = {}
        for p in POSITIONS:
            position = Position.objects.filter(code=p.code).first()
            if position is None:
                position = services.create_position(
                    actor=actor, code=p.code, name=p.name, is_leader=p.is_leader
                )
            positions[p.code] = position

        agencies: dict[str, Agency] = {}
        units: dict[tuple[str, str], Unit] = {}
        for spec in AGENCIES:
            admin_unit = admin_units[spec.admin_unit_code]
            agency = Agency.objects.filter(identifier=spec.identifier).first()
            if agency is None:
                agency = services.create_agency(
                    actor=actor,
                    identifier=spec.identifier,
                    name=spec.name or commune_agency_name(admin_unit),
                    abbreviation=spec.abbreviation,
                    kind=spec.kind,
                    admin_unit=admin_unit,
                    parent=agencies[spec.parent_key] if spec.parent_key else None,
                    address=spec.address or f"{admin_unit.name}, tỉnh Quảng Ninh",
                    email=f"{spec.key}@{DEMO_EMAIL_DOMAIN}",
                    website=spec.website,
                )
                result.created_agencies += 1
            agencies[spec.key] = agency
            existing_units = {u.code: u for u in agency.units.all()}
            for u in spec.units:
                unit = existing_units.get(u.code)
                if unit is None:
                    unit = services.create_unit(
                        actor=actor,
                        agency=agency,
                        code=u.code,
                        name=u.name,
                        kind=u.kind,
                        abbreviation=u.abbreviation,
                    )
                    result.created_units += 1
                units[spec.key, u.code] = unit
                if (spec.key, u.code) in DESKS:
                    _set_up_desk(actor, unit, DESKS[spec.key, u.code])

        staff = [(spec.key, o) for spec in AGENCIES for o in spec.officials]
        staff.append((OPERATOR_AGENCY_KEY, OPERATOR))
        staff.append(("ubnd", MEETINGS_SECRETARIAT))
        staff.append((ACCOUNTANT_AGENCY_KEY, ACCOUNTANT))
        existing_users = {
            u.username: u for u in User.objects.filter(username__in=[o.username for _, o in staff])
        }
        for key, o in staff:
            user = existing_users.get(o.username)
            if user is None:
                official = create_official(
                    actor=actor,
                    username=o.username,
                    full_name=o.full_name,
                    password=DEMO_PASSWORD,
                    agency=agencies[key],
                    unit=units[key, o.unit_code],
                    position=positions[o.position_code],
                    roles=list(o.roles),
                    email=f"{o.username}@{DEMO_EMAIL_DOMAIN}",
                )
                user = official.user
                result.created_officials += 1
            if user.needs_second_factor:
                ensure_totp(user)
            result.logins.append(
                DemoLogin(
                    o.username,
                    DEMO_PASSWORD,
                    ", ".join(str(Role(r).label) for r in o.roles),
                    agencies[key].name,
                )
            )

        for c in CITIZENS:
            if not User.objects.filter(username=c.personal_id).exists():
                register_citizen(
                    personal_id=c.personal_id,
                    full_name=c.full_name,
                    password=DEMO_PASSWORD,
                    phone=c.phone,
                    email=c.email,
                )
            _verify_at_desk("citizen", c.personal_id, c.full_name, c.phone, c.email)
            result.logins.append(DemoLogin(c.personal_id, DEMO_PASSWORD, "Công dân", "—"))
        b = BUSINESS
        if not User.objects.filter(username=b.tax_code).exists():
            register_business(
                tax_code=b.tax_code,
                name=b.name,
                representative=b.representative,
                password=DEMO_PASSWORD,
                phone=b.phone,
                email=b.email,
                address=b.address,
            )
        _verify_at_desk("business", b.tax_code, b.representative, b.phone, b.email)
        result.logins.append(DemoLogin(b.tax_code, DEMO_PASSWORD, "Doanh nghiệp", b.name))
    return result


# --- the provincial centre receives for the departments ------------------------------------------

CENTRE_KEY = "ttpvhcc"
# The list a provincial chairman publishes is the province's decision; the demo's is every
# published procedure of the six departments (a demo value, cited as such).
DEMO_CENTRE_LIST = (
    "Danh mục minh họa: mọi thủ tục của các sở được tiếp nhận và trả kết quả tại Trung tâm Phục vụ "
    "hành chính công tỉnh. Căn cứ: "
)


def receive_at_centre(*, actor: Actor = SYSTEM) -> int:
    """Name the provincial public administrative service centre as the desk for every procedure
    of the demo's departments (catalog.ReceptionDesk; Decree 61/2018/NĐ-CP as amended by Decree
    107/2021/NĐ-CP): `ttpvhcc.tiepnhan` receives their dossiers online and in person and the
    departments' specialists handle them. Runs after the catalogue; rows that exist (or an
    operator moved back to a department's own desk, which leaves none) are not touched twice:
    returns how many rows it created."""
    from egov.catalog.models import CENTRE_RECEPTION_BASIS, Procedure, ReceptionDesk
    from egov.catalog.services import set_reception_desk

    centre_identifier = next(a.identifier for a in AGENCIES if a.key == CENTRE_KEY)
    centre = Agency.objects.filter(identifier=centre_identifier, is_active=True).first()
    if centre is None:
        return 0
    departments = {
        a.identifier for a in AGENCIES if a.kind == Agency.Kind.DEPARTMENT and a.key != CENTRE_KEY
    }
    done = set(ReceptionDesk.objects.values_list("procedure_id", "agency_id"))
    created = 0
    with transaction.atomic():
        for procedure in Procedure.objects.filter(agencies__identifier__in=departments).distinct():
            for agency in procedure.agencies.filter(identifier__in=departments):
                if (procedure.pk, agency.pk) in done:
                    continue
                set_reception_desk(
                    actor=actor,
                    procedure=procedure,
                    agency=agency,
                    desk_agency=centre,
                    legal_basis=DEMO_CENTRE_LIST + CENTRE_RECEPTION_BASIS,
                )
                created += 1
    return created
