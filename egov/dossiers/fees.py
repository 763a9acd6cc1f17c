"""What a dossier costs: the procedure's fees that apply, from what the applicant asked for.

A fee of the catalogue is due on every dossier unless it is `optional` (charged only when the
applicant asks for what it pays for: a copy of the extract, say). A fee with a `unit` ("bản") is
charged per unit, and the applicant says how many. The applicant's choice is a mapping
{fee id: number of units}: 0 (or absent) for an optional fee not asked for; a fee without a unit
is 0 or 1. The lines are kept on the dossier as they applied (`Dossier.fee_lines`) with the total:
every screen, the receipt, the API and the desk show those, whatever the catalogue says later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from egov.catalog.models import MAX_FEE_QUANTITY, Fee
from egov.core.errors import DomainError

from .error_codes import DossierErrorCode as Code


@dataclass(frozen=True)
class FeeLine:
    kind: str  # catalog.Fee.Kind
    name: str
    rule: str
    amount: int  # per unit (or once), VND
    quantity: int
    unit: str
    optional: bool

    @property
    def total(self) -> int:
        return self.amount * self.quantity

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "total": self.total}


def field_name(fee: Fee) -> str:
    """The name of a fee's choice in forms and in the API's `fees` object."""
    return str(fee.pk)


def _quantity(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return int(raw)
    if isinstance(raw, int):
        return raw
    text = str(raw).strip().lower()
    if text in ("", "false", "off", "no"):
        return 0
    if text in ("true", "on", "yes"):
        return 1
    return int(text) if text.isdigit() and len(text) <= 6 else None


def fee_lines(fees: Iterable[Fee], requested: Mapping[str, Any] | None = None) -> list[FeeLine]:
    """The lines due for these fees given the applicant's choice; DomainError (field `fees.<id>`
    per bad entry) when the choice names an unknown fee or a number out of range."""
    requested = {str(k): v for k, v in (requested or {}).items()}
    fees = list(fees)
    errors: dict[str, list[str]] = {}
    known = {field_name(f) for f in fees}
    for key in requested:
        if key not in known:
            errors[f"fees.{key[:20]}"] = ["Khoản phí không thuộc thủ tục này."]
    lines: list[FeeLine] = []
    for fee in fees:
        key = field_name(fee)
        default = 0 if fee.optional else 1
        quantity = _quantity(requested[key]) if key in requested else default
        top = MAX_FEE_QUANTITY if fee.unit else 1
        low = 0 if fee.optional else 1
        if quantity is None or not low <= quantity <= top:
            errors[f"fees.{key}"] = [
                f"Số {fee.unit} từ {low} đến {top}." if fee.unit else "Lựa chọn không hợp lệ."
            ]
            continue
        if quantity == 0:
            continue
        lines.append(
            FeeLine(
                kind=fee.kind,
                name=fee.name,
                rule=fee.rule,
                amount=fee.amount,
                quantity=quantity,
                unit=fee.unit,
                optional=fee.optional,
            )
        )
    if errors:
        raise DomainError(
            "Lựa chọn phí, lệ phí chưa hợp lệ.", code=Code.SUBMISSION_INVALID, fields=errors
        )
    return lines


def total(lines: Iterable[FeeLine]) -> int:
    return sum(line.total for line in lines)


def stored(lines: Iterable[FeeLine]) -> list[dict[str, Any]]:
    return [line.as_json() for line in lines]


def parse_requested(raw: Any) -> dict[str, Any]:
    """The API's `fees` (an object, or its JSON text in multipart) as {fee id: units}."""
    import json

    if raw in (None, ""):
        return {}
    if isinstance(raw, str | bytes):
        if len(raw) > 10_000:
            raw = None
        else:
            try:
                raw = json.loads(raw)
            except ValueError:
                raw = None
    if not isinstance(raw, Mapping) or not all(
        isinstance(v, int | str | bool) for v in raw.values()
    ):
        raise DomainError(
            'Trường fees phải là một đối tượng JSON dạng {"<mã khoản phí>": <số lượng>}.',
            code=Code.SUBMISSION_INVALID,
            fields={"fees": ["Không hợp lệ."]},
        )
    return {str(k): v for k, v in raw.items()}


KIND_LABELS = dict(Fee.Kind.choices)


def shown_lines(dossier: Any) -> list[dict[str, Any]]:
    """A dossier's fee lines for a page or the receipt: as kept on the dossier; for a dossier
    from before they were kept, the procedure's fees as its stored total counted them."""
    rows = list(dossier.fee_lines or [])
    if not rows:
        rows = [
            FeeLine(f.kind, f.name, f.rule, f.amount, 1, "", False).as_json()
            for f in dossier.procedure.fees.all()
        ]
    shown = []
    for row in rows:
        label = str(KIND_LABELS.get(row.get("kind", ""), ""))
        # "Lệ phí: Lệ phí đăng ký khai sinh" says it twice: the name alone then.
        if str(row.get("name", "")).lower().startswith(label.lower()):
            label = ""
        shown.append({**row, "kind_label": label})
    return shown
