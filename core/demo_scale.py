"""A large synthetic data set for benchmarks: `load_demo_data --scale F` (1.0 = full scale).

At full scale: 20,000 sponsors, 1,000,000 engagements, 3,000,000 activities, 500,000 follow-ups,
2,000 providers with capabilities and 100,000 submitted assessments with their answers and
recommendations. Rows are streamed with COPY on PostgreSQL (executemany
elsewhere) and skip per-object history on purpose: this is load-test data, not business records.
"""

import contextlib
import json
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from core.demo import (
    ACTIVITY_SUBJECTS,
    CITIES,
    DEMO_PASSWORD,
    FIRST_NAMES,
    LAST_NAMES,
    PROGRAM_NAMES,
    SPONSOR_STEMS,
    SPONSOR_SUFFIXES,
)
from core.models import User
from engagements.models import (
    Activity,
    ActivityKind,
    Contact,
    Engagement,
    FollowUp,
    FollowUpStatus,
    Phase,
    Sponsor,
    SponsorCapability,
    SponsorProfile,
    SponsorStatus,
    Stage,
    StageTransition,
)
from engagements.pipeline import ALLOWED_TRANSITIONS
from providers.models import (
    AICapability,
    Capability,
    ClinicalFunction,
    OutsourcingModel,
    Provider,
    ProviderKind,
    Region,
    TherapeuticArea,
    TherapeuticExpertise,
)

FULL_SCALE = {
    "sponsors": 20_000,
    "engagements": 1_000_000,
    "activities": 3_000_000,
    "follow_ups": 500_000,
    "providers": 2_000,
    "assessments": 100_000,
}
ARCHETYPES = 40  # distinct answer sets; each is scored for real once and shared by many sponsors


