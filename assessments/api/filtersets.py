import django_filters

from assessments.models import Assessment, Recommendation, Report

# Related objects are filtered by plain id: an id the caller cannot see matches nothing, exactly
# like one that does not exist.


class AssessmentFilter(django_filters.FilterSet):
    sponsor = django_filters.UUIDFilter(field_name="sponsor_id")
    engagement = django_filters.UUIDFilter(field_name="engagement_id")
    questionnaire = django_filters.UUIDFilter(field_name="questionnaire_id")

    class Meta:
        model = Assessment
        fields = ["status"]


class RecommendationFilter(django_filters.FilterSet):
    assessment = django_filters.UUIDFilter(field_name="assessment_id")

    class Meta:
        model = Recommendation
        fields = ["model", "engine_version"]


class ReportFilter(django_filters.FilterSet):
    assessment = django_filters.UUIDFilter(field_name="assessment_id")

    class Meta:
        model = Report
        fields = ["status"]
