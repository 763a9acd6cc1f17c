"""The officials' one-stop pages, mounted at /mot-cua/."""

from django.urls import path

from . import views
from .report_views import urlpatterns as report_urlpatterns

app_name = "onestop"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("tiep-nhan/", views.reception, name="reception"),
    path("chuyen-nhieu-ho-so/", views.bulk_forward, name="bulk-forward"),
    path("ho-so/<str:code>/", views.dossier_detail, name="dossier"),
    path("ho-so/<str:code>/thao-tac/<slug:action>/", views.dossier_action, name="action"),
    path("ho-so/<str:code>/tep/<id:file_id>/", views.dossier_file, name="file"),
    path(
        "ho-so/<str:code>/ket-qua/xem-truoc.pdf",
        views.result_preview_pdf,
        name="result-preview-pdf",
    ),
    path(
        "ho-so/<str:code>/ket-qua/xem-truoc-trang-<int:page>.png",
        views.result_preview_page,
        name="result-preview-page",
    ),
    path("ho-so/<str:code>/giay-tiep-nhan.pdf", views.receipt, name="receipt"),
    # Forms 05 (process control sheet) and 06 (dossier register), PDF and XLSX.
    *report_urlpatterns,
]
