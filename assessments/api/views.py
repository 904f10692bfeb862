from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from assessments import reports, selectors, services
from assessments.api import filtersets
from assessments.api.serializers import (
    AnswersSerializer,
    AssessmentSerializer,
    QuestionnaireSerializer,
    QuestionnaireSummarySerializer,
    RecommendationSerializer,
    ReportRequestSerializer,
    ReportSerializer,
    SendSerializer,
    WhatIfResultSerializer,
    WhatIfSerializer,
)
from assessments.downloads import report_file_response
from assessments.models import (
    Answer,
    Channel,
    Question,
    Questionnaire,
    QuestionnaireStatus,
    Recommendation,
    Report,
    Section,
)
from core.api.auth import acting_user
from core.api.pagination import NamedCursorPagination
from core.api.views import ScopedModelViewSet, ScopedReadOnlyViewSet
from engagements.selectors import can_write_for

READ = frozenset({"list", "retrieve"})


class QuestionnaireViewSet(ScopedReadOnlyViewSet):
    """Questionnaires with their sections, questions, choices and scoring weights (read-only)."""

    sponsor_actions = READ
    filterset_fields = ["name", "status", "version"]
    pagination_class = NamedCursorPagination

    def get_serializer_class(self):
        return QuestionnaireSummarySerializer if self.action == "list" else QuestionnaireSerializer

    def visible_queryset(self, actor):
        queryset = Questionnaire.objects.all()
        if not actor.is_staff:
            queryset = queryset.exclude(status=QuestionnaireStatus.DRAFT)
        if self.action == "retrieve":
            questions = Question.objects.order_by("position", "id").prefetch_related("choices", "weights")
            queryset = queryset.prefetch_related(
                Prefetch(
                    "sections", queryset=Section.objects.prefetch_related(Prefetch("questions", questions))
                )
            )
        return queryset


class AssessmentViewSet(ScopedModelViewSet):
    """Assessments: staff create and send them; the sponsor answers in batches and submits."""

    serializer_class = AssessmentSerializer
    sponsor_actions = frozenset(
        {"list", "retrieve", "answers", "submit", "what_if", "recommendations", "report"}
    )
    filterset_class = filtersets.AssessmentFilter
    search_fields = ["title"]
    # Cursor pagination needs non-null ordering fields (a NULL breaks the cursor).
    ordering_fields = ["created_at", "updated_at"]

    def visible_queryset(self, actor):
        return selectors.assessments_visible_to(actor).prefetch_related(
            Prefetch("answers", queryset=Answer.objects.select_related("question")),
            Prefetch(
                "recommendations",
                queryset=Recommendation.objects.only("id", "assessment_id", "model", "created_at"),
            ),
        )

    def _assessment(self):
        assessment = self.get_object()
        if (
            self.action in ("answers", "submit")
            and self.request.method == "POST"
            and not can_write_for(self.request.user, assessment.sponsor_id)
        ):
            raise PermissionDenied("Your role lets you read this assessment, not answer it.")
        return assessment

    def _fresh(self, assessment):
        return self.get_serializer(self.get_queryset().get(pk=assessment.pk)).data

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.create_assessment(
            sponsor=data["sponsor"],
            questionnaire=data.get("questionnaire"),
            engagement=data.get("engagement"),
            title=data.get("title", ""),
            due_date=data.get("due_date"),
            by=acting_user(self.request.user),
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_assessment(
            assessment=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.delete_assessment(assessment=instance)

    @extend_schema(request=SendSerializer, responses=AssessmentSerializer)
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        """Send the assessment to the sponsor (staff)."""
        assessment = self.get_object()
        payload = SendSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.send_assessment(
            assessment=assessment,
            by=acting_user(request.user),
            due_date=payload.validated_data.get("due_date"),
        )
        return Response(self._fresh(assessment))

    @extend_schema(methods=["GET"], responses=AnswersSerializer)
    @extend_schema(methods=["POST"], request=AnswersSerializer, responses=AnswersSerializer)
    @action(detail=True, methods=["get", "post"])
    def answers(self, request, pk=None):
        """Read the answers, or save a batch of them (all accepted or none)."""
        assessment = self._assessment()
        if request.method == "GET":
            return Response({"answers": selectors.answers_of(assessment)})
        payload = AnswersSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        answers = services.save_answers(
            assessment=assessment,
            answers=payload.validated_data["answers"],
            by=acting_user(request.user),
            via=Channel.API,
        )
        return Response({"answers": answers})

    @extend_schema(request=None, responses={201: RecommendationSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit: the answers are locked and the recommendation is produced."""
        assessment = self._assessment()
        recommendation = services.submit_assessment(
            assessment=assessment, by=acting_user(request.user), via=Channel.API
        )
        return Response(RecommendationSerializer(recommendation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WhatIfSerializer, responses=WhatIfResultSerializer)
    @action(detail=True, methods=["post"], url_path="what-if")
    def what_if(self, request, pk=None):
        """The recommendation with some answers changed, and what would move. Nothing is stored."""
        assessment = self.get_object()
        payload = WhatIfSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return Response(services.what_if(assessment=assessment, changes=payload.validated_data["changes"]))

    @extend_schema(responses=RecommendationSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def recommendations(self, request, pk=None):
        """Every recommendation made for this assessment, newest first."""
        assessment = self.get_object()
        recommendations = Recommendation.objects.filter(assessment=assessment).order_by("-created_at")
        return Response(RecommendationSerializer(recommendations, many=True).data)

    @extend_schema(request=ReportRequestSerializer, responses={202: ReportSerializer, 200: ReportSerializer})
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        """Request the PDF report of the latest recommendation. An identical report that is ready or
        being generated is returned instead of starting a second job (200); a new job answers 202."""
        assessment = self.get_object()
        payload = ReportRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        force = payload.validated_data["force"] and request.user.is_staff
        before = set(Report.objects.filter(assessment=assessment).values_list("pk", flat=True))
        report = reports.request_report(
            assessment=assessment, by=acting_user(request.user), via=Channel.API, force=force
        )
        created = report.pk not in before
        return Response(
            ReportSerializer(report, context=self.get_serializer_context()).data,
            status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK,
        )


class ReportViewSet(ScopedReadOnlyViewSet):
    """PDF reports and their status; download a ready one from its download action."""

    serializer_class = ReportSerializer
    sponsor_actions = frozenset({"list", "retrieve", "download"})
    filterset_class = filtersets.ReportFilter
    ordering_fields = ["created_at"]

    def visible_queryset(self, actor):
        return selectors.reports_visible_to(actor).select_related("assessment__sponsor")

    @extend_schema(responses={(200, "application/pdf"): bytes})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The PDF (only when ready)."""
        return report_file_response(self.get_object())


class RecommendationViewSet(ScopedReadOnlyViewSet):
    """Recommendations: immutable snapshots of what the engine recommended, and from what."""

    serializer_class = RecommendationSerializer
    sponsor_actions = READ
    filterset_class = filtersets.RecommendationFilter
    ordering_fields = ["created_at"]

    def visible_queryset(self, actor):
        return selectors.recommendations_visible_to(actor)
