"""The table formatter writes numbers exactly as Django's intcomma / floatformat do, in each
language, including Vietnamese thousands grouping (1.234.567)."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import floatformat
from django.utils import translation

from egov.core.numbers import NumberFormat

INTEGERS = [0, 7, 999, 1000, 12345, 1234567, 10_000_000, -5, -1234]
DECIMALS = [0, 0.04, 0.05, 0.949, 12.95, 12.949, 99.995, 100, 1234.5, -0.04, -3.25]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_same_text_as_django_filters(language):
    rng = random.Random(766)
    integers = INTEGERS + [rng.randrange(10**9) for _ in range(200)]
    decimals = DECIMALS + [round(rng.uniform(0, 100), rng.randrange(1, 5)) for _ in range(200)]
    with translation.override(language):
        fmt = NumberFormat()
        for n in integers:
            assert fmt.integer(n) == intcomma(n), n
        for x in decimals:
            for places in (0, 1, 2):
                assert fmt.fixed(x, places) == floatformat(x, places), (x, places)
                assert fmt.fixed(Decimal(str(x)), places) == floatformat(Decimal(str(x)), places)


def test_vietnamese_groups_thousands_with_dots():
    with translation.override("vi"):
        assert NumberFormat().integer(1234567) == "1.234.567"
        assert NumberFormat().fixed(12.95, 1) == "13,0"
        assert intcomma(50000) == "50.000"
