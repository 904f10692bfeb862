import django_filters
from django.utils import timezone

from core.api.filters import UtcIsoDateTimeFilter
from engagements.models import Activity, Contact, Engagement, FollowUp, FollowUpStatus, Sponsor, Stage

# Related objects are filtered by plain id: an id the caller cannot see simply matches nothing,
# exactly like an id that does not exist (a choice filter would tell the two apart).


_VALUE_FIELD = Engagement._meta.get_field("value")
_VALUE_PRECISION = {"max_digits": _VALUE_FIELD.max_digits, "decimal_places": _VALUE_FIELD.decimal_places}


class SponsorFilter(django_filters.FilterSet):
    owner = django_filters.CharFilter(field_name="owner__email", lookup_expr="iexact")
    region = django_filters.CharFilter(field_name="regions__code", distinct=True)
    therapeutic_area = django_filters.CharFilter(field_name="therapeutic_areas__code", distinct=True)
    created_after = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Sponsor
        fields = ["profile", "status"]


class ContactFilter(django_filters.FilterSet):
    sponsor = django_filters.UUIDFilter(field_name="sponsor_id")

    class Meta:
        model = Contact
        fields = ["is_primary"]


class EngagementFilter(django_filters.FilterSet):
    sponsor = django_filters.UUIDFilter(field_name="sponsor_id")
    # A column on the row itself: no join can duplicate rows, so no DISTINCT (which would stop
    # PostgreSQL from reading the page off the (stage, -created_at, -id) index).
    stage = django_filters.MultipleChoiceFilter(choices=Stage.choices, distinct=False)
    owner = django_filters.CharFilter(field_name="owner__email", lookup_expr="iexact")
    therapeutic_area = django_filters.CharFilter(field_name="therapeutic_area_id")
    region = django_filters.CharFilter(field_name="regions__code", distinct=True)
    function = django_filters.CharFilter(field_name="functions__code", distinct=True)
    # The column's own precision: PostgreSQL refuses a numeric with more than 16,383 decimals.
    value_min = django_filters.NumberFilter(field_name="value", lookup_expr="gte", **_VALUE_PRECISION)
    value_max = django_filters.NumberFilter(field_name="value", lookup_expr="lte", **_VALUE_PRECISION)
    created_after = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    expected_close_before = django_filters.DateFilter(field_name="expected_close_date", lookup_expr="lte")

    class Meta:
        model = Engagement
        fields = ["outsourcing_model", "phase"]


class ActivityFilter(django_filters.FilterSet):
    engagement = django_filters.UUIDFilter(field_name="engagement_id")
    occurred_after = UtcIsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = UtcIsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = Activity
        fields = ["kind"]


class FollowUpFilter(django_filters.FilterSet):
    sponsor = django_filters.UUIDFilter(field_name="sponsor_id")
    engagement = django_filters.UUIDFilter(field_name="engagement_id")
    assignee = django_filters.CharFilter(field_name="assignee__email", lookup_expr="iexact")
    due_after = UtcIsoDateTimeFilter(field_name="due_at", lookup_expr="gte")
    due_before = UtcIsoDateTimeFilter(field_name="due_at", lookup_expr="lt")
    overdue = django_filters.BooleanFilter(method="filter_overdue")

    class Meta:
        model = FollowUp
        fields = ["status"]

    def filter_overdue(self, queryset, name, value):
        overdue = {"status": FollowUpStatus.OPEN, "due_at__lt": timezone.now()}
        return queryset.filter(**overdue) if value else queryset.exclude(**overdue)
