from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("thu-tuc/", views.procedure_list, name="procedures"),
    path("thu-tuc/<str:code>/", views.procedure_detail, name="procedure"),
    path("thu-tuc/<str:code>/nop-ho-so/", views.submit, name="submit"),
    path("thu-tuc/<str:code>/mau/<slug:component>/", views.form_template, name="form_template"),
    path("thu-tuc/<str:code>/nop-ho-so/kiem-tra/", views.submit_check, name="submit_check"),
    path("thu-tuc/<str:code>/nop-ho-so/vneid/", views.submit_identity, name="submit_identity"),
    path(
        "thu-tuc/<str:code>/nop-ho-so/da-nop/<str:dossier_code>/",
        views.submit_done,
        name="submit_done",
    ),
    path("ho-so-cua-toi/", views.my_dossiers, name="my_dossiers"),
    path("ho-so-cua-toi/<str:code>/", views.my_dossier, name="my_dossier"),
    path("ho-so-cua-toi/<str:code>/giay-tiep-nhan.pdf", views.receipt, name="receipt"),
    path("ho-so-cua-toi/<str:code>/ket-qua/<id:file_id>/", views.result_file, name="result_file"),
    path("ho-so-cua-toi/<str:code>/phieu/<id:file_id>/", views.issued_form, name="issued_form"),
    path("ho-so-cua-toi/<str:code>/bo-sung/", views.supplement, name="supplement"),
    path("ho-so-cua-toi/<str:code>/danh-gia/", views.rate, name="rate"),
    path("ho-so-cua-toi/<str:code>/rut-ho-so/", views.withdraw, name="withdraw"),
    path("thong-bao/", views.notices, name="notices"),
    path("thong-bao/da-doc/", views.notices_read, name="notices_read"),
    path("thong-bao/<id:notice_id>/", views.notice_open, name="notice_open"),
    path("tra-cuu/", views.lookup, name="lookup"),
]
