"""What a dossier costs: the procedure's fees that apply, from what the applicant asked for.

A fee of the catalogue is due on every dossier unless it is `optional` (charged only when the
applicant asks for what it pays for: a copy of the extract, say). A fee with a `unit` ("bản") is
charged per unit, and the applicant says how many. The applicant's choice is a mapping
{fee id: number of units}: 0 (or absent) for an optional fee not asked for; a fee without a unit
is 0 or 1. The lines are kept on the dossier as they applied (`Dossier.fee_lines`) with the total:
every screen, the receipt, the API and the desk show those, whatever the catalogue says later.

A fee may exempt or reduce it for listed groups (catalog.FeeExemption). The applicant claims one
group per fee ({fee id: exemption id}) and attaches the proof the catalogue names (checked by the
submission, dossiers.services); the line then keeps the group, the share taken off, the proof and
the legal source, and its total is what is left to pay. A dossier whose total drops to 0 that
way is exempt (Dossier.payment_state).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from egov.catalog.models import MAX_FEE_QUANTITY, Fee, FeeExemption, reduced
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
    # The exemption claimed (miễn, giảm), if any: the group, the share taken off (%), the proof
    # attached and the text that grants it.
    exemption: str = ""
    exemption_percent: int = 0
    exemption_proof: str = ""
    exemption_source: str = ""

    @property
    def gross(self) -> int:
        return self.amount * self.quantity

    @property
    def total(self) -> int:
        """What is due on this line, after the exemption claimed."""
        return reduced(self.gross, self.exemption_percent) if self.exemption else self.gross

    @property
    def reduction(self) -> int:
        return self.gross - self.total

    def as_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "gross": self.gross,
            "reduction": self.reduction,
            "total": self.total,
        }


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


def exemption_claims(
    fees: Iterable[Fee],
    exemptions: Mapping[str, Any] | None = None,
    requested: Mapping[str, Any] | None = None,
) -> dict[str, FeeExemption]:
    """{fee id: the group claimed} from the applicant's choice {fee id: exemption id} ("" or 0:
    none), leaving out optional fees not asked for (`requested`, as for fee_lines); DomainError
    (field `exemption.<fee id>`) for a group the fee does not list."""
    asked = {str(k): v for k, v in (requested or {}).items()}
    by_fee = {
        field_name(f): f for f in fees if not f.optional or _quantity(asked.get(field_name(f), 0))
    }
    errors: dict[str, list[str]] = {}
    claims: dict[str, FeeExemption] = {}
    for key, raw in (exemptions or {}).items():
        key = str(key)[:20]
        if raw in (None, "", 0, "0"):
            continue
        fee = by_fee.get(key)
        chosen = None
        if fee is not None:
            chosen = next((e for e in fee.exemptions.all() if str(e.pk) == str(raw)), None)
        if chosen is None:
            errors[f"exemption.{key}"] = ["Đối tượng miễn, giảm không thuộc khoản thu này."]
            continue
        claims[key] = chosen
    if errors:
        raise DomainError(
            "Đối tượng miễn, giảm chưa hợp lệ.", code=Code.SUBMISSION_INVALID, fields=errors
        )
    return claims


def fee_lines(
    fees: Iterable[Fee],
    requested: Mapping[str, Any] | None = None,
    exemptions: Mapping[str, Any] | None = None,
) -> list[FeeLine]:
    """The lines due for these fees given the applicant's choice of units and of exemption
    groups; DomainError (field `fees.<id>` or `exemption.<id>` per bad entry) when the choice
    names an unknown fee or group, or a number out of range."""
    requested = {str(k): v for k, v in (requested or {}).items()}
    fees = list(fees)
    errors: dict[str, list[str]] = {}
    claims: dict[str, FeeExemption] = {}
    try:
        claims = exemption_claims(fees, exemptions, requested)
    except DomainError as exc:
        errors.update(exc.fields)
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
        claim = claims.get(key)
        lines.append(
            FeeLine(
                kind=fee.kind,
                name=fee.name,
                rule=fee.rule,
                amount=fee.amount,
                quantity=quantity,
                unit=fee.unit,
                optional=fee.optional,
                exemption=claim.group if claim else "",
                exemption_percent=claim.percent if claim else 0,
                exemption_proof=claim.proof if claim else "",
                exemption_source=claim.legal_source if claim else "",
            )
        )
    if errors:
        raise DomainError(
            "Lựa chọn phí, lệ phí chưa hợp lệ.", code=Code.SUBMISSION_INVALID, fields=errors
        )
    return lines


def total(lines: Iterable[FeeLine]) -> int:
    return sum(line.total for line in lines)


def exempt(lines: Iterable[FeeLine]) -> bool:
    """Nothing left to pay because of an exemption claimed (not merely a free procedure)."""
    lines = list(lines)
    return any(line.exemption for line in lines) and total(lines) == 0


def stored(lines: Iterable[FeeLine]) -> list[dict[str, Any]]:
    return [line.as_json() for line in lines]


def parse_requested(raw: Any) -> dict[str, Any]:
    """The API's `fees` (an object, or its JSON text in multipart) as {fee id: units}."""
    return _parse_object(raw, "fees", '{"<mã khoản phí>": <số lượng>}')


def parse_exemptions(raw: Any) -> dict[str, Any]:
    """The API's `exemptions` as {fee id: exemption id} (the group claimed for that fee)."""
    return _parse_object(raw, "exemptions", '{"<mã khoản phí>": <mã đối tượng miễn, giảm>}')


def _parse_object(raw: Any, name: str, shape: str) -> dict[str, Any]:
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
            f"Trường {name} phải là một đối tượng JSON dạng {shape}.",
            code=Code.SUBMISSION_INVALID,
            fields={name: ["Không hợp lệ."]},
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
