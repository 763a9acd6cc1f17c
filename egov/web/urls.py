from django.urls import path

from . import views

app_name = "web"
urlpatterns = [
    path("sau-dang-nhap/", views.after_login, name="after_login"),
    path("lam-viec/", views.workspace, name="workspace"),
]
