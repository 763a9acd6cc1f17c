"""The one gap-free counter (egov.core.counters) under dossier codes and document numbers."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import transaction

from egov.core.counters import next_value
from egov.documents.models import NumberCounter
from egov.dossiers.models import DossierCounter

pytestmark = pytest.mark.django_db(transaction=True)


def test_values_run_per_key_and_a_rollback_gives_its_value_back(agency):
    day = date(2026, 12, 3)
    with transaction.atomic():
        assert next_value(DossierCounter, agency_identifier="A", day=day) == 1
        assert next_value(DossierCounter, agency_identifier="A", day=day) == 2
        assert next_value(DossierCounter, agency_identifier="B", day=day) == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        assert next_value(DossierCounter, agency_identifier="A", day=day) == 3
        raise RuntimeError("the submission failed")
    with transaction.atomic():
        assert next_value(DossierCounter, agency_identifier="A", day=day) == 3
        key = {"agency_id": agency.pk, "year": 2026, "series_key": "chung"}
        assert next_value(NumberCounter, **key) == 1
        assert next_value(NumberCounter, **key) == 2


def test_a_value_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        next_value(DossierCounter, agency_identifier="A", day=date(2026, 12, 3))
