"""A page-cache version bump never fails or spoils the change that asks for it."""

import pytest
from django.db import transaction
from django.test import override_settings

from egov.accounts.models import User
from egov.core.pagecache import set_version

MISSING_TABLE = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "egov_cache_not_created",
    }
}


@pytest.mark.django_db(transaction=True)
def test_a_missing_cache_table_leaves_the_transaction_usable() -> None:
    # As during the first `migrate`: the post-migrate loaders record events (which bump the
    # dashboard's version) before `createcachetable` has run.
    with override_settings(CACHES=MISSING_TABLE):
        with transaction.atomic():
            set_version("pagecache:version:test", "x")
            User.objects.create(username="after-the-bump")
    assert User.objects.filter(username="after-the-bump").exists()
