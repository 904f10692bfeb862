import pytest
from django.db import IntegrityError, transaction

from providers.models import AICapability, ClinicalFunction, Region, TherapeuticArea

pytestmark = pytest.mark.django_db

DESIGN_FUNCTIONS = {
    "clinical_operations",
    "site_management_monitoring",
    "project_management",
    "regulatory_affairs",
    "clinical_data_management",
    "biostatistics",
    "statistical_programming",
    "clinical_programming",
    "medical_writing",
    "pharmacovigilance",
    "medical_monitoring",
    "quality_assurance",
    "real_world_evidence",
    "medical_affairs",
}
DESIGN_AREAS = {
    "oncology",
    "rare_diseases",
    "neurology",
    "ophthalmology",
    "cell_gene_therapy",
    "advanced_therapeutics",
    "cardiovascular",
    "immunology",
    "infectious_diseases",
    "metabolic_endocrine",
    "respiratory",
    "dermatology",
}
DESIGN_REGIONS = {"north_america", "latin_america", "europe", "middle_east_africa", "asia_pacific"}
DESIGN_AI = {
    "ai_data_review",
    "risk_based_monitoring",
    "predictive_analytics",
    "automated_quality_checks",
    "regulatory_intelligence",
    "clinical_data_visualization",
}


@pytest.mark.parametrize(
    ("model", "codes"),
    [
        (ClinicalFunction, DESIGN_FUNCTIONS),
        (TherapeuticArea, DESIGN_AREAS),
        (Region, DESIGN_REGIONS),
        (AICapability, DESIGN_AI),
    ],
)
def test_migration_loads_exactly_the_design_codes(model, codes):
    assert set(model.objects.values_list("code", flat=True)) == codes


def test_specialised_therapeutic_areas_are_flagged():
    specialised = set(TherapeuticArea.objects.filter(specialised=True).values_list("code", flat=True))
    assert specialised == {
        "oncology",
        "rare_diseases",
        "neurology",
        "ophthalmology",
        "cell_gene_therapy",
        "advanced_therapeutics",
    }


def test_duplicate_catalog_code_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        Region.objects.bulk_create([Region(code="europe", name="Europe again")])
    assert Region.objects.get(code="europe").name == "Europe"
