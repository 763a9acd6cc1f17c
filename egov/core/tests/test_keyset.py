"""The one keyset pager: opaque signed cursors, refused in the API when edited."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from egov.core.errors import DomainError
from egov.core.keyset import decode_cursor, encode_cursor, keyset_page

pytestmark = pytest.mark.django_db


def test_a_cursor_is_opaque_and_an_edited_one_is_not_read():
    cursor = encode_cursor("2026-11-25T01:00:00+00:00_7")
    assert "2026" not in cursor
    assert decode_cursor(cursor) == "2026-11-25T01:00:00+00:00_7"
    assert decode_cursor(encode_cursor("8")[:-1] + "A") is None
    assert decode_cursor("x" * 300) is None


def test_pages_by_id_then_a_bad_cursor_is_page_one_or_a_400():
    groups = [Group.objects.create(name=f"g{i}") for i in range(5)]
    qs = Group.objects.all()
    seen, cursor = [], ""
    while True:
        rows, cursor = keyset_page(qs, "", cursor or "", 2, descending=True, strict=True)
        seen += rows
        if cursor is None:
            break
    assert seen == groups[::-1]
    assert keyset_page(qs, "", "nonsense", 2, descending=True)[0] == groups[:-3:-1]
    with pytest.raises(DomainError) as refused:
        keyset_page(qs, "", "nonsense", 2, strict=True)
    assert refused.value.code == "invalid_cursor" and "cursor" in refused.value.fields


def test_keyset_paged_endpoints_document_the_one_paging_parameter():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    for path in ("/api/v1/onestop/queue/", "/api/v1/events/"):
        names = {p["name"] for p in paths[path]["get"]["parameters"]}
        assert "cursor" in names and not names & {"sau", "page"}, path
