"""A realistic demo data set for Sourcewise, and a large one for benchmarks.

Deterministic: the same seed gives the same companies, people and pipeline.
"""

import random
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from core.models import User
from engagements.models import (
    Activity,
    ActivityKind,
    Contact,
    Engagement,
    EngagementProvider,
    FollowUp,
    FollowUpStatus,
    MembershipRole,
    Phase,
    ProviderRole,
    Sponsor,
    SponsorCapability,
    SponsorMembership,
    SponsorProfile,
    SponsorStatus,
    Stage,
    StageTransition,
)
from engagements.pipeline import NEXT_STAGE
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

DEMO_PASSWORD = "sourcewise-demo"  # noqa: S105 - a published demo login for local use only
ACCOUNT_MANAGERS_GROUP = "Account managers"

ACCOUNT_MANAGERS = [
    ("maya.lindqvist@sourcewise.local", "Maya", "Lindqvist"),
    ("tom.okafor@sourcewise.local", "Tom", "Okafor"),
    ("priya.raman@sourcewise.local", "Priya", "Raman"),
]

SPONSOR_STEMS = [
    "Aurora",
    "Bellwether",
    "Cobalt",
    "Driftwood",
    "Ember",
    "Fjord",
    "Granite",
    "Halcyon",
    "Iris",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Meridian",
    "Nimbus",
    "Orchid",
    "Pinnacle",
    "Quartz",
    "Riverbend",
    "Saffron",
    "Tidewater",
    "Umbra",
    "Vantage",
    "Willow",
    "Xylem",
    "Yarrow",
    "Zephyr",
    "Alder",
    "Beacon",
    "Cedar",
    "Delta",
    "Evergreen",
    "Foxglove",
    "Glacier",
    "Harbor",
    "Indigo",
    "Jasper",
]
SPONSOR_SUFFIXES = {
    SponsorProfile.EMERGING_BIOTECH: ["Therapeutics", "Bio", "Biosciences", "Genomics"],
    SponsorProfile.MID_SIZE_PHARMA: ["Pharma", "Pharmaceuticals", "Life Sciences"],
    SponsorProfile.LARGE_PHARMA: ["Pharma Group", "Healthcare", "Pharmaceuticals International"],
    SponsorProfile.MEDICAL_DEVICE: ["Medical", "Devices", "MedTech", "Surgical"],
    SponsorProfile.ACADEMIC_NONPROFIT: [
        "Research Institute",
        "Foundation",
        "University Trials Unit",
    ],
}
CITIES = [
    "Boston, US",
    "San Diego, US",
    "Cambridge, UK",
    "Basel, CH",
    "Copenhagen, DK",
    "Munich, DE",
    "Paris, FR",
    "Leiden, NL",
    "Toronto, CA",
    "Tokyo, JP",
    "Singapore, SG",
    "Dublin, IE",
    "Stockholm, SE",
    "São Paulo, BR",
    "Melbourne, AU",
    "Tel Aviv, IL",
]
FIRST_NAMES = [
    "Anna",
    "Ben",
    "Chloé",
    "David",
    "Elena",
    "Farid",
    "Greta",
    "Hiro",
    "Ines",
    "Jonas",
    "Kara",
    "Luca",
    "Mina",
    "Nils",
    "Olga",
    "Pedro",
    "Rosa",
    "Sami",
    "Tara",
    "Uma",
    "Victor",
    "Wen",
]
LAST_NAMES = [
    "Andersen",
    "Brooks",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Hansen",
    "Ito",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Nakamura",
    "Olsen",
    "Petrov",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Urban",
    "Vogel",
    "Weber",
    "Young",
]
JOB_TITLES = [
    "Head of Clinical Operations",
    "VP Clinical Development",
    "Director, Outsourcing",
    "Chief Medical Officer",
    "Clinical Program Lead",
    "Head of Procurement",
]
PROGRAM_NAMES = [
    "first-in-human",
    "dose-escalation",
    "proof-of-concept",
    "pivotal",
    "extension",
    "registry",
    "pharmacokinetic bridging",
    "long-term safety",
    "pilot",
    "feasibility",
]
PROVIDER_NAMES = {
    ProviderKind.FULL_SERVICE_CRO: [
        "Atlas Clinical Research",
        "Global Trials Partners",
        "Keystone CRO",
        "Northstar Clinical",
        "Pan-Continental Research",
        "Summit Clinical Group",
        "Unity Trials",
        "Vertex Clinical Services",
    ],
    ProviderKind.FSP: [
        "DataWorks FSP",
        "Functional Clinical Resourcing",
        "Flexforce Clinical",
        "StatPro Services",
        "SafetyLine PV",
        "Monitoring Partners",
        "RegPath Solutions",
        "ScaleClinical Teams",
    ],
    ProviderKind.BOUTIQUE_CRO: [
        "Oncology Insight CRO",
        "RareCare Research",
        "NeuroTrial Specialists",
        "VisionClin",
        "Helix Advanced Therapies CRO",
        "Precision Biometrics",
        "Clarity Medical Writing",
        "Evidence Lab RWE",
    ],
}
SPECIALITY_BY_BOUTIQUE = {
    "Oncology Insight CRO": (
        ["oncology"],
        ["clinical_operations", "medical_monitoring", "biostatistics", "medical_writing"],
    ),
    "RareCare Research": (
        ["rare_diseases", "cell_gene_therapy"],
        ["clinical_operations", "regulatory_affairs", "medical_monitoring", "project_management"],
    ),
    "NeuroTrial Specialists": (
        ["neurology"],
        ["clinical_operations", "site_management_monitoring", "medical_monitoring"],
    ),
    "VisionClin": (
        ["ophthalmology"],
        ["clinical_operations", "site_management_monitoring", "clinical_data_management"],
    ),
    "Helix Advanced Therapies CRO": (
        ["cell_gene_therapy", "advanced_therapeutics"],
        ["regulatory_affairs", "clinical_operations", "pharmacovigilance", "medical_monitoring"],
    ),
    "Precision Biometrics": (
        ["oncology", "immunology"],
        [
            "biostatistics",
            "statistical_programming",
            "clinical_data_management",
            "clinical_programming",
        ],
    ),
    "Clarity Medical Writing": (
        ["oncology", "rare_diseases"],
        ["medical_writing", "regulatory_affairs", "medical_affairs"],
    ),
    "Evidence Lab RWE": (
        ["cardiovascular", "metabolic_endocrine"],
        ["real_world_evidence", "biostatistics", "medical_affairs"],
    ),
}
FSP_FUNCTIONS = {
    "DataWorks FSP": [
        "clinical_data_management",
        "clinical_programming",
        "statistical_programming",
    ],
    "Functional Clinical Resourcing": [
        "clinical_operations",
        "site_management_monitoring",
        "project_management",
    ],
    "Flexforce Clinical": [
        "site_management_monitoring",
        "clinical_operations",
        "quality_assurance",
    ],
    "StatPro Services": ["biostatistics", "statistical_programming", "medical_writing"],
    "SafetyLine PV": ["pharmacovigilance", "medical_monitoring", "medical_writing"],
    "Monitoring Partners": [
        "site_management_monitoring",
        "medical_monitoring",
        "quality_assurance",
    ],
    "RegPath Solutions": ["regulatory_affairs", "medical_writing", "quality_assurance"],
    "ScaleClinical Teams": [
        "clinical_data_management",
        "biostatistics",
        "pharmacovigilance",
        "clinical_operations",
    ],
}
CERTIFICATIONS = ["ISO 9001", "ISO 27001", "SOC 2 Type II", "GCP-trained staff", "ISO 14155"]
ACTIVITY_SUBJECTS = {
    ActivityKind.NOTE: [
        "Internal note on budget assumptions",
        "Summary of capability gaps",
        "Competitive landscape notes",
    ],
    ActivityKind.CALL: [
        "Intro call with clinical operations",
        "Follow-up call on scope",
        "Budget clarification call",
    ],
    ActivityKind.MEETING: [
        "Capability presentation",
        "Bid defence meeting",
        "Kick-off workshop",
        "Quarterly governance review",
    ],
    ActivityKind.EMAIL: [
        "Sent assessment invitation",
        "Shared provider shortlist",
        "Sent draft proposal",
        "Answered RFI questions",
    ],
}
# Internal capability (0–3) a sponsor of each profile typically has, by function kind.
CAPABILITY_PROFILE = {
    SponsorProfile.EMERGING_BIOTECH: (0, 1),
    SponsorProfile.MID_SIZE_PHARMA: (1, 3),
    SponsorProfile.LARGE_PHARMA: (2, 3),
    SponsorProfile.MEDICAL_DEVICE: (0, 2),
    SponsorProfile.ACADEMIC_NONPROFIT: (0, 2),
}
STAGE_WEIGHTS = {
    Stage.LEAD: 4,
    Stage.QUALIFICATION: 4,
    Stage.ASSESSMENT: 4,
    Stage.PROPOSAL: 3,
    Stage.NEGOTIATION: 2,
    Stage.WON: 1,
    Stage.ACTIVE: 3,
    Stage.COMPLETED: 2,
    Stage.LOST: 2,
}
PATH_TO = {Stage.LOST: [Stage.LEAD, Stage.QUALIFICATION, Stage.LOST]}


