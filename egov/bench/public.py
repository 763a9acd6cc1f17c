"""The public pages on a province-sized catalogue, for the scale benchmark (issue #19).

With a catalogue of `ScaleConfig.procedures` generated procedures (egov/bench/catalogue.py),
anonymous visitors, as the portal's traffic mostly is, load over HTTP, each against the same
gunicorn as the floor (`/healthz`) of the same run:

- the catalogue list `/thu-tuc/`, its first ten pages;
- a procedure page, cycling over the 200 most used procedures;
- search, cycling over realistic queries (with and without diacritics, one with a typo, one
  that finds nothing);
- the home page and the transparency page.

Then a change to a procedure, made through the catalogue's service as an operator would, must
show on the very next request for its page (the check fails the scenario otherwise).
"""

from __future__ import annotations

import http.client
import statistics
import time
from typing import Any

from django.test import override_settings
from django.utils.crypto import get_random_string

from . import scenarios
from .scenarios import ScenarioResult, Table, fmt

# The scale benchmark's ScaleContext (config, env, http_summaries), duck-typed: importing
# egov.bench.scale here would make a cycle (it runs these scenarios).
ScaleContext = Any

SEARCHES = [
    "đăng ký khai sinh",
    "dang ky khai sinh",
    "cấp giấy phép xây dựng",
    "cap giay phep xay dung",
    "giay phep lai xe",
    "chung thuc ban sao",
    "ho kinh doanh",
    "dang ki ket hon",
    "ly lich tu phap",
    "an toan thuc pham",
    "cap lai giay chung nhan",
    "thanh lap doanh nghiep",
    "tro cap xa hoi",
    "dat dai",
    "giay phep xay dugn",  # a typo
    "thu tuc khong co that",  # nothing found: suggestions
]
POPULAR_PAGES = 200
LIST_PAGES = 10


def ensure_catalogue(count: int, log: Any) -> int:
    """Generate the catalogue when fewer than `count` procedures are published."""
    from egov.catalog.models import Procedure

    from .catalogue import generate_catalogue

    published = Procedure.objects.filter(is_published=True).count()
    if published < count:
        log(f"generating a catalogue of {count:,} procedures (now {published:,}) ...")
        generate_catalogue(count, log=log)
        published = Procedure.objects.filter(is_published=True).count()
    return published


def _redis_caches(ctx: ScaleContext) -> dict[str, Any]:
    """The cache the server uses (egov.settings.bench): a change made in this process must bump
    the versions the server reads, as every process of a deployment shares one cache."""
    url = ctx.env.get("REDIS_URL") or "redis://127.0.0.1:6379/1"
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}


