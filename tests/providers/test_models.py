import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from providers.models import Capability, ClinicalFunction, TherapeuticArea, TherapeuticExpertise
from tests.factories import CapabilityFactory, ProviderFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("depth", [0, 6])
def test_capability_depth_outside_1_to_5_is_refused_by_the_database(depth):
    provider = ProviderFactory()
    function = ClinicalFunction.objects.get(code="biostatistics")
    with pytest.raises(IntegrityError), transaction.atomic():
        Capability.objects.create(provider=provider, function=function, depth=depth)
    assert not Capability.objects.exists()


def test_second_capability_for_the_same_function_is_refused():
    capability = CapabilityFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Capability.objects.create(provider=capability.provider, function=capability.function, depth=3)
    assert Capability.objects.count() == 1


def test_duplicate_capability_gets_a_clear_validation_message():
    capability = CapabilityFactory()
    duplicate = Capability(provider=capability.provider, function=capability.function, depth=3)
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "already has a capability for that function" in str(error.value)


@pytest.mark.parametrize("field", ["senior_access", "data_governance_maturity"])
def test_provider_levels_are_bounded_by_the_database(field):
    with pytest.raises(IntegrityError), transaction.atomic():
        ProviderFactory(**{field: 9})


def test_expertise_depth_is_bounded_and_unique():
    provider = ProviderFactory()
    area = TherapeuticArea.objects.get(code="oncology")
    TherapeuticExpertise.objects.create(provider=provider, therapeutic_area=area, depth=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        TherapeuticExpertise.objects.create(provider=provider, therapeutic_area=area, depth=4)
    with pytest.raises(IntegrityError), transaction.atomic():
        TherapeuticExpertise.objects.create(
            provider=provider,
            therapeutic_area=TherapeuticArea.objects.get(code="neurology"),
            depth=0,
        )


def test_unknown_engagement_model_is_refused_by_validation():
    provider = ProviderFactory.build(engagement_models=["full_service", "staff_augmentation"])
    with pytest.raises(ValidationError) as error:
        provider.clean()
    assert "staff_augmentation" in str(error.value)
