"""The lines above the signature: the signing authority and the signer's position (quyền hạn,
chức vụ người ký), derived from the signer's position (egov.org Position) and the authority
chosen in the draft, never typed.

Decree 30/2020/NĐ-CP, article 13 (thẩm quyền ký văn bản) and Appendix I, part I, section II,
item 7a (quyền hạn, chức vụ của người ký):
- the head of an agency run by its head signs in their own name: "GIÁM ĐỐC";
- a collective body's documents are signed on its behalf, "TM." before the body's name:
  "TM. ỦY BAN NHÂN DÂN" / "CHỦ TỊCH"; a deputy then signs for the head: "TM. ỦY BAN NHÂN
  DÂN" / "KT. CHỦ TỊCH" / "PHÓ CHỦ TỊCH";
- a deputy signs for the head, "KT." (ký thay): "KT. GIÁM ĐỐC" / "PHÓ GIÁM ĐỐC";
- the head of a unit signs by order of the head, "TL." (thừa lệnh): "TL. GIÁM ĐỐC" /
  "CHÁNH VĂN PHÒNG";
- the head of a unit signs by the head's authorisation, "TUQ." (thừa ủy quyền): "TUQ. GIÁM
  ĐỐC" / "TRƯỞNG PHÒNG HÀNH CHÍNH TƯ PHÁP".
The lines are printed in capitals (Appendix I: chữ in hoa, đứng, đậm).
"""

from __future__ import annotations

import re

from egov.org.models import Agency, Official, Role

from .models import SigningAuthority

DEPUTY = re.compile(r"^\s*phó\s+", re.IGNORECASE)
# The place an agency's name ends with: "… tỉnh Quảng Ninh", "… phường Hạ Long".
PLACE_SUFFIX = re.compile(
    # lower case only: "… và Xã hội" is part of a name, "… xã Tiên Yên" a place
    r"\s+(tỉnh|thành phố|xã|phường|đặc khu|huyện|quận|thị xã|thị trấn)\s+\S.*$"
)
# The title of the head of an agency when no official of the agency holds it yet.
HEAD_BY_KIND = {
    Agency.Kind.PEOPLES_COMMITTEE: "Chủ tịch",
    Agency.Kind.DEPARTMENT: "Giám đốc",
    Agency.Kind.SERVICE_CENTRE: "Giám đốc",
}


def upper(text: str) -> str:
    return " ".join(text.split()).upper()


def is_deputy(position_name: str) -> bool:
    return bool(DEPUTY.match(position_name or ""))


def head_title(agency: Agency, position_name: str = "") -> str:
    """The head's title the deputy or the unit head signs for: the deputy's own title without
    "Phó" ("Phó Giám đốc" → "Giám đốc"), else the position of the agency's leader who is no
    deputy, else the usual title for the kind of agency."""
    if is_deputy(position_name):
        return DEPUTY.sub("", position_name).strip()
    names = [
        str(n)
        for n in Official.objects.filter(
            agency=agency, roles__role=Role.LEADER, position__isnull=False, user__is_active=True
        )
        .values_list("position__name", flat=True)
        .distinct()
    ]
    folded = {upper(n) for n in names}
    heads = sorted(n for n in names if not is_deputy(n))
    # The head is the leader whose title a deputy also holds ("Giám đốc" and "Phó Giám đốc"),
    # else the usual head of such an agency, else any leader who is no deputy.
    for name in heads:
        if upper(f"Phó {name}") in folded:
            return name
    if agency.kind in HEAD_BY_KIND:
        return HEAD_BY_KIND[agency.kind]  # type: ignore[index]
    if heads:
        return heads[0]
    deputies = [n for n in names if is_deputy(n)]
    if deputies:
        return DEPUTY.sub("", deputies[0]).strip()
    return "Thủ trưởng cơ quan"


def collective_name(agency: Agency) -> str:
    """The body a "TM." signature speaks for: the agency's name without its place ("Ủy ban
    nhân dân tỉnh Quảng Ninh" → "Ủy ban nhân dân", "Ủy ban nhân dân phường Hạ Long" → "Ủy
    ban nhân dân")."""
    name = " ".join(agency.name.split())
    short = PLACE_SUFFIX.sub("", name).strip()
    return short or name


def effective(authority: str, agency: Agency, position_name: str) -> str:
    """The authority actually printed: "auto" follows the signer (a People's Committee signs
    TM.; a deputy KT.; the head in their own name); KT./TL./TUQ. chosen for a head who signs
    themselves fall back to signing in their own name."""
    deputy = is_deputy(position_name)
    if authority == SigningAuthority.AUTO:
        if agency.kind == Agency.Kind.PEOPLES_COMMITTEE:
            return SigningAuthority.TM
        return SigningAuthority.KT if deputy else SigningAuthority.DIRECT
    if authority == SigningAuthority.KT and position_name and not deputy:
        return SigningAuthority.DIRECT
    if (
        authority in (SigningAuthority.TL, SigningAuthority.TUQ)
        and position_name
        and upper(position_name) == upper(head_title(agency))
    ):
        return SigningAuthority.DIRECT
    return authority


def signer_lines(agency: Agency, authority: str, position_name: str | None) -> list[str]:
    """The lines above the signature, in capitals. `position_name` None: the signer is not
    known yet (a draft): only the authority line, when there is one."""
    position = (position_name or "").strip()
    chosen = effective(authority, agency, position)
    head = upper(head_title(agency, position))
    lines: list[str] = []
    if chosen == SigningAuthority.TM:
        lines.append(f"TM. {upper(collective_name(agency))}")
        if is_deputy(position):
            lines.append(f"KT. {head}")
    elif chosen == SigningAuthority.KT:
        lines.append(f"KT. {head}")
    elif chosen == SigningAuthority.TL:
        lines.append(f"TL. {head}")
    elif chosen == SigningAuthority.TUQ:
        lines.append(f"TUQ. {head}")
    if position:
        lines.append(upper(position))
    return lines


def split(lines: list[str]) -> tuple[str, str]:
    """(competence, position) for edXML SignerInfo and the signature appearance: the authority
    lines joined, and the position (the last line)."""
    if not lines:
        return "", ""
    return " ".join(lines[:-1]), lines[-1]
