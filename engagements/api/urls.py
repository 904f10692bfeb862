from rest_framework import routers

from engagements.api import views

router = routers.SimpleRouter()
router.register("sponsors", views.SponsorViewSet, basename="sponsor")
router.register("contacts", views.ContactViewSet, basename="contact")
router.register("engagements", views.EngagementViewSet, basename="engagement")
router.register("activities", views.ActivityViewSet, basename="activity")
router.register("follow-ups", views.FollowUpViewSet, basename="follow-up")
