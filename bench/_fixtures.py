"""What the benchmarks need in the database: a staff API key, a superuser session, sample ids,
fresh assessments, stale recommendations, due follow-ups and SQL helpers.

Import after `django_setup()`. Everything created here is marked "bench" so a later run can find
(and, where it is noise, remove) it; the scale data set itself is only read, except that the
scoring benchmark adds recommendations to existing assessments, as a real re-score would.
"""

import base64
import random
import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

from django.db import connection, transaction
from django.test import Client

BENCH_ADMIN_EMAIL = "bench-admin@bench.sourcewise.local"
BENCH_KEY_NAME = "bench"
# Reminder benchmark rows are due in 2001, long before anything in the data set, so running the
# reminder rule "as of 2001" touches only them.
REMINDER_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)


def staff_api_key(name: str = BENCH_KEY_NAME) -> str:
    """A new staff-scope key (the previous run's key of that name is deleted)."""
    from django.core.cache import cache

    from core.models import ApiKey, api_key_cache_key

    ApiKey.objects.filter(name=name).delete()
    key, raw = ApiKey.objects.create_key(name=name, scope="staff")
    # Creating a key marks its cache entry stale for 10 s (core.models.forget_api_keys), against a
    # request that read an older row; a new key has none, so its requests may cache it at once.
    cache.delete(api_key_cache_key(key.prefix))
    return raw


def superuser():
    from core.models import User

    user = User.objects.filter(email=BENCH_ADMIN_EMAIL).first()
    if user is None:
        user = User.objects.create_superuser(email=BENCH_ADMIN_EMAIL, password=uuid.uuid4().hex)
    return user


