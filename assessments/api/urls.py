from rest_framework import routers

from assessments.api import views

router = routers.SimpleRouter()
router.register("questionnaires", views.QuestionnaireViewSet, basename="questionnaire")
router.register("assessments", views.AssessmentViewSet, basename="assessment")
router.register("recommendations", views.RecommendationViewSet, basename="recommendation")
router.register("reports", views.ReportViewSet, basename="report")
