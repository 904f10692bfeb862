"""Profile one request in process: where the time of a slow benchmark row goes.

    .venv/bin/pip install pyinstrument          # once; a local tool, not in the lock files
    .venv/bin/python bench/profile.py "/api/v1/sponsors/?page_size=50" [--repeat 20] [--admin]

Runs the URL through Django's test client with the benchmark settings (DEBUG off, the bench
database, a staff API key, or a superuser session with --admin), once to warm up and then
--repeat times under pyinstrument; prints the call tree (PROFILE_SHOW_ALL=1 keeps library frames)
and the SQL the last request ran (count, time, the slowest statements). For a live server under
load use py-spy instead:
`.venv/bin/py-spy record -o profile.svg --pid <gunicorn worker pid>` while bench/run.py runs.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from _harness import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, bench_environment
from _setup import django_setup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="URL path with query string, e.g. /api/v1/engagements/?page_size=50")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--admin", action="store_true", help="as a logged-in superuser instead of an API key")
    parser.add_argument("--sql", type=int, default=5, help="how many of the slowest statements to print")
    args = parser.parse_args()

    env = bench_environment(
        database_url=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        redis_url=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
        run_dir=Path(tempfile.mkdtemp(prefix="sourcewise-profile-")),
    )
    os.environ.update(env)
    django_setup()
    try:
        from pyinstrument import Profiler
    except ImportError:
        sys.exit("pyinstrument is not installed: .venv/bin/pip install pyinstrument")
    from _fixtures import logged_in_client, staff_api_key, superuser
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    if args.admin:
        client = logged_in_client(superuser())
    else:
        client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Api-Key {staff_api_key('bench-profile')}")
    response = client.get(args.path)
    print(f"HTTP {response.status_code}, {len(response.content):,} bytes")
    profiler = Profiler(interval=0.0005)
    started = time.perf_counter()
    profiler.start()
    for _ in range(args.repeat):
        client.get(args.path)
    profiler.stop()
    each = (time.perf_counter() - started) * 1000 / args.repeat
    print(f"{args.repeat} requests, {each:.1f} ms each (profiled)")
    print(profiler.output_text(color=False, show_all=os.environ.get("PROFILE_SHOW_ALL") == "1"))
    with CaptureQueriesContext(connection) as captured:
        client.get(args.path)
    queries = captured.captured_queries
    total = sum(float(q["time"]) for q in queries) * 1000
    print(f"SQL of one request: {len(queries)} statements, {total:.1f} ms")
    for query in sorted(queries, key=lambda q: -float(q["time"]))[: args.sql]:
        print(f"  {float(query['time']) * 1000:8.1f} ms  {query['sql'][:300]}")


if __name__ == "__main__":
    main()
