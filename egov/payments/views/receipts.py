"""Pages: receipts (routes in `urlpatterns`, collected by payments/urls.py).

- /thanh-toan/bien-lai/<uid>/: the receipt's fields, whether its files are intact and its
  signatures valid, downloads of the signed PDF and XML. Only for who may see the payment (the
  applicant, the collecting agency's officials, operators: payments.scopes); anyone else gets
  "not found", as for a receipt that does not exist.
- /thanh-toan/bien-lai/tra-cuu/?ma=...: the public check by the lookup code printed on the
  receipt (and in its QR code): number, collector, date, amount and the signature's validity,
  nothing about the payer. Rate-limited per address like the dossier lookup.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, path

from egov.core.actors import actor_from_request
from egov.core.ratelimit import allow_lookup
from egov.core.scoping import visible_to

from ..downloads import file_response
from ..models import Receipt
from ..services import receipts as services


def visible_receipt(request: HttpRequest, uid: Any) -> Receipt:
    actor = actor_from_request(request)
    receipt = (
        visible_to(
            actor,
            Receipt.objects.select_related("payment__dossier__procedure", "agency"),
        )
        .filter(uid=uid)
        .first()
    )
    if receipt is None:
        raise Http404
    return receipt


@login_required
def receipt(request: HttpRequest, uid: Any) -> HttpResponse:
    row = visible_receipt(request, uid)
    context = {
        "receipt": row,
        "f": row.fields,
        "rows": services.field_rows(row.fields),
        "lookup_code": services.lookup_code_text(row.lookup_code or ""),
        "check": services.check(row),
        "dossier": row.payment.dossier,
    }
    response = render(request, "payments/receipt.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def receipt_pdf(request: HttpRequest, uid: Any) -> FileResponse:
    row = visible_receipt(request, uid)
    return file_response(row.pdf, services.download_name(row, "pdf"), "application/pdf")


@login_required
def receipt_xml(request: HttpRequest, uid: Any) -> FileResponse:
    row = visible_receipt(request, uid)
    return file_response(row.xml, services.download_name(row, "xml"), "application/xml")


class LookupForm(forms.Form):
    ma = forms.CharField(
        label="Mã tra cứu biên lai",
        max_length=20,
        help_text="In trên biên lai, ví dụ ABCD-EFGH-JKMN (12 ký tự, không phân biệt chữ hoa).",
        error_messages={"required": "Nhập mã tra cứu in trên biên lai."},
    )


def receipt_lookup(request: HttpRequest) -> HttpResponse:
    form = LookupForm(request.GET if "ma" in request.GET else None)
    found: Receipt | None = None
    status = 200
    if form.is_bound and form.is_valid():
        if not allow_lookup(request):
            form.add_error(None, "Bạn đã tra cứu quá nhiều lần. Vui lòng thử lại sau một phút.")
            status = 429
        else:
            found = services.lookup(form.cleaned_data["ma"])
            if found is None:
                form.add_error("ma", "Không tìm thấy biên lai có mã tra cứu này.")
    context: dict[str, Any] = {"form": form, "receipt": found}
    if found is not None:
        context["f"] = found.fields
        context["check"] = services.check(found)
    return render(request, "payments/receipt_lookup.html", context, status=status)


urlpatterns: list[URLPattern | URLResolver] = [
    path("bien-lai/tra-cuu/", receipt_lookup, name="receipt_lookup"),
    path("bien-lai/<uuid:uid>/", receipt, name="receipt"),
    path("bien-lai/<uuid:uid>.pdf", receipt_pdf, name="receipt_pdf"),
    path("bien-lai/<uuid:uid>.xml", receipt_xml, name="receipt_xml"),
]
