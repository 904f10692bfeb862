from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from core.models import User
from engagements.models import (
    Activity,
    Contact,
    Engagement,
    FollowUp,
    Sponsor,
    SponsorCapability,
    SponsorMembership,
    SponsorProfile,
    Stage,
)
from providers.models import Capability, ClinicalFunction, Provider, ProviderKind, TherapeuticArea

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AccountManagerFactory(UserFactory):
    is_staff = True

    @factory.post_generation
    def group(obj, create, extracted, **kwargs):
        if create:
            obj.groups.add(Group.objects.get(name="Account managers"))


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    name = factory.Sequence(lambda n: f"Provider {n}")
    kind = ProviderKind.FULL_SERVICE_CRO
    senior_access = 3
    data_governance_maturity = 3
    engagement_models = factory.LazyFunction(lambda: ["full_service"])


class CapabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Capability

    provider = factory.SubFactory(ProviderFactory)
    function = factory.LazyFunction(lambda: ClinicalFunction.objects.get(code="biostatistics"))
    depth = 4
    capacity_fte = 20


class SponsorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sponsor

    name = factory.Sequence(lambda n: f"Sponsor {n} Therapeutics")
    profile = SponsorProfile.EMERGING_BIOTECH
    owner = factory.SubFactory(AccountManagerFactory)


class SponsorCapabilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SponsorCapability

    sponsor = factory.SubFactory(SponsorFactory)
    function = factory.LazyFunction(lambda: ClinicalFunction.objects.get(code="clinical_operations"))
    level = 2


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    sponsor = factory.SubFactory(SponsorFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"contact{n}@sponsor.example")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SponsorMembership

    user = factory.SubFactory(UserFactory)
    sponsor = factory.SubFactory(SponsorFactory)


class EngagementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Engagement

    sponsor = factory.SubFactory(SponsorFactory)
    name = factory.Sequence(lambda n: f"Study {n}")
    stage = Stage.LEAD
    owner = factory.SelfAttribute("sponsor.owner")
    value = Decimal("1000000")
    therapeutic_area = factory.LazyFunction(lambda: TherapeuticArea.objects.get(code="oncology"))


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    engagement = factory.SubFactory(EngagementFactory)
    subject = "Intro call"
    by = factory.SelfAttribute("engagement.owner")


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUp

    engagement = factory.SubFactory(EngagementFactory)
    sponsor = factory.SelfAttribute("engagement.sponsor")
    title = "Send revised budget"
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=2))
    assignee = factory.SelfAttribute("engagement.owner")


def reference_questionnaire(version: int = 1):
    """The reference questionnaire: v1 by default (most tests), v2 (engine 2.0's) when asked."""
    from assessments.models import Questionnaire

    return Questionnaire.objects.get(name="Outsourcing model assessment", version=version)


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "assessments.Assessment"

    sponsor = factory.SubFactory(SponsorFactory)
    questionnaire = factory.LazyFunction(reference_questionnaire)
    title = factory.Sequence(lambda n: f"Assessment {n}")


def submitted_assessment(*, answers=None, by=None, **kwargs):
    """An assessment answered with `answers` (the neutral set by default) and submitted."""
    from assessments import services
    from tests.assessments.reference import neutral_answers

    assessment = AssessmentFactory(**kwargs)
    services.save_answers(assessment=assessment, answers=answers or neutral_answers(), by=by)
    services.submit_assessment(assessment=assessment, by=by)
    assessment.refresh_from_db()
    return assessment


def api_key(*, sponsor=None, name="integration", **fields):
    """Create an API key; returns (ApiKey, the raw key to send). Staff scope when no sponsor."""
    from core.models import ApiKey

    scope = "sponsor" if sponsor is not None else "staff"
    return ApiKey.objects.create_key(name=name, scope=scope, sponsor=sponsor, **fields)


def api_client(raw_key=None):
    from rest_framework.test import APIClient

    client = APIClient()
    if raw_key:
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client
