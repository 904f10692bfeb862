"""Every Sourcewise benchmark in one run, side by side, printed as one report.

    .venv/bin/python bench/run.py [--duration 10] [--quick]

Runs against the database prepared by `bench/prepare.sh` (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/sourcewise_bench) with Redis db 2 (BENCH_REDIS_URL). Starts its
own gunicorn (bench.urls: product URLs + raw views) and, for the queue benchmark, its own Celery
worker; stops both at the end. Prints the report as Markdown and writes it to
bench/results-latest.md. Exit status 1 when a check fails (sequential scan on a searched table,
unbounded COUNT in an admin changelist, HTTP errors); a missed target alone is reported, not fatal.
See bench/README.md for what each benchmark measures.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from _harness import (
    BENCH,
    DEFAULT_DATABASE_URL,
    DEFAULT_REDIS_URL,
    GUNICORN_THREADS,
    GUNICORN_WORKERS,
    ROOT,
    Http,
    Results,
    WrkResult,
    bench_environment,
    celery_worker,
    collectstatic_if_stale,
    free_port,
    gunicorn,
    log,
    ms,
    run_wrk,
    service_cpu_seconds,
    wait_http,
)
from _setup import django_setup, percentile

RESOURCES = {
    # name: (API path, raw path, table)
    "engagements": ("/api/v1/engagements/", "/bench/raw/engagements/", "engagements_engagement"),
    "sponsors": ("/api/v1/sponsors/", "/bench/raw/sponsors/", "engagements_sponsor"),
    "providers": ("/api/v1/providers/", "/bench/raw/providers/", "providers_provider"),
    "follow-ups": ("/api/v1/follow-ups/", "/bench/raw/follow-ups/", "engagements_followup"),
}
ADMIN_CHANGELISTS = {
    "engagements": "/admin/engagements/engagement/",
    "activities": "/admin/engagements/activity/",
    "follow-ups": "/admin/engagements/followup/",
    "sponsors": "/admin/engagements/sponsor/",
    "assessments": "/admin/assessments/assessment/",
}
LARGE_TABLE_ROWS = 10_000  # a COUNT without LIMIT over a table this big is reported as a failure
CONNECTIONS = 8

# Targets
LIST_P95_MS, LIST_P99_MS = 100.0, 250.0
RAW_RATIO_AT_50 = 0.6
DEEP_PAGE_FACTOR = 1.5
RECOMMENDATION_P95_MS = 5.0  # engine 2.0: one recommendation with 200 providers
TIPPING_P95_MS = 50.0  # engine 2.0: the tipping points of one assessment
REPORT_10_PAGES_S = 3.0


class Plan:
    """Sizes of each benchmark; --quick shrinks them for a smoke run of the harness."""

    def __init__(self, args):
        quick = args.quick
        self.duration = args.duration if args.duration is not None else (3 if quick else 10)
        self.warmup = 1 if quick else 2
        self.page_sizes = (50,) if quick else (10, 50, 100)
        self.list_rounds = 1 if quick else 3
        self.deep_page = 1000
        self.deep_page_size = 50
        self.search_page_size = 50
        self.detail_ids = 200 if quick else 2000
        self.submits = 10 if quick else 50
        self.admin_requests = 3 if quick else 15
        self.admin_budget_s = 10 if quick else 30
        self.scoring_inputs = 300 if quick else 2000
        self.reports = 2 if quick else 10
        self.reminders = 1000 if quick else 10_000
        self.rescore_batches = 4 if quick else 20
        self.broker_down_writes = 8 if quick else 20
        self.rescore_batch_size = 25 if quick else 100


# --- HTTP benchmarks ----------------------------------------------------------------------------


def _median_run(runs: list[WrkResult]) -> WrkResult:
    """The run with the median throughput (its latencies come with it)."""
    return sorted(runs, key=lambda run: run.rps)[len(runs) // 2]


def bench_lists(ctx, results: Results) -> None:
    plan: Plan = ctx["plan"]
    section = results.section(
        f"1. API list vs raw view (gunicorn {GUNICORN_WORKERS}×{GUNICORN_THREADS} gthread, "
        f"wrk {CONNECTIONS} connections, {plan.list_rounds} alternated rounds of {plan.duration} s)",
        [
            "resource",
            "page size",
            "API req/s",
            "API p50",
            "API p95",
            "API p99",
            "API CPU ms",
            "raw req/s",
            "raw p95",
            "raw CPU ms",
            "API/raw req/s",
            "API/raw CPU",
            "API/raw scalar",
            "p95/p99 target",
        ],
    )
    for size_index, size in enumerate(plan.page_sizes):
        for index, (name, (api, raw, _)) in enumerate(RESOURCES.items()):
            kinds = ["api", "raw"]
            if size == 50:  # the scalar-only raw view too (see bench/urls.py)
                kinds.insert(1, "scalar")
            runs: dict[str, list[WrkResult]] = {kind: [] for kind in kinds}
            cpu: dict[str, list[float]] = {kind: [] for kind in kinds}
            for round_ in range(plan.list_rounds):
                order = kinds if (index + size_index + round_) % 2 == 0 else kinds[::-1]
                for kind in order:
                    path = (api if kind == "api" else raw) + f"?page_size={size}"
                    if kind == "scalar":
                        path += "&columns=scalar"
                    log(f"lists: {kind} {path}")
                    before = service_cpu_seconds()
                    run = run_wrk(
                        ctx["base"] + path,
                        duration=plan.duration,
                        connections=CONNECTIONS,
                        headers=ctx["auth"] if kind == "api" else None,
                    )
                    if run.failed:
                        results.fail(f"{path}: {run.errors} socket errors, {run.non_2xx} non-2xx")
                    runs[kind].append(run)
                    cpu[kind].append((service_cpu_seconds() - before) * 1000 / max(run.requests, 1))
            a, r = _median_run(runs["api"]), _median_run(runs["raw"])
            a_cpu, r_cpu = statistics.median(cpu["api"]), statistics.median(cpu["raw"])
            ratio = a.rps / r.rps if r.rps else float("nan")
            scalar = _median_run(runs["scalar"]) if runs.get("scalar") else None
            scalar_ratio = f"{a.rps / scalar.rps:.2f}" if scalar and scalar.rps else "–"
            ok = a.p95_ms < LIST_P95_MS and a.p99_ms < LIST_P99_MS
            section.add(
                name,
                size,
                f"{a.rps:,.0f}",
                ms(a.p50_ms),
                ms(a.p95_ms),
                ms(a.p99_ms),
                f"{a_cpu:.1f}",
                f"{r.rps:,.0f}",
                ms(r.p95_ms),
                f"{r_cpu:.1f}",
                f"{ratio:.2f}",
                f"{r_cpu / a_cpu:.2f}" if a_cpu else "–",
                scalar_ratio,
                "PASS" if ok else "MISS",
            )
            results.target(
                f"list {name} page_size={size}: p95 / p99",
                f"{ms(a.p95_ms)} / {ms(a.p99_ms)} ms",
                f"< {LIST_P95_MS:.0f} / < {LIST_P99_MS:.0f} ms",
                ok,
            )
            if size == 50:
                results.target(
                    f"list {name} page_size=50: API req/s ÷ raw req/s",
                    f"{ratio:.2f} ({a.rps:,.0f} / {r.rps:,.0f}; CPU ms: API {a_cpu:.1f}, raw {r_cpu:.1f})",
                    f"≥ {RAW_RATIO_AT_50}",
                    ratio >= RAW_RATIO_AT_50,
                )
    section.notes.append(
        "Latencies in ms, measured by wrk over keep-alive connections (queueing included), from the round "
        "with the median req/s; API and raw runs alternate order in every round. CPU ms is the CPU time "
        "gunicorn, PostgreSQL and Redis spent per request (from /proc, median of the rounds): on this "
        "noisy machine a steadier measure of cost than req/s, and with both cores saturated their ratio "
        "is the throughput ratio. The raw view returns the same rows (the viewset's columns and relation "
        "arrays) with one `.values()` query + orjson and no auth, permissions, throttling, filtering, "
        "cursor or formatting: the floor the API is compared with (API/raw req/s, the target). API/raw "
        "scalar compares with the same view without the relations (`?columns=scalar`, the floor used "
        "until 2026-12-01), at page size 50."
    )


def bench_deep_pagination(ctx, results: Results) -> None:
    plan: Plan = ctx["plan"]
    cursor, page, _ = ctx["deep_cursor"]
    size = plan.deep_page_size
    api = RESOURCES["engagements"][0]
    section = results.section(
        f"2. Deep pagination: /api/v1/engagements/ page {page} vs page 1 (page_size={size}, wrk "
        f"{CONNECTIONS} connections, {plan.duration} s each)",
        ["page", "req/s", "p50", "p95", "p99"],
    )
    first = run_wrk(f"{ctx['base']}{api}?page_size={size}", duration=plan.duration, headers=ctx["auth"])
    deep = run_wrk(
        f"{ctx['base']}{api}?page_size={size}&cursor={cursor}", duration=plan.duration, headers=ctx["auth"]
    )
    for label, r in (("1", first), (str(page), deep)):
        section.add(label, f"{r.rps:,.0f}", ms(r.p50_ms), ms(r.p95_ms), ms(r.p99_ms))
        if r.failed:
            results.fail(f"deep pagination page {label}: {r.errors} errors, {r.non_2xx} non-2xx")
    factor = deep.p95_ms / first.p95_ms if first.p95_ms else float("nan")
    section.notes.append(
        f"p95 ratio page {page} / page 1: {factor:.2f}; p50 ratio {deep.p50_ms / first.p50_ms:.2f}. "
        f"{ctx['deep_check']}"
    )
    if page < plan.deep_page:
        section.notes.append(
            f"The data set has fewer than {plan.deep_page} pages of {size}: page {page} used."
        )
    results.target(
        f"page {page} p95 ÷ page 1 p95",
        f"{factor:.2f} ({ms(deep.p95_ms)} / {ms(first.p95_ms)} ms)",
        f"≤ {DEEP_PAGE_FACTOR}",
        factor <= DEEP_PAGE_FACTOR,
    )


def search_cases(ctx) -> list[tuple[str, str, str]]:
    """(label, resource, query string): a word, a partial name and a filter per searched list."""
    return [
        ("engagements: word", "engagements", "search=pivotal"),
        ("engagements: partial name", "engagements", "search=escalat"),
        ("engagements: rare word", "engagements", f"search={ctx['rare_engagement_word']}"),
        ("engagements: filter", "engagements", "stage=proposal"),
        ("sponsors: word", "sponsors", "search=aurora"),
        ("sponsors: partial name", "sponsors", "search=ellweth"),
        ("sponsors: filter", "sponsors", "status=client"),
        ("follow-ups: filter", "follow-ups", "status=open"),
    ]


def bench_search(ctx, results: Results) -> None:
    from _fixtures import explain
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    plan: Plan = ctx["plan"]
    section = results.section(
        f"3. Search and filters through the API (page_size={plan.search_page_size}, wrk {CONNECTIONS} "
        f"connections, {plan.duration} s each) with EXPLAIN ANALYZE of the list query",
        ["query", "rows", "req/s", "p50", "p95", "p99", "plan (ms)", "indexes used", "check"],
    )
    client = ctx["api_client"]
    for label, resource, query in search_cases(ctx):
        api, _, table = RESOURCES[resource]
        path = f"{api}?page_size={plan.search_page_size}&{query}"
        log(f"search: {path}")
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        rows = len(response.json().get("results", [])) if response.status_code == 200 else -1
        # Every bounded statement over the listed table: the page query (last) and, for a search,
        # the rare-term probe before it. The table's name after FROM: relations arrive as arrays
        # whose subqueries name other tables first.
        statements = [
            q["sql"]
            for q in captured.captured_queries
            if f'FROM "{table}"' in q["sql"] and " LIMIT " in q["sql"]
        ]
        plans = [explain(sql) for sql in statements]
        main, plan_info = (statements[-1], plans[-1]) if statements else (None, None)
        r = run_wrk(ctx["base"] + path, duration=plan.duration, headers=ctx["auth"])
        if r.failed or response.status_code != 200:
            results.fail(f"{path}: HTTP {response.status_code}, {r.errors} errors, {r.non_2xx} non-2xx")
        if plan_info is None:
            check, indexes, plan_ms = "no list query found", "—", float("nan")
            results.fail(f"{path}: list query not captured")
        else:
            indexes = ", ".join(dict.fromkeys(i for p in plans for i in p["indexes"])) or "none"
            plan_ms = sum(p["execution_ms"] for p in plans)
            scanned = [n for n, p in enumerate(plans) if table in p["seq_scans"]]
            if scanned:
                big = ctx["rows"].get(table, 0) >= LARGE_TABLE_ROWS
                which = "page query" if scanned[-1] == len(plans) - 1 else "rare-term probe"
                check = f"SEQ SCAN on {table} ({which})" + ("" if big else " (small table)")
                if big:
                    check = "**FAIL** " + check
                    rows_there = ctx["rows"].get(table, 0)
                    results.fail(f"{path}: sequential scan on {table} ({rows_there:,} rows) in the {which}")
            else:
                check = "ok"
            ctx.setdefault("plans", {})[label] = {"sql": main, **plan_info}
        section.add(
            f"{label} `{query}`",
            rows,
            f"{r.rps:,.0f}",
            ms(r.p50_ms),
            ms(r.p95_ms),
            ms(r.p99_ms),
            ms(plan_ms),
            indexes,
            check,
        )
    section.notes.append(
        "`plan (ms)` is the execution time EXPLAIN ANALYZE reports for the statements over the listed "
        "table that the API ran (captured in process with CaptureQueriesContext): the page query and, "
        "for a search, the rare-term probe before it (`core/api/search.py`); `indexes used` lists every "
        "index in those plans. A sequential scan on the listed table fails the run when the table has "
        f"≥ {LARGE_TABLE_ROWS:,} rows."
    )


def bench_detail(ctx, results: Results) -> None:
    plan: Plan = ctx["plan"]
    section = results.section(
        f"4a. Detail endpoints (random rows, wrk {CONNECTIONS} connections, {plan.duration} s each)",
        ["resource", "req/s", "p50", "p95", "p99", "target p95/p99"],
    )
    for name, paths_file in ctx["detail_paths"].items():
        log(f"detail: {name}")
        r = run_wrk(
            ctx["base"] + RESOURCES[name][0],
            duration=plan.duration,
            headers=ctx["auth"],
            paths_file=paths_file,
        )
        if r.failed:
            results.fail(f"detail {name}: {r.errors} errors, {r.non_2xx} non-2xx")
        ok = r.p95_ms < LIST_P95_MS and r.p99_ms < LIST_P99_MS
        section.add(name, f"{r.rps:,.0f}", ms(r.p50_ms), ms(r.p95_ms), ms(r.p99_ms), "PASS" if ok else "MISS")
        results.target(
            f"detail {name}: p95 / p99",
            f"{ms(r.p95_ms)} / {ms(r.p99_ms)} ms",
            f"< {LIST_P95_MS:.0f} / < {LIST_P99_MS:.0f} ms",
            ok,
        )
    section.notes.append(
        f"Each wrk thread walks {plan.detail_ids:,} ids sampled at random (TABLESAMPLE) from a random start."
    )


def bench_submit(ctx, results: Results) -> None:
    from _fixtures import reference_answers

    http = Http(ctx["port"], {**ctx["auth"], "Content-Type": "application/json"})
    body = json.dumps({"answers": reference_answers()}).encode()
    answers_ms, submit_ms, total_ms = [], [], []
    for assessment_id in ctx["fresh_assessments"]:
        status_a, data_a, t_a = http.request("POST", f"/api/v1/assessments/{assessment_id}/answers/", body)
        status_s, data_s, t_s = http.request(
            "POST", f"/api/v1/assessments/{assessment_id}/submit/", b"", {"Content-Length": "0"}
        )
        if status_a != 200 or status_s != 201:
            results.fail(
                f"submit {assessment_id}: answers HTTP {status_a}, submit HTTP {status_s}: "
                f"{(data_a if status_a != 200 else data_s)[:200]!r}"
            )
            continue
        answers_ms.append(t_a)
        submit_ms.append(t_s)
        total_ms.append(t_a + t_s)
    http.close()
    section = results.section(
        f"4b. Assessment submit, sequential over {len(total_ms)} fresh assessments",
        ["step", "mean", "p50", "p95", "p99", "max"],
    )
    for label, values in (
        ("POST answers (22 answers, validation)", answers_ms),
        ("POST submit (engine + shortlist + snapshot)", submit_ms),
        ("answers + submit", total_ms),
    ):
        if values:
            section.add(
                label,
                ms(statistics.mean(values)),
                ms(percentile(values, 50)),
                ms(percentile(values, 95)),
                ms(percentile(values, 99)),
                ms(max(values)),
            )
    section.notes.append(
        f"One client, one request at a time, against the same gunicorn; the shortlist is computed over "
        f"the {ctx['providers']:,} active providers of the data set."
    )


def bench_admin(ctx, results: Results) -> None:
    from _fixtures import unbounded_counts
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    plan: Plan = ctx["plan"]
    large = {table for table, n in ctx["rows"].items() if n >= LARGE_TABLE_ROWS}
    section = results.section(
        f"5. Admin changelists (superuser session, sequential requests, up to {plan.admin_requests} "
        "per page)",
        [
            "changelist",
            "requests",
            "p50",
            "p95",
            "max",
            "queries",
            "SQL ms",
            "slowest SQL",
            "unbounded COUNT",
        ],
    )
    http = Http(ctx["port"], {"Cookie": ctx["session_cookie"]})
    client = ctx["admin_client"]
    for name, path in ADMIN_CHANGELISTS.items():
        log(f"admin: {path}")
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(path)
            in_process_ms = (time.perf_counter() - started) * 1000
        queries = captured.captured_queries
        sql_ms = sum(float(q["time"]) for q in queries) * 1000
        slowest = max(queries, key=lambda q: float(q["time"]), default=None)
        slowest_text = (
            f"{float(slowest['time']) * 1000:,.0f} ms: `{slowest['sql'][:90]}…`" if slowest else "—"
        )
        counts = unbounded_counts(queries, large)
        if response.status_code != 200:
            results.fail(f"admin {path} in process: HTTP {response.status_code}")
        for count in counts:
            results.fail(f"admin {name}: unbounded COUNT over {count}")
        timings = []
        budget_end = time.monotonic() + plan.admin_budget_s
        for _ in range(plan.admin_requests):
            status, _, elapsed = http.request("GET", path)
            if status != 200:
                results.fail(f"admin {path} live: HTTP {status}")
                break
            timings.append(elapsed)
            if time.monotonic() > budget_end:
                break
        section.add(
            name,
            len(timings),
            ms(percentile(timings, 50)),
            ms(percentile(timings, 95)),
            ms(max(timings) if timings else float("nan")),
            len(queries),
            ms(sql_ms),
            slowest_text,
            ("**FAIL** " + "; ".join(counts)) if counts else "none",
        )
        ctx.setdefault("admin_in_process_ms", {})[name] = in_process_ms
    http.close()
    section.notes.append(
        "Page times are end to end against gunicorn. Queries, SQL time, the slowest statement and COUNTs "
        "come from the same changelist rendered in process under CaptureQueriesContext; a COUNT with no "
        f"LIMIT over a table of ≥ {LARGE_TABLE_ROWS:,} rows (estimate) fails the run."
    )


# --- in-process and queue benchmarks ------------------------------------------------------------


def bench_scoring(ctx, results: Results) -> None:
    import random

    import scoring

    from assessments import selectors
    from assessments.engine import SponsorContext, recommend
    from assessments.scoring import recommend_model
    from assessments.tipping import tipping_points

    plan: Plan = ctx["plan"]
    rng = random.Random(42)
    config = selectors.engine_config(selectors.latest_published_questionnaire())
    synthetic = scoring.synthetic_providers(200, config, rng)
    catalog = selectors.provider_profiles()
    inputs = [scoring.random_answers(config, rng) for _ in range(plan.scoring_inputs)]
    all_regions = ("north_america", "latin_america", "europe", "middle_east_africa", "asia_pacific")
    context = SponsorContext(regions=("europe", "north_america"), all_regions=all_regions, names={})
    section = results.section(
        f"6a. Scoring engine in process ({len(inputs):,} random answer sets, bench/scoring.py)",
        ["what", "assessments/s", "p50 ms", "p95 ms", "p99 ms"],
    )
    cases = [
        ("scores, model, confidence", lambda a: recommend_model(config, a)),
        ("fully explained (drivers, plan, fit, AI)", lambda a: recommend_model(config, a).explained()),
        (
            "explained + shortlist of 200 synthetic providers + snapshot",
            lambda a: recommend(config, a, context=context, providers=synthetic).snapshot(),
        ),
        ("tipping points of one assessment", lambda a: tipping_points(recommend_model(config, a))),
        (
            f"explained + shortlist of the {len(catalog):,} catalog providers + snapshot",
            lambda a: recommend(config, a, context=context, providers=catalog).snapshot(),
        ),
    ]
    for label, fn in cases:
        subset = inputs if "catalog" not in label else inputs[: max(50, len(inputs) // 10)]
        timings = []
        started = time.perf_counter()
        for answers in subset:
            t0 = time.perf_counter()
            fn(answers)
            timings.append((time.perf_counter() - t0) * 1000)
        rate = len(subset) / (time.perf_counter() - started)
        section.add(
            label,
            f"{rate:,.0f}",
            f"{percentile(timings, 50):.3f}",
            f"{percentile(timings, 95):.3f}",
            f"{percentile(timings, 99):.3f}",
        )
        ctx.setdefault("scoring", {})[label] = rate
        targets = {
            "explained + shortlist of 200 synthetic providers + snapshot": (
                "one recommendation, 200 providers (p95)",
                RECOMMENDATION_P95_MS,
            ),
            "tipping points of one assessment": ("tipping points of one assessment (p95)", TIPPING_P95_MS),
        }
        if label in targets:
            # The tipping row includes scoring the assessment first: a little over the tipping points alone.
            goal, limit = targets[label]
            p95 = percentile(timings, 95)
            results.target(goal, f"{p95:.2f} ms", f"< {limit:g} ms", p95 < limit)


def bench_reports(ctx, results: Results) -> None:
    from _fixtures import sample_ids

    from assessments import reports
    from assessments.models import Assessment, Channel, Report

    plan: Plan = ctx["plan"]
    candidates = sample_ids(Assessment, 200, seed=23)
    chosen = list(
        Assessment.objects.filter(pk__in=candidates, status__in=["submitted", "reviewed"]).select_related(
            "sponsor"
        )[: plan.reports + 1]
    )
    timings, pages = [], []
    for index, assessment in enumerate(chosen):
        report = reports.request_report(
            assessment=assessment, by=ctx["superuser"], via=Channel.API, force=True
        )
        started = time.perf_counter()
        outcome = reports.generate(str(report.pk), worker_token=f"bench-{uuid.uuid4().hex[:12]}")
        elapsed = time.perf_counter() - started
        if outcome != "ready":
            results.fail(f"report {report.pk}: {outcome}")
            continue
        if index == 0:
            continue  # the first render loads fonts and templates: not counted
        timings.append(elapsed)
        pages.append(Report.objects.get(pk=report.pk).pages or 0)
    section = results.section(
        f"6b. PDF reports, generated sequentially in process ({len(timings)} after one warm-up)",
        ["pages", "mean s", "p50 s", "max s", "reports/min"],
    )
    if not timings:
        return
    mean = statistics.mean(timings)
    section.add(
        f"{min(pages)}–{max(pages)}" if min(pages) != max(pages) else pages[0],
        f"{mean:.2f}",
        f"{percentile(timings, 50):.2f}",
        f"{max(timings):.2f}",
        f"{60 / mean:.1f}",
    )
    section.notes.append(
        "`reports.generate()` as the Celery task runs it: claim, template, WeasyPrint render, file save, "
        "announcement. Requested with `request_report(force=True)` on submitted assessments of the data set."
    )
    ten = [t for t, p in zip(timings, pages, strict=True) if p >= 10]
    if ten:
        results.target(
            "10-page report generation",
            f"{max(ten):.2f} s (max of {len(ten)})",
            f"< {REPORT_10_PAGES_S} s",
            max(ten) < REPORT_10_PAGES_S,
        )
    else:
        per_page = max(t / max(1, p) for t, p in zip(timings, pages, strict=True))
        results.target(
            "10-page report generation",
            f"no 10-page report (reports have {min(pages)}–{max(pages)} pages); "
            f"max {max(timings):.2f} s, ≈ {per_page * 10:.2f} s scaled to 10 pages",
            f"< {REPORT_10_PAGES_S} s",
            per_page * 10 < REPORT_10_PAGES_S,
        )


def bench_reminders(ctx, results: Results) -> None:
    from _fixtures import REMINDER_EPOCH, create_due_follow_ups, delete_bench_follow_ups

    from engagements.automation import remind_due_follow_ups

    plan: Plan = ctx["plan"]
    delete_bench_follow_ups()
    create_due_follow_ups(plan.reminders)
    started = time.perf_counter()
    reminded = remind_due_follow_ups(now=REMINDER_EPOCH + timedelta(days=1), limit=plan.reminders)
    elapsed = time.perf_counter() - started
    delete_bench_follow_ups()
    section = results.section(
        f"6c. Follow-up reminders: remind_due_follow_ups over {plan.reminders:,} due follow-ups, in process",
        ["reminded", "seconds", "reminders/s", "ms per reminder"],
    )
    section.add(
        f"{reminded:,}",
        f"{elapsed:.2f}",
        f"{reminded / elapsed:,.0f}",
        f"{elapsed * 1000 / max(1, reminded):.2f}",
    )
    section.notes.append(
        "Follow-ups are bulk-created due in 2001 and the rule runs `now=2001-01-02`, so only they are due "
        "(the data set's own overdue follow-ups are untouched). Each reminder: claim UPDATE, row fetch, "
        "notification row, outbox row handed to Redis, webhook fan-out query. The rows are deleted after."
    )
    if reminded != plan.reminders:
        results.fail(f"reminders: {reminded} of {plan.reminders} reminded")


def bench_celery(ctx, results: Results) -> None:
    from _fixtures import make_stale
    from celery import group

    from assessments import services
    from assessments.tasks import rescore_assessments
    from config.celery import app

    plan: Plan = ctx["plan"]
    batch, batches = plan.rescore_batch_size, plan.rescore_batches
    stale = make_stale(batch * (batches + 1) + 4, seed=int(time.time()) % 100_000)
    in_process_ids, warm_ids, queued_ids = stale[:batch], stale[batch : batch + 4], stale[batch + 4 :]
    section = results.section(
        "6d. Re-scoring (services.rescore_assessments): in process vs through Celery",
        ["how", "assessments", "seconds", "assessments/s"],
    )
    started = time.perf_counter()
    scored, created = services.rescore_assessments(assessment_ids=in_process_ids)
    elapsed = time.perf_counter() - started
    section.add(
        "in process, one batch", f"{created:,} of {scored:,}", f"{elapsed:.2f}", f"{created / elapsed:,.0f}"
    )

    app.control.purge()  # messages queued by earlier benchmarks (reminders, reports) are not ours to run
    worker = celery_worker(ctx["env"], ctx["run_dir"] / "celery.log", concurrency=2)
    worker.start()
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=1.0):
            if not worker.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"Celery worker did not start:\n{worker.log_tail()}")
        group(rescore_assessments.s(warm_ids[i::2]) for i in range(2)).apply_async().get(
            timeout=300, interval=0.05
        )
        chunks = [queued_ids[i * batch : (i + 1) * batch] for i in range(batches)]
        started = time.perf_counter()
        outcome = (
            group(rescore_assessments.s(chunk) for chunk in chunks)
            .apply_async()
            .get(timeout=900, interval=0.05)
        )
        elapsed = time.perf_counter() - started
    finally:
        worker.stop()
        app.control.purge()
    created = sum(item[1] for item in outcome)
    section.add(
        f"Celery, 2 worker processes, {batches} batches of {batch}",
        f"{created:,} of {sum(item[0] for item in outcome):,}",
        f"{elapsed:.2f}",
        f"{created / elapsed:,.0f}",
    )
    section.notes.append(
        "The recommendations of randomly chosen submitted assessments are marked as made by an older "
        "engine (`engine_version` set by a queryset UPDATE), so each is recomputed and stored as a new "
        "snapshot. The Celery time runs from enqueueing the group to the last result (django-db result "
        "backend), after two warm-up tasks; the worker is started and stopped by the run."
    )
    if created != len(queued_ids):
        results.fail(f"Celery re-score: {created} of {len(queued_ids)} assessments re-scored")


def _hung_broker() -> tuple[int, "callable"]:
    """A port where connections are accepted and never answered (Redis hung, or a network that
    drops replies): the worst case for a publish, bounded only by the socket timeout."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held = []
    stop = threading.Event()

    def hold():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()

    def close():
        stop.set()
        thread.join(2)
        for sock in [*held, listener]:
            sock.close()

    return listener.getsockname()[1], close


