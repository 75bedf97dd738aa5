from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import EventTicketTypesView, EventViewSet, SlotViewSet

router = SimpleRouter()
router.register("events", EventViewSet, basename="event")
router.register("slots", SlotViewSet, basename="slot")

urlpatterns = [
    path(
        "events/<int:pk>/ticket-types/", EventTicketTypesView.as_view(), name="event-ticket-types"
    ),
    *router.urls,
]
