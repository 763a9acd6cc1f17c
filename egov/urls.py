from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from egov.core.admin import admin_login
from egov.core.api import ApiRootView
from egov.core.views import health

# The administration uses the platform's own login (password + TOTP + throttle), never a second
# one: its login view only redirects (egov.core.admin.admin_login).
admin.site.login = admin_login  # type: ignore[method-assign]
admin.site.site_header = "Quản trị hệ thống"
admin.site.site_title = settings.PLATFORM_NAME
admin.site.index_title = "Quản trị tổ chức, tài khoản và nhật ký"

api_v1: list[URLPattern | URLResolver] = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script from its own address (?script): the
    # Content-Security-Policy allows no inline script, so the one-page view stayed blank.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("", include("egov.accounts.api")),
    path("", include("egov.org.api")),
    path("", include("egov.workcalendar.api")),
    path("", include("egov.catalog.api")),
    path("", include("egov.dossiers.api")),
    path("", include("egov.onestop.api")),
    path("", include("egov.events.api")),
    path("", include("egov.events.catalogue_api")),
    path("", include("egov.documents.api")),
    path("", include("egov.stats.api")),
    path("", include("egov.meetings.api.urls")),
    path("", include("egov.payments.api.urls")),
    path("", include("egov.identity.api")),
    path("", include("egov.webhooks.api")),
    path("", include("egov.national.api")),
    path("", include("egov.sharing.api")),
    path("exchange/", include("egov.exchange.api")),
]

handler400 = "egov.core.views.bad_request"
handler403 = "egov.core.views.permission_denied"
handler404 = "egov.core.views.not_found"
handler500 = "egov.core.views.server_error"

urlpatterns = [
    path("healthz", health, name="health"),
    path("quan-tri/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_v1)),
    path("", include("egov.accounts.urls")),
    path("", include("egov.portal.urls")),
    path("mot-cua/", include("egov.onestop.urls")),
    path("van-ban/", include("egov.documents.urls")),
    path("hop/", include("egov.meetings.urls")),
    path("thanh-toan/", include("egov.payments.urls")),
    path("", include("egov.identity.urls")),
    path("webhook/", include("egov.webhooks.urls")),
    path("dong-bo-quoc-gia/", include("egov.national.urls")),
    path("chia-se-du-lieu/", include("egov.sharing.urls")),
    path("dieu-hanh/", include("egov.stats.urls")),
    path("cong-khai/", include("egov.stats.public_urls")),
    path("", include("egov.web.urls")),
]
