from django.urls import path

from . import payments, promo, transfers, views

urlpatterns = [
    path("bookings/hold-seats/", views.HoldCreateView.as_view(), name="hold-create"),
    path("bookings/confirm/", views.ConfirmView.as_view(), name="booking-confirm"),
    path("bookings/", views.BookingListView.as_view(), name="booking-list"),
    path("bookings/<int:booking_id>/", views.BookingDetailView.as_view(), name="booking-detail"),
    path(
        "bookings/<int:booking_id>/tickets.pdf",
        views.BookingTicketsPdfView.as_view(),
        name="booking-tickets-pdf",
    ),
    path(
        "bookings/<int:booking_id>/calendar.ics",
        views.BookingCalendarView.as_view(),
        name="booking-calendar",
    ),
    path(
        "bookings/<int:booking_id>/cancel/",
        views.BookingCancelView.as_view(),
        name="booking-cancel",
    ),
    path(
        "bookings/<int:booking_id>/tickets/cancel/",
        views.BookingTicketsCancelView.as_view(),
        name="booking-tickets-cancel",
    ),
    path(
        "bookings/<int:booking_id>/tickets/<int:number>/transfer/",
        transfers.BookingTicketTransferView.as_view(),
        name="booking-ticket-transfer",
    ),
    path("tickets/", transfers.HeldTicketListView.as_view(), name="held-ticket-list"),
    path(
        "tickets/<int:ticket_id>/transfer/",
        transfers.TicketTransferView.as_view(),
        name="ticket-transfer",
    ),
    path("payments/<int:payment_id>/", payments.PaymentDetailView.as_view(), name="payment-detail"),
    path(
        "payments/stripe/webhook/",
        payments.StripeWebhookView.as_view(),
        name="payment-stripe-webhook",
    ),
    path(
        "events/<int:event_id>/promo-codes/",
        promo.EventPromoCodesView.as_view(),
        name="event-promo-codes",
    ),
    path("promo-codes/<int:code_id>/", promo.PromoCodeView.as_view(), name="promo-code"),
    path("holds/", views.HoldListView.as_view(), name="hold-list"),
    path("holds/<int:hold_id>/", views.HoldDetailView.as_view(), name="hold-detail"),
]
