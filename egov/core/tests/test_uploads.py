"""A file stored inside a transaction exists afterwards only if that transaction committed."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import transaction

from egov.core.uploads import delete_on_rollback

pytestmark = pytest.mark.django_db(transaction=True)  # real commits and rollbacks


class Boom(Exception):
    pass


@pytest.fixture
def storage(tmp_path):  # type: ignore[no-untyped-def]
    return FileSystemStorage(location=tmp_path)


def store(storage: FileSystemStorage, name: str) -> str:
    stored = storage.save(name, ContentFile(b"%PDF-1.4 giay to"))
    delete_on_rollback(storage, stored)
    return stored


def test_a_committed_transaction_keeps_its_file(storage):
    with transaction.atomic():
        name = store(storage, "to-khai.pdf")
    assert storage.exists(name)


def test_a_failing_transaction_leaves_no_file(storage):
    names = []
    with pytest.raises(Boom), transaction.atomic():
        names.append(store(storage, "to-khai.pdf"))
        raise Boom
    assert not storage.exists(names[0])


def test_a_rolled_back_savepoint_removes_only_its_own_files(storage):
    with transaction.atomic():
        kept = store(storage, "giu-lai.pdf")
        names = []
        with pytest.raises(Boom), transaction.atomic():
            names.append(store(storage, "bo-di.pdf"))
            raise Boom
        assert not storage.exists(names[0])
    assert storage.exists(kept)


def test_the_callers_rollback_removes_files_of_a_block_that_had_succeeded(storage):
    names = []
    with pytest.raises(Boom), transaction.atomic():  # the caller's transaction
        with transaction.atomic():  # e.g. a service called inside it
            names.append(store(storage, "to-khai.pdf"))
        assert storage.exists(names[0])
        raise Boom
    assert not storage.exists(names[0])


def test_outside_a_transaction_the_file_stays(storage):
    assert storage.exists(store(storage, "to-khai.pdf"))
