"""The officials' documents pages, mounted at /van-ban/ (namespace "documents")."""

from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [
    path("", views.index, name="index"),
    path("soan-thao/", views.create, name="create"),
    path("di/<id:pk>/", views.outgoing, name="outgoing"),
    path("di/<id:pk>/sua/", views.edit, name="edit"),
    path("di/<id:pk>/ky-so/", views.sign_page, name="sign"),
    path("di/<id:pk>/ky-so/trang-<int:page>.png", views.sign_preview_page, name="sign_preview"),
    path("di/<id:pk>/thao-tac/<slug:action>/", views.outgoing_action, name="outgoing_action"),
    path("di/<id:pk>/phien-ban/<id:seq>/", views.version_file, name="version_file"),
    path("di/<id:pk>/dinh-kem/<id:attachment_id>/", views.attachment_file, name="attachment"),
    path("den/vao-so-van-ban-giay/", views.paper, name="paper"),
    path("den/goi-tin-cho-xac-minh/", views.held, name="held"),
    path(
        "den/goi-tin-cho-xac-minh/<id:package_id>/<slug:action>/",
        views.held_action,
        name="held_action",
    ),
    path("den/<id:pk>/", views.incoming, name="incoming"),
    path("den/<id:pk>/thao-tac/<slug:action>/", views.incoming_action, name="incoming_action"),
    path("den/<id:pk>/tep/<id:file_id>/", views.incoming_file, name="incoming_file"),
    path("so-dang-ky/", views.register_page, name="registers"),
    path("so-dang-ky/tai.<str:fmt>", views.register_download, name="register_download"),
    path("tim-kiem/", views.search, name="search"),
]
