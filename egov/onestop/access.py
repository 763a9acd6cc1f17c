"""The official behind a request, loaded once per request for the views and the API, and what
an official with nothing to do is told (why, and whom to ask)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied

from egov.catalog.models import Procedure, ReceptionDesk
from egov.core.actors import actor_from_request
from egov.core.errors import DomainError
from egov.org.models import Official, Role

from . import services


def official_for_request(request: Any) -> Official:
    """The signed-in official with agency, unit, user and roles (NotAllowed otherwise). Reuses
    the rows actor_for_user loaded for this request's user."""
    actor = actor_from_request(request)
    official = getattr(request.user, "_egov_official", None) if actor.kind == "official" else None
    return official if official is not None else services.official_of(actor)


def queue_official(request: Any) -> Official:
    """The official the one-stop pages serve, else PermissionDenied: the check of the queue and
    of the officials' one-stop pages (and of the header's "Một cửa" link)."""
    if getattr(request.user, "kind", "") != "official":
        raise PermissionDenied("Chỉ công chức được vào trang Một cửa điện tử.")
    try:
        return official_for_request(request)
    except DomainError as exc:
        raise PermissionDenied(exc.message) from exc


@dataclass(frozen=True)
class Contact:
    name: str
    title: str  # position, or role
    agency: str
    email: str = ""


@dataclass(frozen=True)
class NothingAssigned:
    """Why an official's queue is empty with nothing to take on, and whom to ask."""

    reason: str
    contacts: list[Contact] = field(default_factory=list)


# The roles that hold dossiers; a clerk or an operator alone has no work queue.
PROCESSING_ROLES = (Role.RECEIVER, Role.SPECIALIST, Role.UNIT_HEAD, Role.LEADER)


def _contacts(official: Official) -> list[Contact]:
    """Who gives an official procedures or roles: the agency's leaders, then the operators."""
    leaders = (
        Official.objects.filter(agency_id=official.agency_id, roles__role=Role.LEADER)
        .filter(user__is_active=True)
        .exclude(pk=official.pk)
        .select_related("user", "position", "agency")
        .order_by("position__name", "user__full_name")
        .distinct()[:3]
    )
    operators = (
        Official.objects.filter(roles__role=Role.OPERATOR, user__is_active=True)
        .exclude(pk=official.pk)
        .select_related("user", "agency")
        .order_by("user__full_name")
        .distinct()[:2]
    )
    out = [
        Contact(
            o.user.get_full_name(),
            o.position.name if o.position else str(Role.LEADER.label),
            o.agency.name,
            o.user.email,
        )
        for o in leaders
    ]
    out += [
        Contact(o.user.get_full_name(), str(Role.OPERATOR.label), o.agency.name, o.user.email)
        for o in operators
    ]
    return out


def nothing_assigned(official: Official) -> NothingAssigned | None:
    """None when the official has work or something to work on; otherwise why not: no role that
    holds dossiers, the agency's procedures received at the provincial centre, or no procedure
    for the agency at all. The caller has checked that every tab is empty."""
    from .queue import desk_procedures

    agency = official.agency
    roles = [r for r in PROCESSING_ROLES if official.has_role(r)]
    if not roles:
        return NothingAssigned(
            "Tài khoản của bạn chưa có vai trò xử lý hồ sơ (cán bộ tiếp nhận, chuyên viên, lãnh "
            "đạo phòng hoặc lãnh đạo cơ quan), nên không có hồ sơ nào được giao cho bạn.",
            _contacts(official),
        )
    own = Procedure.objects.filter(agencies=official.agency_id, is_published=True)
    if official.has_role(Role.RECEIVER) and not desk_procedures(official.agency_id).exists():
        centre = (
            ReceptionDesk.objects.filter(agency_id=official.agency_id)
            .select_related("desk_agency")
            .first()
        )
        if centre is not None:
            return NothingAssigned(
                f"Các thủ tục của {agency.name} được tiếp nhận và trả kết quả tại "
                f"{centre.desk_agency.name}: Trung tâm tiếp nhận hồ sơ trực tuyến và trực tiếp "
                "rồi chuyển đến phòng chuyên môn của cơ quan bạn. Bộ phận Một cửa của cơ quan "
                "bạn không có thủ tục nào để tiếp nhận.",
                _contacts(official),
            )
        if len(roles) == 1:
            return NothingAssigned(
                f"{agency.name} chưa được giao tiếp nhận thủ tục hành chính nào trên hệ thống, "
                "nên chưa có hồ sơ nào để bạn tiếp nhận.",
                _contacts(official),
            )
    if roles == [Role.RECEIVER] or own.exists():
        return None
    if ReceptionDesk.objects.filter(desk_agency_id=official.agency_id).exists():
        return NothingAssigned(
            f"{agency.name} tiếp nhận hồ sơ rồi chuyển đến các sở, ngành có thẩm quyền giải "
            "quyết; cơ quan bạn không trực tiếp giải quyết thủ tục nào, nên không có hồ sơ nào "
            "được chuyển đến bạn xử lý.",
            _contacts(official),
        )
    return NothingAssigned(
        f"{agency.name} chưa thực hiện thủ tục hành chính nào trên hệ thống, nên chưa có hồ sơ "
        "nào được chuyển đến bạn xử lý.",
        _contacts(official),
    )
