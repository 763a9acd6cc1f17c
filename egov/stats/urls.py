from django.urls import path

from . import views

app_name = "stats"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("du-lieu/<slug:chart>/", views.chart_data, name="data"),
    path("ho-so/", views.dossiers, name="dossiers"),
    path("chi-so-766/", views.index_page, name="index766"),
    path("xuat/<slug:view>/<slug:fmt>/", views.export, name="export"),
]
