from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("dang-ky/cong-dan/", views.register_citizen, name="register_citizen"),
    path("dang-ky/doanh-nghiep/", views.register_business, name="register_business"),
    path("tai-khoan/xac-thuc-bang-ma/", views.redeem_desk_code, name="redeem_desk_code"),
    # In the one-stop workspace, served from here: the account services own it.
    path("mot-cua/xac-thuc-tai-khoan/", views.desk_code, name="desk_code"),
]
