"""Issue #11, findings 6, 7 and 12: the shared mechanics behind the input fixes — the bounded PDF
inspector (worker-side memory, CPU and wall-clock limits), text-only XLSX cells, id and cursor
parsing, and the request-size middleware."""

from __future__ import annotations

import zlib

import pytest

from egov.core import xlsx
from egov.core.ids import parse_id
from egov.core.keyset import parse_cursor
from egov.core.pdfinspect import Limits, PdfTooComplex, PdfUnreadable, inspect_pdf
from egov.dossiers.tests import attack_pdfs

MB = 1024 * 1024


def slow_object_stream(inflated: int) -> bytes:
    """Under pypdf's 75 MB inflation limit, but its parser walks the whitespace byte by byte:
    seconds of CPU for a file of a few dozen KB."""
    pdf = attack_pdfs.object_stream_bomb(inflated)
    assert len(pdf) < 200 * 1024
    return pdf


def test_memory_limit_of_the_worker_stops_an_inflation_pypdf_allows():
    with pytest.raises(PdfTooComplex, match="MemoryError"):
        inspect_pdf(slow_object_stream(70 * MB), limits=Limits(memory_bytes=100 * MB))


def test_cpu_and_wall_clock_limits_of_the_worker_stop_a_slow_parse():
    with pytest.raises(PdfTooComplex):
        inspect_pdf(slow_object_stream(40 * MB), limits=Limits(cpu_seconds=1, wall_seconds=3))


def test_pypdf_limits_still_apply_inside_the_worker():
    with pytest.raises(PdfTooComplex, match="LimitReachedError"):
        inspect_pdf(attack_pdfs.deep_page_tree(), limits=Limits())
    with pytest.raises(PdfTooComplex, match="LimitReachedError"):
        inspect_pdf(attack_pdfs.object_stream_bomb(), limits=Limits())


def test_inspector_reports_pages_active_content_and_garbage():
    from egov.dossiers.tests.conftest import make_pdf

    clean = inspect_pdf(make_pdf(3), limits=Limits())
    assert (clean.pages, clean.encrypted, clean.active) == (3, False, ())
    for kind in attack_pdfs.ACTIVE:
        assert inspect_pdf(attack_pdfs.active_content(kind), limits=Limits()).active, kind
    with pytest.raises(PdfUnreadable):
        inspect_pdf(b"%PDF-1.4 not really", limits=Limits())
    broken_stream = b"%PDF-1.4\n1 0 obj\n<< /Length 5 /Filter /FlateDecode >>\nstream\n"
    with pytest.raises((PdfUnreadable, PdfTooComplex)):
        inspect_pdf(broken_stream + zlib.compress(b"x")[:3], limits=Limits())


def _inspect_in_daemon(queue, content, limits):  # type: ignore[no-untyped-def]
    try:
        report = inspect_pdf(content, limits=limits)
        queue.put(("ok", report.pages, report.active))
    except Exception as exc:
        queue.put((type(exc).__name__, str(exc)))


def test_a_daemonic_worker_inspects_in_a_bounded_subprocess():
    """Pool workers (and Huey's process workers) are daemonic and may not start multiprocessing
    children: the same limits then apply to a fresh interpreter (seen in the concurrency test
    of several submitting processes)."""
    import multiprocessing

    from egov.dossiers.tests.conftest import make_pdf

    context = multiprocessing.get_context("fork")
    cases = [
        (make_pdf(2), Limits(), ("ok", 2, ())),
        (attack_pdfs.active_content("open_action_js"), Limits(), None),
        (slow_object_stream(70 * MB), Limits(memory_bytes=100 * MB), ("PdfTooComplex",)),
        (slow_object_stream(40 * MB), Limits(cpu_seconds=1, wall_seconds=3), ("PdfTooComplex",)),
    ]
    for content, limits, expected in cases:
        queue = context.Queue()
        worker = context.Process(target=_inspect_in_daemon, args=(queue, content, limits))
        worker.daemon = True
        worker.start()
        answer = queue.get(timeout=60)
        worker.join(10)
        if expected is None:
            assert answer[0] == "ok" and answer[2], answer  # active content reported
        else:
            assert answer[: len(expected)] == expected, answer


