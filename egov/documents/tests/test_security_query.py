"""Finding 13: document list filters are typed (`overdue` is true/false, `status` a status)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from egov.accounts.models import ApiClient

pytestmark = pytest.mark.django_db


def bearer(agency, scopes: list[str]) -> APIClient:  # type: ignore[no-untyped-def]
    raw, prefix, digest = ApiClient.new_token()
    ApiClient.objects.create(
        name=prefix, agency=agency, scopes=scopes, key_prefix=prefix, key_hash=digest
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("/api/v1/documents/incoming/", {"overdue": "null"}, "overdue"),  # was accepted
        ("/api/v1/documents/incoming/", {"overdue": "maybe"}, "overdue"),
        ("/api/v1/documents/incoming/", {"status": "lost"}, "status"),
        ("/api/v1/documents/outgoing/", {"status": "lost"}, "status"),
        ("/api/v1/documents/search/", {"q": "x", "kind": "both"}, "kind"),
    ],
)
def test_invalid_filter_is_refused(agency, url, params, field):  # type: ignore[no-untyped-def]
    response = bearer(agency, ["documents:read"]).get(url, params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and list(body["fields"]) == [field]


def test_valid_filters_still_work(agency):  # type: ignore[no-untyped-def]
    api = bearer(agency, ["documents:read"])
    assert api.get("/api/v1/documents/incoming/", {"overdue": "true"}).status_code == 200
    assert api.get("/api/v1/documents/incoming/", {"overdue": "false"}).status_code == 200
    assert api.get("/api/v1/documents/outgoing/", {"status": "draft"}).status_code == 200


def test_a_mistyped_priority_is_a_400_and_drafts_nothing(client, login_with_mfa, people):  # type: ignore[no-untyped-def]
    from egov.documents.models import OutgoingDocument
    from egov.events.models import Event

    login_with_mfa(people["drafter"].user)
    before = (OutgoingDocument.objects.count(), Event.objects.count())
    response = client.post(
        "/api/v1/documents/outgoing/",
        {
            "doc_type": "thong-bao",
            "subject": "Thông báo",
            "content": "Nội dung",
            "priority": "false",
        },
    )
    assert response.status_code == 400, response.content  # was a 500 (found by the fuzzing)
    assert list(response.json()["fields"]) == ["priority"]
    assert (OutgoingDocument.objects.count(), Event.objects.count()) == before
