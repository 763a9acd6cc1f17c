"""The payments pages, mounted at /thanh-toan/ (namespace "payments"). Each area keeps its own
routes in views/<area>.py so they can grow apart: checkout (the applicant pays), national (the
national platform's callback and return), vietqr (the QR), desk (cash), receipts,
statements (bank statement import and matching), accounting (reconciliation, refunds)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from .views import accounting, checkout, desk, national, receipts, statements, vietqr

app_name = "payments"
urlpatterns: list[URLPattern | URLResolver] = [
    *national.urlpatterns,
    *vietqr.urlpatterns,
    *desk.urlpatterns,
    *receipts.urlpatterns,
    *statements.urlpatterns,
    *accounting.urlpatterns,
    # Last: its "<payment code>/" would take any other area's first path segment.
    *checkout.urlpatterns,
]