def test_xlsx_cells_keep_text_as_text_and_drop_xml_illegal_characters():
    from openpyxl import Workbook

    sheet = Workbook().active
    formula = xlsx.cell(sheet, '=HYPERLINK("http://x","click")')
    assert formula.data_type == "s" and formula.quotePrefix
    assert formula.value == '=HYPERLINK("http://x","click")'
    plain = xlsx.cell(sheet, "Nguyễn Văn A")
    assert plain.data_type == "s" and not plain.quotePrefix
    assert xlsx.cell(sheet, "a\x00b\x1fc").value == "abc"  # openpyxl raised on these
    assert xlsx.cell(sheet, 5).data_type == "n"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", 12),
        (12, 12),
        ("9" * 20, None),
        (str(2**63), None),
        ("0", None),
        ("-1", None),
        ("abc", None),
        ("١٢", None),  # Arabic-Indic digits: isdigit() but not an id
        (True, None),
        (None, None),
    ],
)
def test_parse_id(raw, expected):
    assert parse_id(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "2026-02-30T00:00:00+07:00_1",
        "2026-11-25T00:00:00+07:00_99999999999999999999",
        "2026-11-25T00:00:00_1",
        "_1",
        "x_y",
    ],
)
def test_bad_cursors_parse_to_none(raw):
    assert parse_cursor(raw) is None


def test_good_cursor_parses():
    moment, pk = parse_cursor("2026-11-25T01:00:00+00:00_7")  # type: ignore[misc]
    assert pk == 7 and moment.utcoffset() is not None


def test_request_size_middleware_only_bounds_multipart(client, settings):
    settings.UPLOAD_MAX_REQUEST_BYTES = 10
    big = "x" * 100
    response = client.post("/api/v1/", {"a": big})  # multipart
    assert response.status_code == 413 and response.json()["code"] == "request_too_large"
    page = client.post("/tra-cuu/", {"code": big})
    assert page.status_code == 413 and "Yêu cầu không hợp lệ" in page.content.decode()
    response = client.post("/api/v1/", {"a": big}, content_type="application/json")
    assert response.status_code != 413


def test_a_waiting_inspector_reads_file_after_file_and_a_bomb_takes_only_itself():
    """Issue #19: each web process keeps inspectors waiting rather than forking one per file.
    The limits hold per file all the same: a slow parse ends its inspector (CPU limit moved
    to what it had used plus the file's allowance), which is replaced, and the next file is
    read normally."""
    from egov.core import pdfinspect
    from egov.dossiers.tests.conftest import make_pdf

    limits = Limits(cpu_seconds=1, wall_seconds=3)
    assert inspect_pdf(make_pdf(1), limits=limits).pages == 1
    (first,) = pdfinspect._POOL.idle[limits]
    for pages in (2, 3):
        assert inspect_pdf(make_pdf(pages), limits=limits).pages == pages
    assert pdfinspect._POOL.idle[limits] == [first] and first.uses == 3
    with pytest.raises(PdfTooComplex):
        inspect_pdf(slow_object_stream(40 * MB), limits=limits)
    assert not first.process.is_alive() and pdfinspect._POOL.idle[limits] == []
    assert inspect_pdf(make_pdf(2), limits=limits).pages == 2
    (second,) = pdfinspect._POOL.idle[limits]
    assert second is not first and second.uses == 1


def test_an_inspector_is_retired_after_its_files_and_a_memory_error():
    from egov.core import pdfinspect
    from egov.dossiers.tests.conftest import make_pdf

    limits = Limits(memory_bytes=100 * MB)
    with pytest.raises(PdfTooComplex, match="MemoryError"):
        inspect_pdf(slow_object_stream(70 * MB), limits=limits)
    assert pdfinspect._POOL.idle.get(limits, []) == []  # caught inside, retired all the same
    original = pdfinspect.INSPECTOR_USES
    pdfinspect.INSPECTOR_USES = 2
    try:
        inspect_pdf(make_pdf(1), limits=limits)
        (used,) = pdfinspect._POOL.idle[limits]
        inspect_pdf(make_pdf(1), limits=limits)
        assert pdfinspect._POOL.idle[limits] == [] and not used.process.is_alive()
    finally:
        pdfinspect.INSPECTOR_USES = original