@dataclass
class DemoSummary:
    logins: list[tuple[str, str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _stage_path(stage: str) -> list[str]:
    if stage in PATH_TO:
        return PATH_TO[stage]
    path = [Stage.LEAD]
    while path[-1] != stage:
        path.append(NEXT_STAGE[path[-1]])
    return path


def _user(email: str, first: str, last: str, *, staff: bool = False, superuser: bool = False) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email,
            DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            is_staff=staff,
            is_superuser=superuser,
        )
    return user


class DemoBuilder:
    def __init__(self, *, seed: int = 7):
        self.rng = random.Random(seed)
        self.now = timezone.now()
        self.functions = list(ClinicalFunction.objects.order_by("position"))
        self.areas = list(TherapeuticArea.objects.order_by("position"))
        self.regions = list(Region.objects.order_by("position"))
        self.ai = list(AICapability.objects.order_by("position"))

    @transaction.atomic
    def build(self) -> DemoSummary:
        summary = DemoSummary()
        admin = _user("admin@sourcewise.local", "Ada", "Admin", staff=True, superuser=True)
        summary.logins.append(("admin", admin.email, DEMO_PASSWORD))
        group = Group.objects.get(name=ACCOUNT_MANAGERS_GROUP)
        managers = []
        for email, first, last in ACCOUNT_MANAGERS:
            manager = _user(email, first, last, staff=True)
            manager.groups.add(group)
            managers.append(manager)
            summary.logins.append(("account manager", email, DEMO_PASSWORD))
        if Sponsor.objects.exists():
            summary.counts = self._counts()
            return summary  # already seeded: keep what people have changed since
        providers = self._providers()
        for index, profile in enumerate(self._profiles()):
            sponsor = self._sponsor(index, profile, managers)
            self._engagements(sponsor, providers, managers)
        self._assessments(managers)
        for sponsor in Sponsor.objects.order_by("name")[:4]:
            contact = sponsor.contacts.order_by("last_name").first()
            member = _user(contact.email, contact.first_name, contact.last_name)
            SponsorMembership.objects.get_or_create(
                user=member, sponsor=sponsor, defaults={"role": MembershipRole.ADMIN}
            )
            summary.logins.append((f"portal member of {sponsor.name}", member.email, DEMO_PASSWORD))
        summary.counts = self._counts()
        return summary

    def _assessments(self, managers: list[User]) -> None:
        """Assessments at every step: a few sent, some in progress, most submitted or reviewed."""
        from assessments import services as assessment_services

        sponsors = list(
            Sponsor.objects.order_by("name").prefetch_related("capabilities", "therapeutic_areas", "regions")
        )
        steps = ["submitted", "reviewed", "submitted", "in_progress", "sent", "submitted", "reviewed"]
        for index, sponsor in enumerate(sponsors[:21]):
            step = steps[index % len(steps)]
            engagement = sponsor.engagements.order_by("created_at").first()
            assessment = assessment_services.create_assessment(
                sponsor=sponsor,
                engagement=engagement,
                due_date=(self.now + timedelta(days=self.rng.randint(-5, 20))).date(),
                by=sponsor.owner,
            )
            assessment_services.send_assessment(assessment=assessment, by=sponsor.owner)
            if step == "sent":
                continue
            answers = demo_answers(sponsor, self.rng)
            if step == "in_progress":
                answers = dict(list(answers.items())[:9])
            assessment_services.save_answers(assessment=assessment, answers=answers, by=sponsor.owner)
            if step == "in_progress":
                continue
            assessment_services.submit_assessment(assessment=assessment, by=sponsor.owner)
            if step == "reviewed":
                assessment_services.review_assessment(
                    assessment=assessment, by=sponsor.owner, comment="Walked the sponsor through the plan."
                )

    def _counts(self) -> dict[str, int]:
        from assessments.models import Assessment

        return {
            "assessments": Assessment.objects.count(),
            "providers": Provider.objects.count(),
            "sponsors": Sponsor.objects.count(),
            "engagements": Engagement.objects.count(),
            "activities": Activity.objects.count(),
            "follow-ups": FollowUp.objects.count(),
        }

    def _profiles(self) -> list[str]:
        counts = {
            SponsorProfile.EMERGING_BIOTECH: 9,
            SponsorProfile.MID_SIZE_PHARMA: 7,
            SponsorProfile.LARGE_PHARMA: 6,
            SponsorProfile.MEDICAL_DEVICE: 7,
            SponsorProfile.ACADEMIC_NONPROFIT: 7,
        }
        return [profile for profile, n in counts.items() for _ in range(n)]

    def _providers(self) -> list[Provider]:
        rng = self.rng
        by_code = {f.code: f for f in self.functions}
        area_by_code = {a.code: a for a in self.areas}
        providers = []
        for kind, names in PROVIDER_NAMES.items():
            for name in names:
                if kind == ProviderKind.FULL_SERVICE_CRO:
                    functions = {f.code: rng.randint(3, 5) for f in self.functions}
                    regions = self.regions if rng.random() < 0.7 else rng.sample(self.regions, 3)
                    ai = rng.sample(self.ai, rng.randint(2, 6))
                    models = [OutsourcingModel.FULL_SERVICE, OutsourcingModel.HYBRID]
                    if rng.random() < 0.5:
                        models.append(OutsourcingModel.FSP)
                    senior, capacity = rng.randint(2, 3), (80, 400)
                    areas = {a.code: rng.randint(2, 4) for a in rng.sample(self.areas, 8)}
                elif kind == ProviderKind.FSP:
                    functions = {code: rng.randint(4, 5) for code in FSP_FUNCTIONS[name]}
                    regions = rng.sample(self.regions, rng.randint(2, 5))
                    ai = rng.sample(self.ai, rng.randint(1, 4))
                    models = [OutsourcingModel.FSP, OutsourcingModel.HYBRID]
                    senior, capacity = rng.randint(2, 4), (30, 200)
                    areas = {a.code: rng.randint(2, 4) for a in rng.sample(self.areas, 4)}
                else:
                    area_codes, function_codes = SPECIALITY_BY_BOUTIQUE[name]
                    functions = {code: rng.randint(4, 5) for code in function_codes}
                    regions = rng.sample(self.regions, rng.randint(1, 2))
                    ai = rng.sample(self.ai, rng.randint(1, 3))
                    models = [OutsourcingModel.HYBRID, OutsourcingModel.FSP]
                    senior, capacity = 5, (5, 40)
                    areas = dict.fromkeys(area_codes, 5)
                provider = Provider.objects.create(
                    name=name,
                    kind=kind,
                    description=f"{ProviderKind(kind).label} headquartered in {rng.choice(CITIES)}.",
                    headquarters=rng.choice(CITIES),
                    website=f"https://{name.lower().replace(' ', '-')}.example",
                    senior_access=senior,
                    data_governance_maturity=rng.randint(2, 5),
                    certifications=rng.sample(CERTIFICATIONS, rng.randint(1, 3)),
                    engagement_models=models,
                )
                provider.regions.set(regions)
                provider.ai_capabilities.set(ai)
                Capability.objects.bulk_create(
                    Capability(
                        provider=provider,
                        function=by_code[code],
                        depth=depth,
                        capacity_fte=rng.randint(*capacity),
                    )
                    for code, depth in functions.items()
                )
                TherapeuticExpertise.objects.bulk_create(
                    TherapeuticExpertise(provider=provider, therapeutic_area=area_by_code[code], depth=depth)
                    for code, depth in areas.items()
                )
                providers.append(provider)
        return providers

    def _sponsor(self, index: int, profile: str, managers: list[User]) -> Sponsor:
        rng = self.rng
        name = f"{SPONSOR_STEMS[index % len(SPONSOR_STEMS)]} {rng.choice(SPONSOR_SUFFIXES[profile])}"
        sponsor = Sponsor.objects.create(
            name=name,
            profile=profile,
            status=rng.choice(
                [
                    SponsorStatus.PROSPECT,
                    SponsorStatus.CLIENT,
                    SponsorStatus.CLIENT,
                    SponsorStatus.DORMANT,
                ]
            ),
            owner=managers[index % len(managers)],
            headquarters=rng.choice(CITIES),
            website=f"https://{name.split()[0].lower()}.example",
            notes=f"{SponsorProfile(profile).label} sponsor; introduced at a partnering event.",
        )
        sponsor.therapeutic_areas.set(rng.sample(self.areas, rng.randint(1, 3)))
        sponsor.regions.set(rng.sample(self.regions, rng.randint(1, 4)))
        low, high = CAPABILITY_PROFILE[profile]
        SponsorCapability.objects.bulk_create(
            SponsorCapability(sponsor=sponsor, function=f, level=rng.randint(low, high))
            for f in self.functions
        )
        domain = f"{name.split()[0].lower()}.example"
        used = set()
        for position in range(rng.randint(1, 3)):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{first.lower()}.{last.lower()}@{domain}"
            if email in used:
                continue
            used.add(email)
            Contact.objects.create(
                sponsor=sponsor,
                first_name=first,
                last_name=last,
                email=email,
                phone=f"+1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                job_title=rng.choice(JOB_TITLES),
                is_primary=position == 0,
            )
        return sponsor

    def _engagements(self, sponsor: Sponsor, providers: list[Provider], managers: list[User]) -> None:
        rng = self.rng
        stages, weights = zip(*STAGE_WEIGHTS.items(), strict=True)
        areas = list(sponsor.therapeutic_areas.all())
        for _ in range(rng.randint(1, 4)):
            stage = rng.choices(stages, weights)[0]
            path = _stage_path(stage)
            started = self.now - timedelta(days=rng.randint(20, 400))
            area = rng.choice(areas)
            engagement = Engagement.objects.create(
                sponsor=sponsor,
                name=f"{area.name} {rng.choice(PROGRAM_NAMES)} study",
                description="Outsourcing support for the sponsor's next study.",
                stage=stage,
                stage_entered_at=started,
                last_activity_at=started,
                phase=rng.choice(Phase.values),
                therapeutic_area=area,
                outsourcing_model=rng.choice(OutsourcingModel.values)
                if stage in (Stage.WON, Stage.ACTIVE, Stage.COMPLETED, Stage.NEGOTIATION)
                else "",
                value=Decimal(rng.randrange(150_000, 25_000_000, 50_000)),
                probability={
                    Stage.WON: 100,
                    Stage.ACTIVE: 100,
                    Stage.COMPLETED: 100,
                    Stage.LOST: 0,
                }.get(stage, rng.choice([10, 25, 40, 60, 75])),
                expected_close_date=(self.now + timedelta(days=rng.randint(-30, 180))).date(),
                owner=sponsor.owner if rng.random() < 0.85 else rng.choice(managers),
            )
            engagement.regions.set(rng.sample(self.regions, rng.randint(1, 3)))
            engagement.functions.set(rng.sample(self.functions, rng.randint(2, 8)))
            # Stage history: spread the path over the time since the engagement started.
            step = (self.now - started) / (len(path) + 1)
            transitions = [
                StageTransition(
                    engagement=engagement,
                    from_stage=previous,
                    to_stage=current,
                    by=engagement.owner,
                    at=started + step * index * rng.uniform(0.8, 1.0),
                )
                for index, (previous, current) in enumerate(zip(["", *path[:-1]], path, strict=True))
            ]
            StageTransition.objects.bulk_create(transitions)
            last_at = transitions[-1].at
            for provider in rng.sample(providers, rng.randint(0, 3)):
                EngagementProvider.objects.create(
                    engagement=engagement, provider=provider, role=rng.choice(ProviderRole.values)
                )
            activities = []
            for _ in range(rng.randint(2, 8)):
                kind = rng.choice(ActivityKind.values)
                occurred = started + timedelta(
                    seconds=rng.randint(0, max(1, int((self.now - started).total_seconds())))
                )
                activities.append(
                    Activity(
                        engagement=engagement,
                        kind=kind,
                        subject=rng.choice(ACTIVITY_SUBJECTS[kind]),
                        body="Discussed scope, timelines and the sponsor's in-house capacity.",
                        occurred_at=occurred,
                        by=engagement.owner,
                    )
                )
            Activity.objects.bulk_create(activities)
            latest = max([last_at, *(a.occurred_at for a in activities)])
            Engagement.objects.filter(pk=engagement.pk).update(
                stage_entered_at=last_at, last_activity_at=latest
            )
            for _ in range(rng.randint(0, 2)):
                due = self.now + timedelta(days=rng.randint(-10, 21), hours=rng.randint(0, 8))
                done = rng.random() < 0.3
                FollowUp.objects.create(
                    sponsor=sponsor,
                    engagement=engagement,
                    assignee=engagement.owner,
                    created_by=engagement.owner,
                    title=rng.choice(
                        [
                            "Chase signed CDA",
                            "Send revised budget",
                            "Book capability call",
                            "Check assessment progress",
                            "Prepare bid defence deck",
                        ]
                    ),
                    due_at=due,
                    status=FollowUpStatus.DONE if done else FollowUpStatus.OPEN,
                    completed_at=due if done else None,
                )


def demo_answers(sponsor: Sponsor, rng: random.Random) -> dict:
    """Answers a sponsor of this profile would plausibly give, consistent with its capabilities."""
    levels = {c.function_id: c.level for c in sponsor.capabilities.all()}
    profile = sponsor.profile
    big = profile in (SponsorProfile.LARGE_PHARMA, SponsorProfile.MID_SIZE_PHARMA)
    mean = sum(levels.values()) / max(1, len(levels))
    weak = [code for code, level in levels.items() if level <= 1]
    scope = "entire_program" if mean < 0.8 else "specific_functions" if mean > 2.2 else "multiple_functions"
    answers = {
        "sponsor_profile": profile,
        "internal_capabilities": levels,
        "clinical_leadership": min(5, max(1, round(1 + mean * 1.3 + rng.choice([-1, 0, 1])))),
        "oversight_capacity": min(5, max(1, round(1 + mean * 1.2 + rng.choice([-1, 0, 0, 1])))),
        "outsourcing_scope": scope,
        "geographic_footprint": rng.choice(
            ["global", "multi_region"] if big else ["single_country", "single_region", "multi_region"]
        ),
        "timeline_pressure": rng.randint(2, 5),
        "portfolio_growth": rng.choice(["stable", "growing", "rapid"]),
        "resource_variability": rng.randint(1, 5),
        "strategic_control": rng.randint(3, 5) if big else rng.randint(1, 3),
        "flexibility_importance": rng.randint(2, 5),
        "end_to_end_accountability": rng.randint(1, 3) if big else rng.randint(3, 5),
        "partnership_level": rng.choice(["transactional", "collaborative", "strategic"]),
        "senior_support": rng.randint(2, 5),
        "budget_flexibility": rng.randint(1, 4),
        "therapeutic_areas": [a.code for a in sponsor.therapeutic_areas.all()],
        "therapeutic_complexity": rng.randint(2, 5),
        "ai_maturity_required": rng.randint(1, 5),
        "sponsor_ai_platform": big and rng.random() < 0.6,
        "data_governance_maturity": rng.randint(3, 5) if big else rng.randint(1, 3),
    }
    if scope != "entire_program":
        answers["functions_to_outsource"] = weak or rng.sample(sorted(levels), 2)
    if answers["ai_maturity_required"] >= 2:
        answers["ai_capabilities_needed"] = rng.sample(
            [
                "ai_data_review",
                "risk_based_monitoring",
                "predictive_analytics",
                "automated_quality_checks",
                "regulatory_intelligence",
                "clinical_data_visualization",
            ],
            rng.randint(1, 3),
        )
    # Questionnaire v2 also asks which functions an entire program covers, and where it runs.
    if scope == "entire_program":
        answers["functions_to_outsource"] = weak or sorted(levels)
    if answers["geographic_footprint"] != "global":
        answers["program_regions"] = _program_regions(sponsor, answers["geographic_footprint"])
    return answers


def _program_regions(sponsor: Sponsor, footprint: str) -> list[str]:
    """The sponsor's own regions, as many as the footprint says (two for several regions)."""
    regions = [region.code for region in sponsor.regions.all()]
    if footprint != "multi_region":
        return regions[:1] or ["europe"]
    if len(regions) >= 2:
        return regions
    return (regions + [code for code in ("north_america", "europe") if code not in regions])[:2]
