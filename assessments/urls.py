from django.urls import path

from assessments import views

urlpatterns = [
    path("assessments/<uuid:assessment_id>/", views.assessment_start, name="assessment"),
    path(
        "assessments/<uuid:assessment_id>/section/<int:section>/",
        views.assessment_section,
        name="assessment_section",
    ),
    path("assessments/<uuid:assessment_id>/review/", views.assessment_review, name="assessment_review"),
    path("assessments/<uuid:assessment_id>/submit/", views.assessment_submit, name="assessment_submit"),
    path("assessments/<uuid:assessment_id>/recommendation/", views.recommendation, name="recommendation"),
    path("assessments/<uuid:assessment_id>/what-if/", views.what_if, name="what_if"),
    path("assessments/<uuid:assessment_id>/report/", views.report_request, name="report_request"),
    path("reports/<uuid:report_id>/download/", views.report_download, name="report_download"),
]
