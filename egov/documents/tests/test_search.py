"""Search over subject and the text of the PDF, without accents, limited to one's agency."""

from __future__ import annotations

import pytest
from django.db import connection

from egov.documents import incoming as incoming_services
from egov.documents import services
from egov.documents.search import search_documents
from egov.org.models import Role

from .conftest import actor, pdf_upload
from .test_incoming import _data

pytestmark = pytest.mark.django_db


@pytest.fixture
def documents(people, agency):  # type: ignore[no-untyped-def]
    drafter = actor(people["drafter"])
    plan = services.create_draft(
        actor=drafter,
        data=services.DraftInput(
            doc_type="ke-hoach",
            subject="Kế hoạch chuyển đổi số năm 2026",
            content="Nâng cấp hạ tầng mạng diện rộng của tỉnh.",
        ),
    )
    letter = services.create_draft(
        actor=drafter,
        data=services.DraftInput(doc_type="quyet-dinh", subject="Về việc khen thưởng tập thể"),
        upload=pdf_upload(text="Tặng Bằng khen cho Trường Tiểu học Hồng Hà"),
    )
    incoming = incoming_services.receive(agency=agency, data=_data())
    return {"plan": plan, "letter": letter, "incoming": incoming}


def engines() -> list[str]:
    return ["postgres", "like"] if connection.vendor == "postgresql" else ["like"]


@pytest.mark.parametrize("query", ["ke hoach chuyen doi so", "KẾ HOẠCH chuyển đổi", "chuyen doi"])
def test_subject_without_accents(documents, people, query):
    for engine in engines():
        found = search_documents(actor(people["clerk"]), query, engine=engine)
        assert found.outgoing == [documents["plan"]], engine


def test_text_of_the_pdf_and_of_written_content(documents, people):
    for engine in engines():
        who = actor(people["leader"])
        assert search_documents(who, "bang khen hong ha", engine=engine).outgoing == [
            documents["letter"]
        ]
        assert search_documents(who, "ha tang mang", engine=engine).outgoing == [documents["plan"]]
        found = search_documents(who, "dich vu cong truc tuyen", engine=engine)
        assert found.incoming == [documents["incoming"]] and found.outgoing == []


def test_other_agencies_find_nothing(documents, other_agency, make_official):
    stranger = make_official(other_agency, roles=[Role.LEADER], username="stp.ld")
    for engine in engines():
        found = search_documents(actor(stranger), "chuyen doi so", engine=engine)
        assert found.count == 0


def test_every_word_must_match_and_empty_query_finds_nothing(documents, people):
    who = actor(people["drafter"])
    assert search_documents(who, "chuyen doi khen thuong").count == 0
    assert search_documents(who, "  ").count == 0
    assert search_documents(who, "'; drop table --").count == 0


def test_search_api(documents, people, client, login_with_mfa):
    login_with_mfa(people["drafter"].user)
    body = client.get("/api/v1/documents/search/", {"q": "khen thuong"}).json()
    assert [d["subject"] for d in body["outgoing"]] == ["Về việc khen thưởng tập thể"]
