from django.urls import path

from . import views

app_name = "transparency"
urlpatterns = [
    path("", views.transparency, name="home"),
    path("du-lieu/", views.transparency_data, name="data"),
    path("xuat/<slug:fmt>/", views.transparency_export, name="export"),
]
