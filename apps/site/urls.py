from django.urls import path

from . import account, payments, recovery, views

urlpatterns = [
    path("", views.home, name="home"),
    path("events/<int:event_id>/", views.event_detail, name="event-detail"),
    path("slots/<int:slot_id>/", views.slot_detail, name="slot-detail"),
    path("slots/<int:slot_id>/hold/", views.slot_hold, name="slot-hold"),
    path("holds/<int:hold_id>/pay/", views.hold_pay, name="hold-pay"),
    path("holds/<int:hold_id>/release/", views.hold_release, name="hold-release"),
    path("holds/<int:hold_id>/promo/", views.hold_promo, name="hold-promo"),
    path("payments/<int:payment_id>/return/", payments.payment_return, name="payment-return"),
    path("bookings/", views.my_bookings, name="my-bookings"),
    path("bookings/<int:booking_id>/", views.booking_detail, name="booking-detail"),
    path("bookings/<int:booking_id>/cancel/", views.booking_cancel, name="booking-cancel"),
    path(
        "bookings/<int:booking_id>/tickets/<int:number>/transfer/",
        views.ticket_transfer,
        name="booking-ticket-transfer",
    ),
    path("bookings/<int:booking_id>/tickets.pdf", views.booking_tickets, name="booking-tickets"),
    path("bookings/<int:booking_id>/calendar.ics", views.booking_calendar, name="booking-calendar"),
    path("tickets/<int:ticket_id>/ticket.pdf", views.held_ticket_pdf, name="held-ticket-pdf"),
    path("login/", views.login, name="login"),
    path("register/", views.register, name="register"),
    path("account/", account.account, name="account"),
    path("account/verify/", account.verification_resend, name="verification-resend"),
    path("account/export/", account.account_export, name="account-export"),
    path("account/delete/", account.account_delete, name="account-delete"),
    path("verify-email/<str:token>/", account.verify_email, name="verify-email"),
    path("password-reset/", recovery.password_reset, name="password-reset"),
    path("password-reset/sent/", recovery.password_reset_sent, name="password-reset-sent"),
    path(
        "password-reset/<str:uid>/<str:token>/",
        recovery.password_reset_confirm,
        name="password-reset-confirm",
    ),
]
