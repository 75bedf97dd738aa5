"""Paying with a card that asks for 3-D Secure: the hand-off to the bank's page, and the
page the bank sends the customer back to (`/payments/<id>/return/`)."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from apps.accounts.pages import login_required_page
from apps.bookings import services as bookings
from apps.bookings.api.payments import payment_return_url
from apps.bookings.models import Payment

__all__ = ["authorise", "payment_return", "payment_return_url"]


def authorise(request: HttpRequest, outcome: bookings.Outcome) -> HttpResponse:
    """The confirm answered 202: send the customer on to their bank.

    A page with a link (followed at once by a meta refresh), not a redirect: the pay form
    was a POST, and `form-action 'self'` (our CSP) stops a form's redirect to another
    site. Reloading it repeats the POST with the same key: the same 202, no new charge."""
    url = outcome.body.get("redirect_url")
    back = reverse("payment-return", args=[outcome.body["payment"]])
    return render(request, "site/payment_action.html", {"url": url or back, "bank": bool(url)})


@login_required_page
def payment_return(request: HttpRequest, payment_id: int) -> HttpResponse:
    """Back from the bank: ask the provider how the payment ended (never the query string
    the bank appended), then show the booking or say what to do."""
    payment = bookings.payment_resume(payment_id=payment_id, user=request.user)
    if payment is None:
        raise Http404("No such payment.")
    checkout = reverse("slot-detail", args=[payment.slot_id]) + "#checkout"
    if payment.status == Payment.Status.SUCCEEDED:
        messages.success(request, f"Booked. Your reference is {payment.booking.reference}.")
        return redirect("booking-detail", booking_id=payment.booking_id)
    if payment.status in (Payment.Status.PENDING, Payment.Status.CHARGED):
        messages.info(
            request,
            "Your bank has not confirmed the payment yet. Your seats stay held; this page "
            "shows the booking as soon as it is confirmed.",
        )
        return redirect("my-bookings")
    if payment.status == Payment.Status.FAILED:
        messages.error(
            request,
            "The payment was not completed (your bank did not confirm it, or the card was "
            "declined). Nothing was charged. If your seats are still held, pay again.",
        )
        return redirect(checkout)
    messages.error(
        request,
        "The hold expired while you were paying; the charge will be refunded. "
        "Hold the seats again.",
    )
    return redirect(checkout)