def bench_broker_down(ctx, results: Results) -> None:
    """Writes that queue work, answered by gunicorn while the broker is up, refused or hung."""
    from _fixtures import fresh_assessments, reference_answers
    from django.utils import timezone

    from core.models import OutboxMessage, WebhookEndpoint, WebhookEvent
    from engagements.models import Engagement, Stage

    plan: Plan = ctx["plan"]
    n = plan.broker_down_writes
    since = timezone.now()
    endpoints = [
        WebhookEndpoint.objects.create(
            url=f"http://127.0.0.1:9/bench-broker-down-{i}",
            events=list(WebhookEvent.values),
            description="bench",
        )
        for i in range(2)
    ]
    hung_port, close_hung = _hung_broker()
    scenarios = [
        ("broker up", ctx["env"]["REDIS_URL"]),
        ("broker refused (Redis stopped)", f"redis://127.0.0.1:{free_port()}/0"),
        ("broker hung (accepts, never answers)", f"redis://127.0.0.1:{hung_port}/0"),
    ]
    lead = list(
        Engagement.objects.filter(stage=Stage.LEAD).values_list("pk", flat=True)[: n * len(scenarios)]
    )
    section = results.section(
        f"7. Writes that queue work while the broker is down (gunicorn, 1 process, {n} of each write, "
        "sequential; 2 webhook endpoints subscribed to every event)",
        ["broker", "write", "first", "p50", "p95", "max", "broker attempts", "target"],
    )
    body = json.dumps({"answers": reference_answers()}).encode()
    try:
        for index, (label, broker) in enumerate(scenarios):
            env = {**ctx["env"], "CELERY_BROKER_URL": broker}
            port = free_port()
            server = gunicorn(
                env, port, ctx["run_dir"] / f"gunicorn-broker-{index}.log", workers=1, threads=1
            )
            server.start()
            started = timezone.now()
            try:
                wait_http(port, "/health/live", process=server)
                http = Http(port, {**ctx["auth"], "Content-Type": "application/json"})
                for _ in range(3):  # the first requests of a new process load code: not counted
                    http.request("GET", "/api/v1/engagements/?page_size=5")
                    http.request("GET", "/api/v1/assessments/?page_size=5")
                timings: dict[str, list[float]] = {"stage change": [], "answers + submit": []}
                for engagement_id in lead[index * n : (index + 1) * n]:
                    status, data, elapsed = http.request(
                        "POST",
                        f"/api/v1/engagements/{engagement_id}/transition/",
                        b'{"stage": "qualification"}',
                    )
                    if status != 200:
                        results.fail(f"broker {label}: stage change HTTP {status}: {data[:200]!r}")
                    timings["stage change"].append(elapsed)
                for assessment_id in fresh_assessments(n):
                    status_a, _, t_a = http.request(
                        "POST", f"/api/v1/assessments/{assessment_id}/answers/", body
                    )
                    status_s, data, t_s = http.request(
                        "POST", f"/api/v1/assessments/{assessment_id}/submit/", b"", {"Content-Length": "0"}
                    )
                    if status_a != 200 or status_s != 201:
                        results.fail(f"broker {label}: answers HTTP {status_a}, submit HTTP {status_s}")
                    timings["answers + submit"].append(t_a + t_s)
                http.close()
            finally:
                server.stop()
            tried = OutboxMessage.objects.filter(created_at__gte=started, attempts__gt=0).count()
            queued = OutboxMessage.objects.filter(created_at__gte=started).count()
            for write, values in timings.items():
                if not values:
                    continue
                worst = max(values)
                ok = worst < 1000
                section.add(
                    label,
                    write,
                    ms(values[0]),
                    ms(percentile(values, 50)),
                    ms(percentile(values, 95)),
                    ms(worst),
                    f"{tried} of {queued} messages" if write == "stage change" else "",
                    "PASS" if ok else "MISS",
                )
                if broker != ctx["env"]["REDIS_URL"]:
                    results.target(f"{write}, {label}: slowest write", f"{ms(worst)} ms", "< 1000 ms", ok)
    finally:
        close_hung()
        WebhookEndpoint.objects.filter(pk__in=[e.pk for e in endpoints]).delete()  # deliveries go with them
        OutboxMessage.objects.filter(created_at__gte=since).delete()
    section.notes.append(
        "Each scenario starts its own gunicorn (one single-threaded process, as in production) with "
        "CELERY_BROKER_URL pointing at the real Redis, at a port where nothing listens, or at a socket "
        "that accepts and never answers; the cache stays on the real Redis. Every write records its "
        "work in the outbox and hands it over after commit: one attempt without retries, then the "
        "process leaves the broker alone for 10 s (core.outbox). `broker attempts` counts the queued "
        "messages of the scenario (both writes) that tried the broker. The hung case is bounded by the "
        "hand-over's timeout (0.5 s, `core.outbox.HAND_OVER_TIMEOUT`), paid by the first write of each "
        "10-second window. Three list requests warm each new process up first. The rows are deleted "
        "after; engagements stay moved and assessments submitted."
    )


