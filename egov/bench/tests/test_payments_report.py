"""The payments benchmark's section of docs/benchmarks.md: written between its own markers,
rewritten in place, the other sections untouched (the run itself: `make bench-payments`)."""

from __future__ import annotations

from egov.bench.machine import Machine, Provenance
from egov.bench.payments import END, START, PaymentsConfig, PaymentsReport, write_payments_report
from egov.bench.scenarios import ScenarioResult, Table


def _report(rate: str) -> PaymentsReport:
    machine = Machine(
        "CPU", 2, "8 GiB", "Debian", "Linux", "CPython 3.11", "PostgreSQL 15", "23", "1"
    )
    report = PaymentsReport(
        PaymentsConfig(attempts=3), machine, Provenance("2026-12-04", "abc"), "PostgreSQL db"
    )
    report.results.append(
        ScenarioResult("payment_callbacks", "Callbacks", "", tables=[Table(["x"], [[rate]])])
    )
    return report


def test_the_payments_section_is_replaced_in_place(tmp_path):
    path = tmp_path / "benchmarks.md"
    path.write_text("# Benchmarks\n\nOther figures.\n", encoding="utf-8")
    write_payments_report(_report("11.0"), path)
    path.write_text(path.read_text(encoding="utf-8") + "\nA note after.\n", encoding="utf-8")

    write_payments_report(_report("22.0"), path)

    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\nOther figures.")
    assert "| 22.0 |" in text and "| 11.0 |" not in text
    assert text.count(START) == 1 and text.count(END) == 1
    assert "## Payments" in text and "Receipts issued by" in text
    assert text.rstrip().endswith("A note after.")
