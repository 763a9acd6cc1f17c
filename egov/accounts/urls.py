from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("dang-ky/cong-dan/", views.register_citizen, name="register_citizen"),
    path("dang-ky/doanh-nghiep/", views.register_business, name="register_business"),
]