# --- orchestration ------------------------------------------------------------------------------


def header(ctx, plan: Plan) -> list[str]:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    url = urlsplit(ctx["env"]["DATABASE_URL"])
    rows = ctx["rows"]
    counts = ", ".join(
        f"{label} {rows.get(table, 0):,}"
        for label, table in (
            ("sponsors", "engagements_sponsor"),
            ("engagements", "engagements_engagement"),
            ("activities", "engagements_activity"),
            ("follow-ups", "engagements_followup"),
            ("providers", "providers_provider"),
            ("assessments", "assessments_assessment"),
        )
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return [
        f"- run: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, commit {commit}"
        f"{' (uncommitted changes)' if dirty else ''}, "
        f"`bench/run.py{' --quick' if ctx['args'].quick else ''} --duration {plan.duration}`",
        f"- machine: {os.cpu_count()} CPU ({cpu}), Python {platform.python_version()}, "
        f"PostgreSQL database `{url.path.lstrip('/')}` on {url.hostname}, Redis {ctx['env']['REDIS_URL']}; "
        f"load average at start {load} (above {os.cpu_count()} means other work competed for the CPUs)",
        f"- data set (row estimates): {counts}",
        f"- server: gunicorn {GUNICORN_WORKERS} workers × {GUNICORN_THREADS} threads (gthread), DEBUG=False, "
        f"psycopg pool; load: wrk, {CONNECTIONS} connections, 2 threads, {plan.duration} s per measurement "
        f"after a {plan.warmup} s warm-up per URL",
        "- latencies in milliseconds unless marked; p50/p95/p99 from wrk's per-request latencies",
    ]


def prepare(ctx, plan: Plan) -> None:
    from _fixtures import (
        deep_cursor,
        estimated_rows,
        fresh_assessments,
        logged_in_client,
        sample_ids,
        session_cookie,
        staff_api_key,
        superuser,
    )
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.test import Client

    from engagements.models import Engagement, FollowUp, Sponsor
    from providers.models import Provider

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in pending[:5])
        raise SystemExit(
            f"{len(pending)} migration(s) not applied to the benchmark database ({names}…): the code "
            f"would be measured against a stale schema. Run DATABASE_URL=$BENCH_DATABASE_URL "
            f".venv/bin/python manage.py migrate (or bench/prepare.sh again)."
        )
    ctx["rows"] = estimated_rows()
    if ctx["rows"].get("engagements_engagement", 0) < 1000:
        raise SystemExit(
            f"{ctx['env']['DATABASE_URL']} has no benchmark data set: run bench/prepare.sh first "
            "(or set BENCH_DATABASE_URL)."
        )
    ctx["providers"] = Provider.objects.filter(is_active=True).count()
    raw_key = staff_api_key()
    ctx["auth"] = {"Authorization": f"Api-Key {raw_key}"}
    ctx["api_client"] = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    ctx["superuser"] = superuser()
    ctx["admin_client"] = logged_in_client(ctx["superuser"])
    ctx["session_cookie"] = session_cookie(logged_in_client(ctx["superuser"]))

    paths_dir = ctx["run_dir"] / "paths"
    paths_dir.mkdir()
    ctx["detail_paths"] = {}
    for name, model in (
        ("engagements", Engagement),
        ("sponsors", Sponsor),
        ("providers", Provider),
        ("follow-ups", FollowUp),
    ):
        ids = sample_ids(model, plan.detail_ids)
        path = paths_dir / f"{name}.txt"
        path.write_text("".join(f"{RESOURCES[name][0]}{pk}/\n" for pk in ids))
        ctx["detail_paths"][name] = path

    cursor, page, first_id = deep_cursor(plan.deep_page, plan.deep_page_size)
    response = ctx["api_client"].get(f"/api/v1/engagements/?page_size={plan.deep_page_size}&cursor={cursor}")
    got = (
        response.json()["results"][0]["id"]
        if response.status_code == 200 and response.json()["results"]
        else None
    )
    ctx["deep_check"] = (
        f"Cursor checked: its first row is row {(page - 1) * plan.deep_page_size + 1:,} of the ordering."
        if got == first_id
        else f"**Cursor check failed**: first row {got}, expected {first_id}."
    )
    if got != first_id:
        ctx["results"].fail(f"deep-pagination cursor does not land on page {page}")
    ctx["deep_cursor"] = (cursor, page, first_id)
    # A word that names one engagement: the study number of a random scale-data engagement.
    numbered = (
        Engagement.objects.filter(pk__in=sample_ids(Engagement, 50, seed=5), name__regex=r" [0-9]+$")
        .values_list("name", flat=True)
        .first()
    )
    ctx["rare_engagement_word"] = numbered.split()[-1] if numbered else "registry"
    ctx["fresh_assessments"] = fresh_assessments(plan.submits)


