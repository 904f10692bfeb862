from django import forms
from django.contrib import admin
from django.db.models import Count
from simple_history.admin import SimpleHistoryAdmin

from core.admin_tools import QuickCountPaginator, ReasonForChangeMixin
from core.forms import CommaSeparatedListField
from providers.models import (
    AICapability,
    Capability,
    ClinicalFunction,
    OutsourcingModel,
    Provider,
    Region,
    TherapeuticArea,
    TherapeuticExpertise,
)


class CatalogAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "position"]
    list_editable = ["position"]
    search_fields = ["code", "name"]
    ordering = ["position", "name"]

    def get_readonly_fields(self, request, obj=None):
        # Codes are the public contract (API, questionnaires, fixtures): fixed once created.
        return ["code"] if obj else []


@admin.register(ClinicalFunction)
class ClinicalFunctionAdmin(CatalogAdmin):
    list_display = [*CatalogAdmin.list_display, "specialised"]
    list_filter = ["specialised"]


@admin.register(TherapeuticArea)
class TherapeuticAreaAdmin(CatalogAdmin):
    list_display = [*CatalogAdmin.list_display, "specialised"]
    list_filter = ["specialised"]


@admin.register(Region)
class RegionAdmin(CatalogAdmin):
    pass


@admin.register(AICapability)
class AICapabilityAdmin(CatalogAdmin):
    pass


class ProviderForm(forms.ModelForm):
    engagement_models = forms.MultipleChoiceField(
        choices=OutsourcingModel.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    certifications = CommaSeparatedListField(
        required=False, help_text="Comma-separated, e.g. ISO 9001, ISO 27001, SOC 2 Type II."
    )

    class Meta:
        model = Provider
        fields = "__all__"


class CapabilityInline(admin.TabularInline):
    model = Capability
    extra = 0
    autocomplete_fields = ["function"]
    fields = ["function", "depth", "capacity_fte", "notes"]


class TherapeuticExpertiseInline(admin.TabularInline):
    model = TherapeuticExpertise
    extra = 0
    autocomplete_fields = ["therapeutic_area"]


@admin.register(Provider)
class ProviderAdmin(ReasonForChangeMixin, SimpleHistoryAdmin):
    form = ProviderForm
    list_display = [
        "name",
        "kind",
        "function_count",
        "senior_access",
        "data_governance_maturity",
        "headquarters",
        "is_active",
    ]
    list_filter = ["kind", "is_active", "regions", "ai_capabilities", "capabilities__function"]
    search_fields = ["name", "headquarters"]
    filter_horizontal = ["regions", "ai_capabilities"]
    inlines = [CapabilityInline, TherapeuticExpertiseInline]
    show_full_result_count = False
    paginator = QuickCountPaginator
    fieldsets = [
        (None, {"fields": ["name", "kind", "is_active", "description", "headquarters", "website"]}),
        ("Reach and delivery", {"fields": ["regions", "engagement_models", "senior_access"]}),
        (
            "Technology and quality",
            {"fields": ["ai_capabilities", "data_governance_maturity", "certifications"]},
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_function_count=Count("capabilities", distinct=True))

    @admin.display(description="functions", ordering="_function_count")
    def function_count(self, obj: Provider) -> int:
        return obj._function_count


@admin.register(Capability)
class CapabilityAdmin(ReasonForChangeMixin, SimpleHistoryAdmin):
    list_display = ["provider", "function", "depth", "capacity_fte"]
    list_filter = ["function", "depth", "provider__kind"]
    list_select_related = ["provider", "function"]
    search_fields = ["provider__name", "function__name"]
    autocomplete_fields = ["provider", "function"]
    show_full_result_count = False
    paginator = QuickCountPaginator


@admin.register(TherapeuticExpertise)
class TherapeuticExpertiseAdmin(SimpleHistoryAdmin):
    list_display = ["provider", "therapeutic_area", "depth"]
    list_filter = ["therapeutic_area", "depth"]
    list_select_related = ["provider", "therapeutic_area"]
    search_fields = ["provider__name", "therapeutic_area__name"]
    autocomplete_fields = ["provider", "therapeutic_area"]
