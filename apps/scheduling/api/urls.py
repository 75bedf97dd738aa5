from rest_framework.routers import SimpleRouter

from .views import EventViewSet, SlotViewSet

router = SimpleRouter()
router.register("events", EventViewSet, basename="event")
router.register("slots", SlotViewSet, basename="slot")

urlpatterns = router.urls
