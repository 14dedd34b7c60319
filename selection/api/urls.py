from rest_framework.routers import SimpleRouter

from .views import InvitationViewSet, SelectionViewSet, SelfEvaluationViewSet

router = SimpleRouter()
router.register("self-evaluations", SelfEvaluationViewSet, basename="self-evaluation")
router.register("selections", SelectionViewSet, basename="selection")
router.register("selection-invitations", InvitationViewSet, basename="selection-invitation")

urlpatterns = router.urls
