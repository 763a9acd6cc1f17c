"""The site the read-routing test serves (egov.urls), plus one write the test makes as an
operator would: a procedure renamed through the catalogue's own service. The pages that show it
(the catalogue's procedure page and API) are the real, marked views."""

from __future__ import annotations

import json
import sys

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from egov.core.actors import SYSTEM
from egov.urls import handler400, handler403, handler404, handler500  # noqa: F401
from egov.urls import urlpatterns as site


@csrf_exempt
@require_POST
def rename(request: HttpRequest, code: str) -> HttpResponse:
    from egov.catalog.models import Procedure
    from egov.catalog.services import update_procedure

    procedure = Procedure.objects.get(code=code)
    update_procedure(actor=SYSTEM, procedure=procedure, changes={"name": request.POST["name"]})
    return HttpResponse("ok")


urlpatterns = [path("_routing-test/<str:code>/rename/", rename), *site]


def seed() -> None:
    """Run once in a migrated database: the starter catalogue and an API client; prints what
    the test needs (a published procedure's code, the client's token) as JSON."""
    from egov.accounts.services import create_api_client
    from egov.catalog.models import Procedure
    from egov.catalog.starter import load_starter_catalog

    load_starter_catalog()
    procedure = Procedure.objects.filter(is_published=True).order_by("code").first()
    assert procedure is not None, "the starter catalogue publishes procedures"
    _client, token = create_api_client(actor=SYSTEM, name="routing-test", scopes=["catalog:read"])
    json.dump({"code": procedure.code, "name": procedure.name, "token": token}, sys.stdout)