def logged_in_client(user) -> Client:
    """A test client signed in as `user` with a verified second factor (django-otp), as staff are
    after entering their TOTP code; the session also works against the live server."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, name="bench", confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def session_cookie(client: Client) -> str:
    from django.conf import settings

    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def estimated_rows() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.reltuples::bigint FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'r' AND n.nspname = 'public'"
        )
        return {name: int(rows) for name, rows in cursor.fetchall()}


def sample_ids(model, n: int, *, seed: int = 7) -> list[str]:
    """About n random primary keys, without scanning a big table (TABLESAMPLE)."""
    table = model._meta.db_table
    total = max(1, estimated_rows().get(table, 0))
    percent = min(100.0, max(0.01, 100.0 * 3 * n / total))
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT id FROM "{table}" TABLESAMPLE SYSTEM (%s) REPEATABLE (%s) LIMIT %s',
            [percent, seed, n * 3],
        )
        ids = [str(row[0]) for row in cursor.fetchall()]
    if len(ids) < n:
        ids = [str(pk) for pk in model.objects.values_list("pk", flat=True)[: n * 3]]
    random.Random(seed).shuffle(ids)
    return ids[:n]


def deep_cursor(page: int, page_size: int) -> tuple[str, int, str]:
    """The `cursor` query value of page `page` of /api/v1/engagements/ (ordering -created_at, -id),
    as DRF's CursorPagination would link to it: base64(urlencode({"p": position})) where position is
    str(created_at) of the last row of the previous page. Returns (cursor, page used, expected
    first id); the page is lowered when the data set has fewer rows."""
    from engagements.models import Engagement

    total = estimated_rows().get(Engagement._meta.db_table, 0) or Engagement.objects.count()
    page = max(2, min(page, (total - 1) // page_size))
    rows = list(
        Engagement.objects.order_by("-created_at", "-id").values_list("created_at", "id")[
            (page - 1) * page_size - 1 : (page - 1) * page_size + 1
        ]
    )
    last_of_previous, first_of_page = rows[0], rows[1]
    token = base64.b64encode(urlencode({"p": str(last_of_previous[0])}).encode("ascii")).decode("ascii")
    return quote(token, safe=""), page, str(first_of_page[1])


def fresh_assessments(n: int) -> list[str]:
    """n new draft assessments of random sponsors on the published questionnaire."""
    from assessments import services
    from engagements.models import Sponsor

    sponsors = sample_ids(Sponsor, n, seed=random.randrange(1_000_000))
    by_id = Sponsor.objects.in_bulk(sponsors)
    ids = []
    for sponsor_id in sponsors:
        assessment = services.create_assessment(sponsor=by_id[uuid.UUID(sponsor_id)], title="bench submit")
        ids.append(str(assessment.pk))
    return ids


def reference_answers() -> dict:
    """Complete answers for the latest published questionnaire (v2 also asks where it runs)."""
    from tests.assessments.reference import for_v2, neutral_answers

    return for_v2(neutral_answers())


def make_stale(n: int, *, seed: int) -> list[str]:
    """n submitted assessments whose recommendations are marked as made by an older engine, so
    `rescore_assessments` recomputes each of them (one new snapshot per assessment)."""
    from assessments.models import Assessment, AssessmentStatus, Recommendation

    ids = []
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT id FROM "assessments_assessment" TABLESAMPLE SYSTEM (%s) REPEATABLE (%s) '
            "WHERE status IN ('submitted', 'reviewed') LIMIT %s",
            [
                min(100.0, 100.0 * 3 * n / max(1, estimated_rows().get("assessments_assessment", 1))),
                seed,
                n,
            ],
        )
        ids = [str(row[0]) for row in cursor.fetchall()]
    if len(ids) < n:
        ids = [
            str(pk)
            for pk in Assessment.objects.filter(
                status__in=[AssessmentStatus.SUBMITTED, AssessmentStatus.REVIEWED]
            ).values_list("pk", flat=True)[:n]
        ]
    # Recommendations are immutable through the ORM's save(); a queryset UPDATE is the bench's way
    # of pretending an engine upgrade happened.
    Recommendation.objects.filter(assessment_id__in=ids).update(engine_version="0-bench-stale")
    return ids


def create_due_follow_ups(n: int) -> list[str]:
    """n open follow-ups, never reminded, all due in 2001 (bulk, without history rows)."""
    from engagements.models import FollowUp, FollowUpStatus, Sponsor

    sponsor_ids = sample_ids(Sponsor, min(n, 200), seed=11)
    assignee = superuser()
    rows = [
        FollowUp(
            sponsor_id=sponsor_ids[i % len(sponsor_ids)],
            title=f"bench reminder {i}",
            notes="Created by bench/run.py",
            due_at=REMINDER_EPOCH + timedelta(seconds=i),
            assignee=assignee,
            status=FollowUpStatus.OPEN,
        )
        for i in range(n)
    ]
    FollowUp.objects.bulk_create(rows, batch_size=2000)
    return [str(row.pk) for row in rows]


def delete_bench_follow_ups() -> None:
    """Remove reminder-benchmark follow-ups and their notifications (raw SQL: no history rows)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM core_notification WHERE dedupe_key IN (SELECT 'follow_up_due:' || id::text "
            "FROM engagements_followup WHERE title LIKE 'bench reminder %%' AND due_at < %s)",
            [REMINDER_EPOCH + timedelta(days=365)],
        )
        cursor.execute(
            "DELETE FROM engagements_followup WHERE title LIKE 'bench reminder %%' AND due_at < %s",
            [REMINDER_EPOCH + timedelta(days=365)],
        )


def explain(sql: str) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of an executed statement: index names, sequential scans, time."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        import json

        plan = json.loads(plan)
    root = plan[0]
    indexes: list[str] = []
    seq_scans: list[str] = []
    nodes: list[str] = []

    def walk(node):
        nodes.append(node["Node Type"])
        if node.get("Index Name") and node["Index Name"] not in indexes:
            indexes.append(node["Index Name"])
        if node["Node Type"] == "Seq Scan":
            seq_scans.append(node.get("Relation Name", "?"))
        for child in node.get("Plans", ()):
            walk(child)

    walk(root["Plan"])
    return {
        "indexes": indexes,
        "seq_scans": seq_scans,
        "nodes": nodes,
        "execution_ms": root.get("Execution Time", float("nan")),
        "planning_ms": root.get("Planning Time", float("nan")),
    }


_TABLE = re.compile(r'(?:FROM|JOIN)\s+"([a-z0-9_]+)"', re.IGNORECASE)


def tables_of(sql: str) -> list[str]:
    return list(dict.fromkeys(_TABLE.findall(sql)))


def unbounded_counts(queries: list[dict], large: set[str]) -> list[str]:
    """Captured statements that COUNT over a large table with no LIMIT anywhere in them."""
    found = []
    for query in queries:
        sql = query["sql"]
        upper = sql.upper()
        if "COUNT(" not in upper or " LIMIT " in upper:
            continue
        hit = [t for t in tables_of(sql) if t in large]
        if hit:
            found.append(f"{', '.join(hit)}: {sql[:160]}")
    return found
