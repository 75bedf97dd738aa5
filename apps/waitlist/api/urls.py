from django.urls import path

from . import views

urlpatterns = [
    path("slots/<int:slot_id>/waitlist/", views.WaitlistView.as_view(), name="waitlist"),
    path(
        "slots/<int:slot_id>/waitlist/summary/",
        views.WaitlistSummaryView.as_view(),
        name="waitlist-summary",
    ),
]
