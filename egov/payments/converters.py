"""Route converters of the payments pages and API."""

from __future__ import annotations

from django.urls import register_converter


class PaymentCodeConverter:
    """A payment code ("<dossier code>-TT<n>", services/dues.py): only those, so that the
    other areas' one-segment routes (pages under /thanh-toan/, the API's
    /payments/statements/) never reach a payment's own."""

    regex = r"[0-9A-Za-z.\-]{1,36}-TT[0-9]{1,3}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(PaymentCodeConverter, "payment_code")
