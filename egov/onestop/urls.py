from django.urls import URLPattern

app_name = "onestop"
urlpatterns: list[URLPattern] = []