@dataclass(frozen=True)
class ScalePlan:
    sponsors: int
    engagements: int
    activities: int
    follow_ups: int
    providers: int
    assessments: int
    account_managers: int

    @classmethod
    def at(cls, scale: float) -> "ScalePlan":
        sizes = {name: max(1, round(n * scale)) for name, n in FULL_SCALE.items()}
        return cls(**sizes, account_managers=max(2, sizes["sponsors"] // 100))


class RowWriter:
    """Streams rows into a table: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self, batch: int = 5_000):
        self.batch = batch
        self.counts: dict[str, int] = {}

    def write(self, model_or_table, columns: list[str], rows: Iterable[tuple]) -> int:
        table = model_or_table if isinstance(model_or_table, str) else model_or_table._meta.db_table
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        written = 0
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(
                    f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN"
                ) as copy:
                    for row in rows:
                        copy.write_row(row)
                        written += 1
            else:
                placeholders = ", ".join(["%s"] * len(columns))
                # Table and column names come from model metadata, never from input.
                sql = f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) VALUES ({placeholders})"  # noqa: S608
                chunk: list[tuple] = []
                for row in rows:
                    chunk.append(tuple(_adapt(value) for value in row))
                    if len(chunk) >= self.batch:
                        cursor.executemany(sql, chunk)
                        written += len(chunk)
                        chunk = []
                if chunk:
                    cursor.executemany(sql, chunk)
                    written += len(chunk)
        self.counts[table] = self.counts.get(table, 0) + written
        return written


def _adapt(value):
    """Python values as Django stores them outside PostgreSQL (COPY adapts them itself)."""
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, Decimal):
        return str(value)
    return value


def _through(model, field: str):
    return model._meta.get_field(field).remote_field.through._meta.db_table


# django-pghistory's event triggers: their functions write the pghistory context into event rows.
AUDIT_TRIGGERS_SQL = """
    SELECT quote_ident(c.relname), quote_ident(t.tgname)
    FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid
    JOIN pg_proc p ON p.oid = t.tgfoid
    WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace
      AND p.prosrc LIKE '%pghistory.context_id%'
"""


def _check_deferred_constraints(cursor) -> None:
    """ALTER TABLE refuses while deferred foreign-key checks are pending: run them now."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


class ScaleBuilder:
    def __init__(self, *, scale: float, seed: int = 11, progress: Callable[[str], None] = print):
        self.plan = ScalePlan.at(scale)
        self.rng = random.Random(seed)
        self.now = timezone.now()
        self.progress = progress
        self.writer = RowWriter()
        self.functions = list(ClinicalFunction.objects.values_list("code", flat=True))
        self.areas = list(TherapeuticArea.objects.values_list("code", flat=True))
        self.regions = list(Region.objects.values_list("code", flat=True))
        self.ai = list(AICapability.objects.values_list("code", flat=True))
        self.run_tag = uuid.uuid4().hex[:6]

    def _step(self, label: str, fn: Callable[[], int]) -> None:
        started = time.perf_counter()
        written = fn()
        self.progress(f"  {label:<28} {written:>10,} rows  {time.perf_counter() - started:6.1f} s")

    def _uuids(self, n: int) -> list[uuid.UUID]:
        return [self._uuid() for _ in range(n)]

    def _uuid(self) -> uuid.UUID:
        # Seeded, so the same scale and seed give the same identifiers.
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _past(self, max_days: int) -> datetime:
        return self.now - timedelta(seconds=self.rng.randint(3600, max_days * 86400))

    @transaction.atomic
    def build(self) -> dict[str, int]:
        with self._audit_triggers_off():
            return self._build()

    @contextlib.contextmanager
    def _audit_triggers_off(self):
        """Synthetic rows are not anyone's changes: the audit triggers (django-pghistory) are switched
        off for the load and on again before it commits. Inside the one transaction of `build`, so
        no other session ever sees them off (ALTER TABLE holds its lock until the commit), and a
        failed load rolls the switch back with the rows. Without this, writing an audit event (and
        checking its foreign keys) for each of millions of rows would make the load take hours."""
        if connection.vendor != "postgresql":
            yield
            return
        with connection.cursor() as cursor:
            _check_deferred_constraints(cursor)
            cursor.execute(AUDIT_TRIGGERS_SQL)
            triggers = cursor.fetchall()
            for table, trigger in triggers:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        yield
        with connection.cursor() as cursor:
            _check_deferred_constraints(cursor)
            for table, trigger in triggers:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")

    def _build(self) -> dict[str, int]:
        plan = self.plan
        self.managers = self._managers(plan.account_managers)
        self.sponsor_ids = self._uuids(plan.sponsors)
        self.provider_ids = self._uuids(plan.providers)
        self.engagement_ids = self._uuids(plan.engagements)
        self._step("sponsors", self._sponsors)
        self._step("sponsor capabilities", self._sponsor_capabilities)
        self._step("sponsor areas and regions", self._sponsor_links)
        self._step("contacts", self._contacts)
        self._step("providers", self._providers)
        self._step("capabilities and expertise", self._provider_capabilities)
        self._step("engagements", self._engagements)
        self._step("stage transitions", self._transitions)
        self._step("engagement regions, functions", self._engagement_links)
        self._step("activities", self._activities)
        self._step("follow-ups", self._follow_ups)
        self._step("submitted assessments", self._assessments)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        return self.writer.counts

    def _managers(self, n: int) -> list[int]:
        password = make_password(DEMO_PASSWORD)
        users = [
            User(
                email=f"am{i}.{self.run_tag}@scale.sourcewise.local",
                first_name="Account",
                last_name=f"Manager {i}",
                is_staff=True,
                password=password,
            )
            for i in range(n)
        ]
        User.objects.bulk_create(users, batch_size=1000)
        return list(
            User.objects.filter(email__endswith=f".{self.run_tag}@scale.sourcewise.local").values_list(
                "pk", flat=True
            )
        )

    def _sponsors(self) -> int:
        rng = self.rng
        profiles = SponsorProfile.values
        statuses = SponsorStatus.values

        def rows() -> Iterator[tuple]:
            for index, sponsor_id in enumerate(self.sponsor_ids):
                profile = profiles[index % len(profiles)]
                stem, suffix = (
                    SPONSOR_STEMS[index % len(SPONSOR_STEMS)],
                    rng.choice(SPONSOR_SUFFIXES[profile]),
                )
                name = f"{stem} {suffix} {self.run_tag}-{index}"
                created = self._past(1500)
                yield (
                    sponsor_id,
                    name,
                    profile,
                    rng.choice(statuses),
                    self.managers[index % len(self.managers)],
                    rng.choice(CITIES),
                    "",
                    "",
                    False,
                    created,
                    created,
                )

        return self.writer.write(
            Sponsor,
            [
                "id",
                "name",
                "profile",
                "status",
                "owner_id",
                "headquarters",
                "website",
                "notes",
                "require_two_factor",
                "created_at",
                "updated_at",
            ],
            rows(),
        )

    def _sponsor_capabilities(self) -> int:
        rng = self.rng
        rows = ((sid, code, rng.randint(0, 3)) for sid in self.sponsor_ids for code in self.functions)
        return self.writer.write(SponsorCapability, ["sponsor_id", "function_id", "level"], rows)

    def _sponsor_links(self) -> int:
        rng = self.rng
        written = self.writer.write(
            _through(Sponsor, "therapeutic_areas"),
            ["sponsor_id", "therapeuticarea_id"],
            ((sid, code) for sid in self.sponsor_ids for code in rng.sample(self.areas, rng.randint(1, 2))),
        )
        return written + self.writer.write(
            _through(Sponsor, "regions"),
            ["sponsor_id", "region_id"],
            ((sid, code) for sid in self.sponsor_ids for code in rng.sample(self.regions, rng.randint(1, 3))),
        )

    def _contacts(self) -> int:
        rng = self.rng

        def rows():
            for index, (sid, cid) in enumerate(
                zip(self.sponsor_ids, self._uuids(len(self.sponsor_ids)), strict=True)
            ):
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                yield (
                    cid,
                    sid,
                    first,
                    last,
                    f"{first.lower()}.{last.lower()}.{index}@sponsor{index}.example",
                    "",
                    "Head of Clinical Operations",
                    True,
                    True,
                    self._past(900),
                )

        return self.writer.write(
            Contact,
            [
                "id",
                "sponsor_id",
                "first_name",
                "last_name",
                "email",
                "phone",
                "job_title",
                "is_primary",
                "receives_reminders",
                "created_at",
            ],
            rows(),
        )

    def _providers(self) -> int:
        rng, kinds = self.rng, ProviderKind.values

        def rows():
            for index, pid in enumerate(self.provider_ids):
                kind = kinds[index % len(kinds)]
                models = {
                    ProviderKind.FULL_SERVICE_CRO: [OutsourcingModel.FULL_SERVICE, OutsourcingModel.HYBRID],
                    ProviderKind.FSP: [OutsourcingModel.FSP, OutsourcingModel.HYBRID],
                    ProviderKind.BOUTIQUE_CRO: [OutsourcingModel.HYBRID, OutsourcingModel.FSP],
                }[kind]
                yield (
                    pid,
                    f"Scale provider {self.run_tag}-{index}",
                    kind,
                    "",
                    rng.choice(CITIES),
                    "",
                    rng.randint(1, 5),
                    rng.randint(1, 5),
                    json.dumps(["ISO 9001"]),
                    json.dumps([str(m) for m in models]),
                    True,
                    self.now,
                    self.now,
                )

        written = self.writer.write(
            Provider,
            [
                "id",
                "name",
                "kind",
                "description",
                "headquarters",
                "website",
                "senior_access",
                "data_governance_maturity",
                "certifications",
                "engagement_models",
                "is_active",
                "created_at",
                "updated_at",
            ],
            rows(),
        )
        self.writer.write(
            _through(Provider, "regions"),
            ["provider_id", "region_id"],
            ((pid, r) for pid in self.provider_ids for r in rng.sample(self.regions, rng.randint(1, 5))),
        )
        self.writer.write(
            _through(Provider, "ai_capabilities"),
            ["provider_id", "aicapability_id"],
            ((pid, a) for pid in self.provider_ids for a in rng.sample(self.ai, rng.randint(0, 4))),
        )
        return written

    def _provider_capabilities(self) -> int:
        rng = self.rng
        caps = [
            (pid, code)
            for pid in self.provider_ids
            for code in rng.sample(self.functions, rng.randint(3, 10))
        ]
        written = self.writer.write(
            Capability,
            ["id", "provider_id", "function_id", "depth", "capacity_fte", "notes"],
            (
                (cid, pid, code, rng.randint(1, 5), rng.randint(2, 300), "")
                for cid, (pid, code) in zip(self._uuids(len(caps)), caps, strict=True)
            ),
        )
        expertise = [
            (pid, code) for pid in self.provider_ids for code in rng.sample(self.areas, rng.randint(1, 4))
        ]
        return written + self.writer.write(
            TherapeuticExpertise,
            ["id", "provider_id", "therapeutic_area_id", "depth"],
            (
                (eid, pid, code, rng.randint(1, 5))
                for eid, (pid, code) in zip(self._uuids(len(expertise)), expertise, strict=True)
            ),
        )

    def _engagements(self) -> int:
        rng = self.rng
        stages = Stage.values
        weights = [4, 4, 4, 3, 2, 1, 3, 2, 2]
        phases = Phase.values
        models = ["", *OutsourcingModel.values]
        self.engagement_meta: list[tuple[str, object, datetime, uuid.UUID]] = []

        def rows():
            sponsor_count = len(self.sponsor_ids)
            for index, eid in enumerate(self.engagement_ids):
                sponsor_index = rng.randrange(sponsor_count)
                stage = rng.choices(stages, weights)[0]
                created = self._past(1200)
                entered = created + (self.now - created) * rng.random()
                owner = self.managers[sponsor_index % len(self.managers)]
                self.engagement_meta.append((stage, owner, entered, self.sponsor_ids[sponsor_index]))
                yield (
                    eid,
                    self.sponsor_ids[sponsor_index],
                    f"{rng.choice(self.areas)} {rng.choice(PROGRAM_NAMES)} study {index}",
                    "",
                    stage,
                    entered,
                    entered,
                    rng.choice(models),
                    rng.choice(phases),
                    rng.choice(self.areas),
                    Decimal(rng.randrange(100_000, 30_000_000, 10_000)),
                    "EUR",
                    rng.choice([10, 25, 50, 75, 100]),
                    None,
                    None,
                    None,
                    owner,
                    created,
                    entered,
                )

        return self.writer.write(
            Engagement,
            [
                "id",
                "sponsor_id",
                "name",
                "description",
                "stage",
                "stage_entered_at",
                "last_activity_at",
                "outsourcing_model",
                "phase",
                "therapeutic_area_id",
                "value",
                "currency",
                "probability",
                "expected_close_date",
                "start_date",
                "end_date",
                "owner_id",
                "created_at",
                "updated_at",
            ],
            rows(),
        )

    def _transitions(self) -> int:
        previous = {
            stage: next((s for s, allowed in ALLOWED_TRANSITIONS.items() if stage in allowed), "")
            for stage in Stage.values
        }
        previous[Stage.LEAD] = ""
        rows = (
            (eid, previous[stage], stage, owner, entered, "")
            for eid, (stage, owner, entered, _) in zip(self.engagement_ids, self.engagement_meta, strict=True)
        )
        return self.writer.write(
            StageTransition, ["engagement_id", "from_stage", "to_stage", "by_id", "at", "note"], rows
        )

    def _engagement_links(self) -> int:
        rng = self.rng
        written = self.writer.write(
            _through(Engagement, "regions"),
            ["engagement_id", "region_id"],
            ((eid, rng.choice(self.regions)) for eid in self.engagement_ids),
        )
        return written + self.writer.write(
            _through(Engagement, "functions"),
            ["engagement_id", "clinicalfunction_id"],
            ((eid, code) for eid in self.engagement_ids for code in rng.sample(self.functions, 2)),
        )

    def _activities(self) -> int:
        rng, kinds = self.rng, ActivityKind.values
        total, count = self.plan.activities, len(self.engagement_ids)
        subjects = {kind: ACTIVITY_SUBJECTS[kind] for kind in kinds}

        def rows():
            for i in range(total):
                index = i % count
                kind = kinds[i % len(kinds)]
                occurred = self._past(900)
                yield (
                    self._uuid(),
                    self.engagement_ids[index],
                    kind,
                    rng.choice(subjects[kind]),
                    "",
                    occurred,
                    self.engagement_meta[index][1],
                    occurred,
                )

        return self.writer.write(
            Activity,
            ["id", "engagement_id", "kind", "subject", "body", "occurred_at", "by_id", "created_at"],
            rows(),
        )

    def _follow_ups(self) -> int:
        rng = self.rng
        count = len(self.engagement_ids)

        def rows():
            for i in range(self.plan.follow_ups):
                index = rng.randrange(count)
                status = FollowUpStatus.OPEN if rng.random() < 0.6 else FollowUpStatus.DONE
                due = self.now + timedelta(hours=rng.randint(-24 * 60, 24 * 30))
                # Written up to three months before it falls due (and before now), to the second.
                created = min(due, self.now) - timedelta(seconds=rng.randint(3600, 90 * 86400))
                yield (
                    self._uuid(),
                    self.engagement_meta[index][3],
                    self.engagement_ids[index],
                    f"Follow-up {i}",
                    "",
                    due,
                    self.engagement_meta[index][1],
                    status,
                    None,
                    due if status != FollowUpStatus.OPEN else None,
                    "",
                    None,
                    created,
                )

        return self.writer.write(
            FollowUp,
            [
                "id",
                "sponsor_id",
                "engagement_id",
                "title",
                "notes",
                "due_at",
                "assignee_id",
                "status",
                "reminded_at",
                "completed_at",
                "rule",
                "created_by_id",
                "created_at",
            ],
            rows(),
        )

    def _archetypes(self, config) -> list[dict]:
        """Answer sets drawn at random from the questionnaire, each complete and valid."""
        rng = self.rng
        sets = []
        for _ in range(ARCHETYPES):
            answers = {}
            for question in config.questions:
                if question.kind == "scale":
                    answers[question.code] = rng.randint(1, 5)
                elif question.kind == "single":
                    answers[question.code] = rng.choice(question.choices)
                elif question.kind == "multi":
                    answers[question.code] = sorted(
                        rng.sample(question.choices, rng.randint(1, min(4, len(question.choices)))),
                        key=question.choices.index,
                    )
                elif question.kind == "boolean":
                    answers[question.code] = rng.random() < 0.5
                elif question.kind == "matrix":
                    answers[question.code] = {choice: rng.randint(0, 3) for choice in question.choices}
            sets.append(answers)
        return sets

    def _assessments(self) -> int:
        from assessments import selectors as assessment_selectors
        from assessments.engine import SponsorContext, recommend
        from assessments.models import Answer, Assessment, Question, Recommendation

        questionnaire = assessment_selectors.latest_published_questionnaire()
        config = assessment_selectors.engine_config(questionnaire)
        question_ids = dict(Question.objects.filter(questionnaire=questionnaire).values_list("code", "pk"))
        profiles = assessment_selectors.provider_profiles()
        fingerprint = assessment_selectors.catalog_fingerprint(profiles)
        context = SponsorContext(
            regions=("europe", "north_america"), all_regions=tuple(self.regions), names={}
        )
        archetypes = []
        for answers in self._archetypes(config):
            snapshot = recommend(config, answers, context=context, providers=profiles).snapshot()
            archetypes.append(
                (answers, snapshot, {key: json.dumps(value) for key, value in snapshot.items()})
            )
        total = self.plan.assessments
        self.assessment_rows = []
        rng = self.rng

        def assessment_rows():
            for index in range(total):
                assessment_id = self._uuid()
                submitted = self._past(700)
                reviewed = rng.random() < 0.5
                self.assessment_rows.append((assessment_id, index % ARCHETYPES, submitted))
                yield (
                    assessment_id,
                    self.sponsor_ids[index % len(self.sponsor_ids)],
                    None,
                    questionnaire.pk,
                    f"Outsourcing model assessment {index}",
                    "reviewed" if reviewed else "submitted",
                    None,
                    submitted - timedelta(days=10),
                    None,
                    submitted - timedelta(days=9),
                    submitted,
                    None,
                    "api",
                    submitted + timedelta(days=2) if reviewed else None,
                    None,
                    "",
                    None,
                    submitted - timedelta(days=10),
                    submitted,
                )

        written = self.writer.write(
            Assessment,
            [
                "id",
                "sponsor_id",
                "engagement_id",
                "questionnaire_id",
                "title",
                "status",
                "due_date",
                "sent_at",
                "sent_by_id",
                "started_at",
                "submitted_at",
                "submitted_by_id",
                "submitted_via",
                "reviewed_at",
                "reviewed_by_id",
                "review_comment",
                "created_by_id",
                "created_at",
                "updated_at",
            ],
            assessment_rows(),
        )
        encoded = [
            {code: json.dumps(value) for code, value in answers.items()} for answers, _, _ in archetypes
        ]
        written += self.writer.write(
            Answer,
            ["id", "assessment_id", "question_id", "value", "answered_by_id", "answered_via", "answered_at"],
            (
                (self._uuid(), assessment_id, question_ids[code], value, None, "api", submitted)
                for assessment_id, archetype, submitted in self.assessment_rows
                for code, value in encoded[archetype].items()
            ),
        )
        inputs = [
            json.dumps({"answers": answers, "sponsor_regions": list(context.regions)})
            for answers, _, _ in archetypes
        ]

        def recommendation_rows():
            for assessment_id, archetype, submitted in self.assessment_rows:
                _, snapshot, text = archetypes[archetype]
                yield (
                    self._uuid(),
                    assessment_id,
                    snapshot["engine_version"],
                    str(questionnaire),
                    snapshot["model"],
                    text["scores"],
                    snapshot["confidence"],
                    snapshot["confidence_label"],
                    text["drivers"],
                    text["function_plan"],
                    text["boutique_fit"],
                    text["ai_readiness"],
                    text["shortlist"],
                    inputs[archetype],
                    fingerprint,
                    submitted,
                    None,
                )

        written += self.writer.write(
            Recommendation,
            [
                "id",
                "assessment_id",
                "engine_version",
                "questionnaire_version",
                "model",
                "scores",
                "confidence",
                "confidence_label",
                "drivers",
                "function_plan",
                "boutique_fit",
                "ai_readiness",
                "shortlist",
                "inputs",
                "provider_catalog_fingerprint",
                "created_at",
                "created_by_id",
            ],
            recommendation_rows(),
        )
        return written
