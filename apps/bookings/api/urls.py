from django.urls import path

from . import views

urlpatterns = [
    path("bookings/hold-seats/", views.HoldCreateView.as_view(), name="hold-create"),
    path("bookings/confirm/", views.ConfirmView.as_view(), name="booking-confirm"),
    path("bookings/", views.BookingListView.as_view(), name="booking-list"),
    path("bookings/<int:booking_id>/", views.BookingDetailView.as_view(), name="booking-detail"),
    path(
        "bookings/<int:booking_id>/cancel/",
        views.BookingCancelView.as_view(),
        name="booking-cancel",
    ),
    path("holds/", views.HoldListView.as_view(), name="hold-list"),
    path("holds/<int:hold_id>/", views.HoldDetailView.as_view(), name="hold-detail"),
]