def warm_up(ctx, plan: Plan) -> None:
    urls = []
    for api, raw, _ in RESOURCES.values():
        urls += [(api + "?page_size=50", True), (raw + "?page_size=50", False)]
    for label, query in [(c[0], c[2]) for c in search_cases(ctx)]:
        resource = label.split(":")[0]
        urls.append((f"{RESOURCES[resource][0]}?page_size={plan.search_page_size}&{query}", True))
    for api, _, _ in RESOURCES.values():
        urls.append((api + "?page_size=100", True))
    for path, auth in urls:
        run_wrk(ctx["base"] + path, duration=plan.warmup, headers=ctx["auth"] if auth else None)
    for name, paths_file in ctx["detail_paths"].items():
        run_wrk(
            ctx["base"] + RESOURCES[name][0], duration=plan.warmup, headers=ctx["auth"], paths_file=paths_file
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duration", type=float, default=None, help="seconds per wrk measurement (default 10)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="a short smoke run (3 s, fewer sizes and repetitions)"
    )
    parser.add_argument("--port", type=int, default=0, help="gunicorn port (default: a free one)")
    parser.add_argument("--keep", action="store_true", help="keep the run directory (logs, path lists)")
    parser.add_argument(
        "--only",
        default="lists,deep,search,detail,submit,admin,scoring,reports,reminders,celery,brokerdown",
        help="comma-separated subset of benchmarks to run",
    )
    args = parser.parse_args()
    plan = Plan(args)
    only = set(args.only.split(","))
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")

    run_dir = Path(tempfile.mkdtemp(prefix="sourcewise-bench-"))
    env = bench_environment(
        database_url=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        redis_url=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
        run_dir=run_dir,
    )
    os.environ.update(env)
    django_setup()

    results = Results()
    ctx = {"args": args, "plan": plan, "env": env, "run_dir": run_dir, "results": results}
    log(f"run directory {run_dir}")
    collectstatic_if_stale(env)
    prepare(ctx, plan)
    results.header = header(ctx, plan)

    http_benches = [
        ("lists", bench_lists),
        ("deep", bench_deep_pagination),
        ("search", bench_search),
        ("detail", bench_detail),
        ("submit", bench_submit),
        ("admin", bench_admin),
    ]
    local_benches = [
        ("scoring", bench_scoring),
        ("reports", bench_reports),
        ("reminders", bench_reminders),
        ("celery", bench_celery),
        ("brokerdown", bench_broker_down),
    ]
    started = time.monotonic()
    if any(name in only for name, _ in http_benches):
        port = args.port or free_port()
        server = gunicorn(
            env, port, run_dir / "gunicorn.log", workers=GUNICORN_WORKERS, threads=GUNICORN_THREADS
        )
        server.start()
        ctx.update(port=port, base=f"http://127.0.0.1:{port}", server=server)
        try:
            wait_http(port, "/bench/raw/providers/?page_size=1", process=server)
            log("warming up")
            warm_up(ctx, plan)
            for name, bench in http_benches:
                if name in only:
                    log(f"benchmark: {name}")
                    try:
                        bench(ctx, results)
                    except Exception as error:  # one broken benchmark must not hide the others
                        traceback.print_exc()
                        results.fail(f"{name}: {type(error).__name__}: {error}")
        finally:
            server.stop()
    for name, bench in local_benches:
        if name in only:
            log(f"benchmark: {name}")
            try:
                bench(ctx, results)
            except Exception as error:
                traceback.print_exc()
                results.fail(f"{name}: {type(error).__name__}: {error}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    results.header.append(
        f"- total run time: {time.monotonic() - started:,.0f} s; load average at the end {load}"
    )

    text = results.markdown()
    print(text)
    (BENCH / "results-latest.md").write_text(text)
    log(f"written to {BENCH / 'results-latest.md'}")
    if not args.keep:
        shutil.rmtree(run_dir, ignore_errors=True)
    return 1 if results.failures else 0


if __name__ == "__main__":
    sys.exit(main())