def _get(port: int, path: str) -> tuple[int, str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Accept": "text/html"})
        response = conn.getresponse()
        body = response.read().decode()
        return response.status, response.getheader("X-Page-Cache") or "", body
    finally:
        conn.close()


def freshness(ctx: ScaleContext, port: int) -> ScenarioResult:
    """A change to a procedure through the service, then the next request for its page."""
    from egov.catalog import services
    from egov.catalog.models import Procedure
    from egov.core.actors import Actor

    result = ScenarioResult(
        "public_fresh",
        "Public pages: a change is visible on the next request",
        "A procedure page is requested until it comes from the page cache; its name is then "
        "changed through `catalog.services.update_procedure` (as the administration does), "
        "and the very next request for the page, and for a search that finds it, must show "
        "the new name. Then the old name is put back the same way.",
    )
    operator = Actor(kind="operator", label="bench")
    procedure = Procedure.objects.filter(is_published=True).order_by("-submission_count").first()
    if procedure is None:
        result.problems.append("public_fresh: no published procedure")
        return result
    path = f"/thu-tuc/{procedure.code}/"
    states = [_get(port, path)[1] for _ in range(3)]
    old = procedure.name
    new = f"{old} (sửa {get_random_string(6)})"
    rows = []
    with override_settings(CACHES=_redis_caches(ctx)):
        try:
            started = time.perf_counter()
            services.update_procedure(actor=operator, procedure=procedure, changes={"name": new})
            status, state, body = _get(port, path)
            elapsed = (time.perf_counter() - started) * 1000
            found = new in body
            rows.append([path, states[-1], state, "yes" if found else "NO", fmt(elapsed, 1)])
            if status != 200 or not found:
                result.problems.append(f"public_fresh: {path} still showed the old name")
            query = "/thu-tuc/?q=" + new.split("(sửa ")[1].rstrip(")")
            _status, state, body = _get(port, query)
            rows.append([query, "—", state, "yes" if new in body else "NO", "—"])
            if new not in body:
                result.problems.append("public_fresh: the search did not find the new name")
        finally:
            procedure.refresh_from_db()
            services.update_procedure(actor=operator, procedure=procedure, changes={"name": old})
    result.tables.append(
        Table(["page", "before the change", "after", "new name shown", "change + request ms"], rows)
    )
    result.metrics = {"fresh": 0.0 if result.problems else 1.0}
    return result


def public_pages(ctx: ScaleContext, port: int) -> list[ScenarioResult]:
    from egov.catalog.models import Procedure

    codes = list(
        Procedure.objects.filter(is_published=True)
        .order_by("-submission_count", "code")
        .values_list("code", flat=True)[:POPULAR_PAGES]
    )
    total = Procedure.objects.filter(is_published=True).count()
    floor = ctx.http_summaries.get("http_floor")
    pages = [
        (
            "public_list",
            "Catalogue list /thu-tuc/",
            f"The first {LIST_PAGES} pages of the {total:,}-procedure catalogue, 25 a page.",
            [f"/thu-tuc/?trang={n}" if n > 1 else "/thu-tuc/" for n in range(1, LIST_PAGES + 1)],
        ),
        (
            "public_procedure",
            "A procedure page /thu-tuc/<code>/",
            f"The {len(codes)} most used of {total:,} procedures in turn (the due date if "
            "submitted now is computed for each answer).",
            [f"/thu-tuc/{code}/" for code in codes],
        ),
        (
            "public_search",
            "Search /thu-tuc/?q=",
            f"{len(SEARCHES)} queries in turn over {total:,} procedures: with and without "
            "diacritics, one with a typo, one that finds nothing (suggestions).",
            ["/thu-tuc/?" + _q(q) for q in SEARCHES],
        ),
        ("public_home", "Home page /", "The home page (the most used procedures).", ["/"]),
        (
            "public_transparency",
            "Transparency page /cong-khai/",
            "On-time rates by agency for the current year.",
            ["/cong-khai/"],
        ),
    ]
    results = []
    for name, title, meaning, paths in pages:
        built = _warm(port, paths)
        requests = [{"method": "GET", "path": p, "headers": {"Accept": "text/html"}} for p in paths]
        summary = scenarios.run_load(
            ctx,
            port=port,
            requests=requests,
            body_files=[],
            expect=[200],
            duration=ctx.config.duration,
            warmup=ctx.config.warmup,
            max_requests=10**7,
            name=name,
            server_pid=ctx.server_pid,
        )
        ctx.http_summaries[name] = summary
        result = ScenarioResult(
            name,
            f"Public: {title}",
            meaning + f" Anonymous visitors, {ctx.config.clients} concurrent keep-alive clients; "
            "served from the page cache after the first request of each page "
            "(egov.core.pagecache).",
        )
        label = ctx.server_label or f"sync, {ctx.config.workers} workers"
        result.tables.append(Table(scenarios.HTTP_COLUMNS, [scenarios.http_row(label, summary)]))
        scenarios.add_cpu(result, label, summary)
        result.metrics.update(
            throughput=summary["throughput"],
            p50=summary["latency_ms"]["p50"],
            p99=summary["latency_ms"]["p99"],
        )
        if floor and floor.get("throughput"):
            ratio = summary["throughput"] / floor["throughput"]
            result.metrics["ratio_to_floor"] = ratio
            result.notes.append(
                f"{fmt(ratio, 2)} × the floor of the same run ({fmt(floor['throughput'])} req/s)."
            )
        if built:
            result.notes.append(
                f"Before the load, each of the {len(paths)} pages was requested once: "
                f"{len(built)} were built and stored (a miss), in {fmt(statistics.mean(built))} "
                f"ms on average, {fmt(max(built))} ms at most, one request at a time."
            )
            result.metrics["miss_ms"] = statistics.mean(built)
        result.problems += scenarios.load_problems(name, summary)
        results.append(result)
    results.append(freshness(ctx, port))
    return results


def _warm(port: int, paths: list[str]) -> list[float]:
    """Request every page once (the steady state the load then measures is the cached one);
    the time of each answer that had to be built (a miss)."""
    built = []
    for path in dict.fromkeys(paths):
        started = time.perf_counter()
        _status, state, _body = _get(port, path)
        if state == "miss":
            built.append((time.perf_counter() - started) * 1000)
    return built


def _q(query: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"q": query})
