from django.urls import path

from . import attendance, cancellation, door, money, moves, promo, ticket_types, views

app_name = "organizer"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("events/", views.event_list, name="event-list"),
    path("events/new/", views.event_create, name="event-create"),
    path("events/<int:event_id>/edit/", views.event_edit, name="event-edit"),
    path("events/<int:event_id>/schedule/", views.event_schedule, name="event-schedule"),
    path("events/<int:event_id>/cancel/", cancellation.event_cancel, name="event-cancel"),
    path("events/<int:event_id>/promo-codes/", promo.promo_codes, name="promo-codes"),
    path(
        "events/<int:event_id>/promo-codes/<int:code_id>/retire/",
        promo.promo_code_retire,
        name="promo-code-retire",
    ),
    path("events/<int:event_id>/ticket-types/", ticket_types.ticket_types, name="ticket-types"),
    path(
        "events/<int:event_id>/ticket-types/slots/<int:slot_id>/",
        ticket_types.slot_type_prices,
        name="slot-type-prices",
    ),
    path(
        "events/<int:event_id>/jobs/<int:job_id>/",
        views.generation_job,
        name="generation-job",
    ),
    path("venues/", views.venue_list, name="venue-list"),
    path("venues/<int:venue_id>/", views.venue_detail, name="venue-detail"),
    path("screens/<int:screen_id>/layout/", views.screen_layout, name="screen-layout"),
    path("slots/<int:slot_id>/bookings/", views.slot_bookings, name="slot-bookings"),
    path("slots/<int:slot_id>/money/", money.slot_money, name="slot-money"),
    path(
        "slots/<int:slot_id>/bookings/<int:booking_id>/",
        moves.booking_manage,
        name="booking-manage",
    ),
    path("slots/<int:slot_id>/move/", moves.slot_move, name="slot-move"),
    path("moves/<int:job_id>/", moves.move_job, name="move-job"),
    path("moves/<int:job_id>/retry/", moves.move_job_retry, name="move-job-retry"),
    path("slots/<int:slot_id>/cancel/", cancellation.slot_cancel, name="slot-cancel"),
    path("cancellations/<int:job_id>/", cancellation.cancel_job, name="cancel-job"),
    path(
        "cancellations/<int:job_id>/retry/", cancellation.cancel_job_retry, name="cancel-job-retry"
    ),
    path("checkin/", door.checkin_index, name="checkin-index"),
    path("checkin/<int:slot_id>/", door.checkin_page, name="checkin"),
    path("slots/<int:slot_id>/attendance/", attendance.slot_attendance, name="slot-attendance"),
    path(
        "slots/<int:slot_id>/attendance.csv",
        attendance.slot_attendance_csv,
        name="slot-attendance-csv",
    ),
]
