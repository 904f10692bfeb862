"""One object of each API resource, made for a given sponsor (global resources ignore it)."""

from assessments import services as assessment_services
from assessments.models import Recommendation
from core.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from providers.models import TherapeuticExpertise
from tests import factories
from tests.assessments.reference import neutral_answers


def contact(sponsor):
    return factories.ContactFactory(sponsor=sponsor)


def engagement(sponsor):
    return factories.EngagementFactory(sponsor=sponsor)


def activity(sponsor):
    return factories.ActivityFactory(engagement__sponsor=sponsor)


def follow_up(sponsor):
    return factories.FollowUpFactory(engagement__sponsor=sponsor)


def draft_assessment(sponsor):
    return factories.AssessmentFactory(sponsor=sponsor)


def sent_assessment(sponsor):
    """Sent to the sponsor, not yet answered (a draft is invisible to the sponsor)."""
    assessment = factories.AssessmentFactory(sponsor=sponsor)
    assessment_services.send_assessment(assessment=assessment)
    assessment.refresh_from_db()
    return assessment


def answered_assessment(sponsor):
    """Every required question answered, not yet submitted."""
    assessment = sent_assessment(sponsor)
    assessment_services.save_answers(assessment=assessment, answers=neutral_answers())
    assessment.refresh_from_db()
    return assessment


def submitted_assessment(sponsor):
    return factories.submitted_assessment(sponsor=sponsor)


def recommendation(sponsor):
    return Recommendation.objects.get(assessment=factories.submitted_assessment(sponsor=sponsor))


def signature(sponsor):
    """A review signature on one of the sponsor's recommendations (as the admin's signing makes)."""
    from django.contrib.contenttypes.models import ContentType

    from core import signatures
    from core.models import Signature

    rec = recommendation(sponsor)
    signer = factories.AccountManagerFactory(first_name="Maya", last_name="Lindqvist")
    return Signature.objects.create(
        signer=signer,
        printed_name="Maya Lindqvist",
        signer_email=signer.email,
        meaning="reviewed",
        comment="Checked against the call notes.",
        record_type=ContentType.objects.get_for_model(rec),
        record_id=str(rec.pk),
        record_label=str(rec),
        record_hash=signatures.fingerprint(rec),
    )


def provider(sponsor=None):
    return factories.ProviderFactory()


def capability(sponsor=None):
    return factories.CapabilityFactory()


def expertise(sponsor=None):
    return TherapeuticExpertise.objects.create(
        provider=factories.ProviderFactory(), therapeutic_area_id="oncology", depth=4
    )


def questionnaire(sponsor=None):
    return factories.reference_questionnaire()


def webhook_endpoint(sponsor=None):
    # Inactive, so no event raised during a test queues a delivery to it.
    return WebhookEndpoint.objects.create(
        url="https://hooks.example.org/sourcewise",
        events=[WebhookEvent.ASSESSMENT_SUBMITTED],
        sponsor=sponsor,
        is_active=False,
    )


def webhook_delivery(sponsor=None):
    return WebhookDelivery.objects.create(
        endpoint=webhook_endpoint(sponsor),
        event=WebhookEvent.ASSESSMENT_SUBMITTED,
        payload={"event": WebhookEvent.ASSESSMENT_SUBMITTED, "data": {}},
    )


def catalog_entry(model):
    def make(sponsor=None):
        return model.objects.order_by("position", "code").first()

    return make


def ready_report(sponsor):
    """A generated PDF report of a submitted assessment of this sponsor."""
    from assessments import reports

    report = reports.request_report(assessment=factories.submitted_assessment(sponsor=sponsor))
    reports.generate(report.pk, worker_token="builder")
    report.refresh_from_db()
    return report
