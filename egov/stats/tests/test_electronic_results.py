"""766 indicator 4.1 counts only results carrying a valid signature: an unsigned upload (a scan,
the specialist's draft) returned online is not an electronic result; the live projection, its
replay and the naive count from the tables agree."""

from __future__ import annotations

import time_machine

from egov.dossiers.tests.conftest import pdf_upload
from egov.onestop import services
from egov.stats import aggregates, naive

from .conftest import NOW, History, act
from .test_index766_month import index_of, indicator


def test_only_signed_results_count_as_electronic(staff, procedure, make_citizen):  # type: ignore[no-untyped-def]
    h = History(staff, procedure, make_citizen(personal_id="022195001234"))
    signed = h.receive(2025, 3, 3, 8, 0)
    h.finish(signed, 2025, 3, 4, 9, 0, result=True)  # the leader's signed PDF
    h.hand_back(signed, 2025, 3, 4, 10, 0)
    unsigned = h.receive(2025, 3, 3, 8, 30)
    h.finish(unsigned, 2025, 3, 4, 9, 30)
    with h.when(2025, 3, 4, 9, 40):
        services.record_result(
            actor=act(staff.receiver), dossier=unsigned.code, upload=pdf_upload("ban-chup.pdf")
        )
    h.hand_back(unsigned, 2025, 3, 4, 10, 30)
    with time_machine.travel(NOW, tick=False):
        for _ in ("live", "replayed"):
            _scores, figs, result = index_of(2025, 3)
            assert (figs.returned, figs.returned_electronic) == (2, 1)
            four_one = indicator(result, "4.1").measure
            assert (four_one.numerator, four_one.denominator) == (1, 2)
            aggregates.rebuild()
    facts = naive.dossier_facts()
    assert sum(c["returned_electronic"] for c in facts.values()) == 1
    assert sum(c["returned"] for c in facts.values()) == 2
