"""The fee choice on a form (the portal's submission form, the desk's reception form): one
checkbox per optional fee, with the number of units when the fee is charged per unit, and the
number of units of a fee due by law that is charged per unit. Names: `fee__<id>` (asked for) and
`fee_qty__<id>` (how many). `requested()` turns the answers into dossiers.fees' choice."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms

from egov.catalog.models import MAX_FEE_QUANTITY, Fee

from .fees import field_name


def money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đồng"


@dataclass(frozen=True)
class FeeChoice:
    fee: Fee
    checkbox: str | None  # field name, for an optional fee
    quantity: str | None  # field name, for a fee charged per unit

    @property
    def price(self) -> str:
        return money(self.fee.amount) + (f"/{self.fee.unit}" if self.fee.unit else "")


def add_fee_fields(form: forms.Form, fees: Iterable[Fee]) -> list[FeeChoice]:
    choices = []
    for fee in fees:
        key = field_name(fee)
        checkbox = quantity = None
        if fee.optional:
            checkbox = f"fee__{key}"
            form.fields[checkbox] = forms.BooleanField(
                label=f"{fee.name} — {money(fee.amount)}" + (f"/{fee.unit}" if fee.unit else ""),
                required=False,
                help_text=fee.rule,
            )
        if fee.unit:
            quantity = f"fee_qty__{key}"
            form.fields[quantity] = forms.IntegerField(
                label=f"Số {fee.unit}",
                min_value=1,
                max_value=MAX_FEE_QUANTITY,
                initial=1,
                required=False,  # empty: one
                widget=forms.NumberInput(attrs={"class": "narrow", "inputmode": "numeric"}),
                error_messages={
                    "min_value": f"Số {fee.unit} từ 1 đến {MAX_FEE_QUANTITY}.",
                    "max_value": f"Số {fee.unit} từ 1 đến {MAX_FEE_QUANTITY}.",
                    "invalid": f"Số {fee.unit} phải là số nguyên.",
                },
            )
        if checkbox or quantity:
            choices.append(FeeChoice(fee, checkbox, quantity))
    return choices


def requested(choices: Iterable[FeeChoice], data: Mapping[str, Any]) -> dict[str, int]:
    """{fee id: units} from a form's cleaned data (0: an optional fee not asked for)."""
    result = {}
    for choice in choices:
        units = int(data.get(choice.quantity) or 1) if choice.quantity else 1
        if choice.checkbox and not data.get(choice.checkbox):
            units = 0
        result[field_name(choice.fee)] = units
    return result


def form_initial(choices: Iterable[FeeChoice], chosen: Mapping[str, Any]) -> dict[str, Any]:
    """The form's initial values back from a stored choice {fee id: units}."""
    initial: dict[str, Any] = {}
    for choice in choices:
        units = int(chosen.get(field_name(choice.fee), 0) or 0)
        if choice.checkbox:
            initial[choice.checkbox] = units > 0
        if choice.quantity and units:
            initial[choice.quantity] = units
    return initial


@dataclass(frozen=True)
class FeeRow:
    """A fee choice with its bound fields, for a template."""

    choice: FeeChoice
    checkbox: forms.BoundField | None
    quantity: forms.BoundField | None


def fee_rows(form: forms.Form, choices: Iterable[FeeChoice]) -> list[FeeRow]:
    return [
        FeeRow(
            c,
            form[c.checkbox] if c.checkbox else None,
            form[c.quantity] if c.quantity else None,
        )
        for c in choices
    ]
