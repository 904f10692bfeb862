"""Load the reference catalogs. Their codes are a public contract (API, questionnaires, fixtures)."""

from django.db import migrations

FUNCTIONS = [
    (
        "clinical_operations",
        "Clinical operations",
        False,
        "Planning and running studies day to day: feasibility, start-up, site activation, enrolment.",
    ),
    (
        "site_management_monitoring",
        "Site management and monitoring",
        False,
        "Site selection, initiation, monitoring visits and close-out, on site or remote.",
    ),
    (
        "project_management",
        "Project management",
        False,
        "Timelines, budgets, risks and vendor coordination across the study.",
    ),
    (
        "regulatory_affairs",
        "Regulatory affairs",
        True,
        "Submissions, agency interactions and regulatory strategy across countries.",
    ),
    (
        "clinical_data_management",
        "Clinical data management",
        False,
        "Database build, data cleaning, query management and database lock.",
    ),
    (
        "biostatistics",
        "Biostatistics",
        True,
        "Study design, sample size, statistical analysis plans and interpretation.",
    ),
    (
        "statistical_programming",
        "Statistical programming",
        True,
        "SDTM/ADaM datasets, tables, listings and figures.",
    ),
    (
        "clinical_programming",
        "Clinical programming",
        False,
        "EDC builds, edit checks, integrations and data transfers.",
    ),
    (
        "medical_writing",
        "Medical writing",
        True,
        "Protocols, clinical study reports, investigator brochures and submission documents.",
    ),
    (
        "pharmacovigilance",
        "Pharmacovigilance",
        True,
        "Safety case processing, signal detection and aggregate safety reports.",
    ),
    (
        "medical_monitoring",
        "Medical monitoring",
        True,
        "Medical oversight of participants' safety and eligibility during the study.",
    ),
    (
        "quality_assurance",
        "Quality assurance",
        False,
        "Audits, inspection readiness and GCP compliance.",
    ),
    (
        "real_world_evidence",
        "Real-world evidence",
        True,
        "Observational studies, registries and analysis of real-world data.",
    ),
    (
        "medical_affairs",
        "Medical affairs",
        True,
        "Scientific communication, advisory boards and medical information.",
    ),
]

THERAPEUTIC_AREAS = [
    ("oncology", "Oncology", True),
    ("rare_diseases", "Rare diseases", True),
    ("neurology", "Neurology", True),
    ("ophthalmology", "Ophthalmology", True),
    ("cell_gene_therapy", "Cell and gene therapy", True),
    ("advanced_therapeutics", "Advanced therapeutics", True),
    ("cardiovascular", "Cardiovascular", False),
    ("immunology", "Immunology", False),
    ("infectious_diseases", "Infectious diseases", False),
    ("metabolic_endocrine", "Metabolic and endocrine", False),
    ("respiratory", "Respiratory", False),
    ("dermatology", "Dermatology", False),
]

REGIONS = [
    ("north_america", "North America"),
    ("latin_america", "Latin America"),
    ("europe", "Europe"),
    ("middle_east_africa", "Middle East and Africa"),
    ("asia_pacific", "Asia-Pacific"),
]

AI_CAPABILITIES = [
    (
        "ai_data_review",
        "AI-assisted data review",
        "Machine review of incoming data to surface anomalies and queries early.",
    ),
    (
        "risk_based_monitoring",
        "Risk-based monitoring",
        "Central statistical monitoring that targets site visits where risk is highest.",
    ),
    (
        "predictive_analytics",
        "Predictive analytics",
        "Forecasts of enrolment, site performance and timeline risk.",
    ),
    (
        "automated_quality_checks",
        "Automated quality checks",
        "Rule and model based checks run continuously on study data and documents.",
    ),
    (
        "regulatory_intelligence",
        "Regulatory intelligence",
        "Tracking guidance and precedent across agencies to steer submissions.",
    ),
    (
        "clinical_data_visualization",
        "Clinical data visualisation",
        "Live dashboards of study, safety and operational data.",
    ),
]


def load(apps, schema_editor):
    ClinicalFunction = apps.get_model("providers", "ClinicalFunction")
    TherapeuticArea = apps.get_model("providers", "TherapeuticArea")
    Region = apps.get_model("providers", "Region")
    AICapability = apps.get_model("providers", "AICapability")
    for position, (code, name, specialised, description) in enumerate(FUNCTIONS):
        ClinicalFunction.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "specialised": specialised,
                "description": description,
                "position": position,
            },
        )
    for position, (code, name, specialised) in enumerate(THERAPEUTIC_AREAS):
        TherapeuticArea.objects.update_or_create(
            code=code, defaults={"name": name, "specialised": specialised, "position": position}
        )
    for position, (code, name) in enumerate(REGIONS):
        Region.objects.update_or_create(code=code, defaults={"name": name, "position": position})
    for position, (code, name, description) in enumerate(AI_CAPABILITIES):
        AICapability.objects.update_or_create(
            code=code, defaults={"name": name, "description": description, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("providers", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
