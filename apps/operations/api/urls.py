from django.urls import path

from . import views

urlpatterns = [
    path("slots/<int:slot_id>/cancel/", views.SlotCancelView.as_view(), name="slot-cancel"),
    path("events/<int:event_id>/cancel/", views.EventCancelView.as_view(), name="event-cancel"),
    path("jobs/<int:job_id>/", views.JobView.as_view(), name="job-detail"),
    path("jobs/<int:job_id>/retry/", views.JobRetryView.as_view(), name="job-retry"),
    path(
        "slots/<int:slot_id>/bookings/<int:booking_id>/tickets/cancel/",
        views.BookingTicketsCancelView.as_view(),
        name="slot-booking-tickets-cancel",
    ),
    path(
        "slots/<int:slot_id>/bookings/<int:booking_id>/move/",
        views.BookingMoveView.as_view(),
        name="slot-booking-move",
    ),
    path("slots/<int:slot_id>/move/", views.SlotMoveView.as_view(), name="slot-move"),
    path("moves/<int:job_id>/", views.MoveJobView.as_view(), name="move-job-detail"),
    path("moves/<int:job_id>/retry/", views.MoveJobRetryView.as_view(), name="move-job-retry"),
    path("slots/<int:slot_id>/ledger/", views.SlotLedgerView.as_view(), name="slot-ledger"),
]
