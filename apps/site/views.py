"""Public pages: parse the request, call one service or selector, render or redirect.

Errors from the services come back as messages on the page they concern, never
as a blank or broken page.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import EmailField
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import rotate_token
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.exceptions import ValidationError as DRFValidationError

from apps.accounts import services as accounts
from apps.accounts import verification
from apps.accounts.cookies import set_auth_cookies
from apps.accounts.pages import login_required_page
from apps.bookings import documents
from apps.bookings import selectors as bookings_selectors
from apps.bookings import services as bookings
from apps.bookings.selectors import held_ticket_payload, held_tickets, mask_email
from apps.catalog.models import EventType
from apps.core.exceptions import ApplicationError
from apps.scheduling import selectors as scheduling

from . import payments, selectors
from .forms import (
    EventSearchForm,
    LoginForm,
    PaymentForm,
    QuantityHoldForm,
    RegisterForm,
    TypedQuantitiesForm,
)


def _next_url(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


# --- browsing


def home(request: HttpRequest) -> HttpResponse:
    cities = selectors.event_cities()
    form = EventSearchForm(request.GET or None, cities=cities)
    filters = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "search": data["q"],
            "type": data["type"],
            "city": data["city"],
            "date_from": data["date_from"],
            "date_to": data["date_to"],
        }
    events = selectors.event_search(request.user, **filters) if not form.errors else []
    return render(
        request,
        "site/home.html",
        {
            "form": form,
            "events": events,
            "filtered": any(filters.values()),
            "types": dict(EventType.choices),
        },
    )


def event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    event = scheduling.event_list(request.user).filter(pk=event_id).first()
    if event is None:
        raise Http404("No such event.")
    days = selectors.event_showtimes_by_day(event, request.user)
    return render(request, "site/event_detail.html", {"event": event, "days": days})


def slot_detail(request: HttpRequest, slot_id: int) -> HttpResponse:
    slot = selectors.slot_for_page(request.user, slot_id)
    if slot is None:
        raise Http404("No such showtime.")
    context = selectors.slot_page(slot, request.user)
    context.update(
        slot=slot,
        event=slot.event,
        payment_form=PaymentForm(),
        quantity_form=QuantityHoldForm(),
    )
    return render(request, "site/slot_detail.html", context)


# --- checkout


@require_POST
@login_required_page
def slot_hold(request: HttpRequest, slot_id: int) -> HttpResponse:
    """Hold a quantity of a general-admission showtime, or a quantity per ticket type
    (reserved seats are held by the picker)."""
    back = reverse("slot-detail", args=[slot_id])
    if any(name.startswith("qty_") for name in request.POST):  # a quantity per ticket type
        form = TypedQuantitiesForm(request.POST)
        wanted = {"quantities": form.cleaned_data["quantities"]} if form.is_valid() else None
    else:
        form = QuantityHoldForm(request.POST)
        wanted = {"quantity": form.cleaned_data["quantity"]} if form.is_valid() else None
    if wanted is None:
        messages.error(request, "Choose between 1 and 10 tickets.")
        return redirect(back)
    try:
        bookings.hold_create(user=request.user, slot_id=slot_id, **wanted)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(back + "#checkout")


@require_POST
@login_required_page
def hold_pay(request: HttpRequest, hold_id: int) -> HttpResponse:
    """Pay for a hold (the test provider, or Stripe when configured); the form's key makes a
    double submit book once. A card that asks for 3-D Secure goes on to the bank's page."""
    form = PaymentForm(request.POST)
    back = _next_url(request, reverse("my-bookings"))
    if not form.is_valid():
        messages.error(request, "Choose a card and press Pay and book again.")
        return redirect(back)
    token = form.cleaned_data["token"]
    body = {"hold": hold_id, "payment": {"method": form.method, "token": token}}
    try:
        outcome = bookings.booking_confirm(
            user=request.user,
            hold_id=hold_id,
            method=form.method,
            token=token,
            key=form.cleaned_data["idempotency_key"],
            fingerprint=bookings.request_fingerprint(body),
            return_url=payments.payment_return_url(request),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    if outcome.status == 202:
        return payments.authorise(request, outcome)
    if outcome.status != 201:
        messages.error(request, outcome.body["error"]["message"])
        return redirect(back)
    messages.success(request, f"Booked. Your reference is {outcome.body['reference']}.")
    return redirect("booking-detail", booking_id=outcome.body["id"])


@require_POST
@login_required_page
def hold_promo(request: HttpRequest, hold_id: int) -> HttpResponse:
    """Apply a promo code to the user's hold: the same seats held again, priced with it.
    A code that does not apply leaves the hold as it was and says why."""
    hold = bookings_selectors.hold_list(request.user).filter(pk=hold_id).first()
    if hold is None:
        raise Http404("No such hold of yours.")
    back = reverse("slot-detail", args=[hold.slot_id]) + "#checkout"
    code = request.POST.get("promo_code", "").strip()[:32]
    if not code or hold.kind != hold.Kind.PURCHASE:
        messages.error(request, "Enter a promo code.")
        return redirect(back)
    seat_ids = sorted(claim.seat_id for claim in hold.claims.all())
    try:
        held = bookings.hold_create(
            user=request.user, slot_id=hold.slot_id, promo_code=code, **hold.held_again(seat_ids)
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Code {code.upper()} applied: {held.discount} off.")
    return redirect(back)


@require_POST
@login_required_page
def hold_release(request: HttpRequest, hold_id: int) -> HttpResponse:
    try:
        bookings.hold_release(user=request.user, hold_id=hold_id)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Your seats were released.")
    return redirect(_next_url(request, reverse("my-bookings")))


# --- my bookings


@login_required_page
def my_bookings(request: HttpRequest) -> HttpResponse:
    context = selectors.my_bookings(request.user)
    context.update(holds=selectors.my_holds(request.user), payment_form=PaymentForm())
    context["given"] = _given_tickets(request.user)
    return render(request, "site/my_bookings.html", context)


def _given_tickets(user) -> list[dict]:
    """The tickets someone gave the user, with their QR codes, and whether they can be
    given on (valid, their booking confirmed, the showtime still to come)."""
    now = timezone.now()
    return [
        {
            **held_ticket_payload(ticket),
            "ticket": ticket,
            "transferable": ticket.status == "valid"
            and ticket.booking.status == "confirmed"
            and ticket.booking.slot.starts_at > now,
        }
        for ticket in held_tickets(user)
    ]


@login_required_page
def booking_detail(request: HttpRequest, booking_id: int) -> HttpResponse:
    context = selectors.booking_detail(request.user, booking_id)
    if context is None:
        raise Http404("No such booking of yours.")
    return render(request, "site/booking_detail.html", context)


@login_required_page
def booking_tickets(request: HttpRequest, booking_id: int) -> HttpResponse:
    """The booking's tickets as a PDF to save (one page per ticket)."""
    booking = documents.booking_for_documents(request.user, booking_id)
    if booking is None:
        raise Http404("No such booking of yours.")
    return documents.download(
        documents.tickets_pdf(booking),
        name=documents.filename(booking, "pdf"),
        content_type=documents.PDF_TYPE,
    )


@login_required_page
def held_ticket_pdf(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """A ticket someone gave the user, as a one-page PDF with its (new) QR code."""
    ticket = documents.held_ticket(request.user, ticket_id)
    if ticket is None:
        raise Http404("No such ticket given to you.")
    booking = ticket.booking
    return documents.download(
        documents.tickets_pdf(booking, tickets=[ticket], as_holder=True),
        name=f"venue-{booking.reference}-{ticket.number}.pdf",
        content_type=documents.PDF_TYPE,
    )


@login_required_page
def booking_calendar(request: HttpRequest, booking_id: int) -> HttpResponse:
    """The booking's showtime as an .ics file, linking back to the booking page."""
    booking = documents.booking_for_documents(request.user, booking_id)
    if booking is None:
        raise Http404("No such booking of yours.")
    page = request.build_absolute_uri(reverse("booking-detail", args=[booking.pk]))
    return documents.download(
        documents.booking_ics(booking, url=page),
        name=documents.filename(booking, "ics"),
        content_type=documents.ICS_TYPE,
    )


@require_http_methods(["GET", "POST"])
@login_required_page
def booking_cancel(request: HttpRequest, booking_id: int) -> HttpResponse:
    """GET asks for confirmation; POST cancels through the booking engine."""
    context = selectors.booking_detail(request.user, booking_id)
    if context is None:
        raise Http404("No such booking of yours.")
    if request.method == "GET":
        return render(request, "site/booking_cancel.html", context)
    live = {t["number"] for t in context["live_tickets"]}
    chosen = {int(n) for n in request.POST.getlist("tickets") if n.isdigit()} & live
    if request.POST.get("choosing") and not chosen:  # the form listed tickets, none ticked
        messages.error(request, "Choose at least one ticket to cancel.")
        return redirect("booking-cancel", booking_id=booking_id)
    try:
        if chosen and chosen != live:
            result = bookings.booking_tickets_cancel(
                booking_id=booking_id, numbers=sorted(chosen), user=request.user
            )
        else:
            booking = bookings.booking_cancel(user=request.user, booking_id=booking_id)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("booking-detail", booking_id=booking_id)
    if chosen and chosen != live:
        count = len(result.numbers)
        messages.success(
            request,
            f"{count} ticket{pluralize(count)} cancelled; the seats are free again and "
            f"{result.amount} will be refunded"
            + (" (booking fees are not refunded)." if context["keeps_fees"] else "."),
        )
        return redirect("booking-detail", booking_id=booking_id)
    messages.success(
        request,
        f"Booking {booking.reference} is cancelled; its seats are free again and "
        f"the {booking.total} you paid will be refunded.",
    )
    return redirect("my-bookings")


@require_POST
@login_required_page
def ticket_transfer(request: HttpRequest, booking_id: int, number: int) -> HttpResponse:
    """Give one ticket to someone by email (the booking's buyer, or whoever was given it);
    back to the page the form was on, with what happened."""
    back = _next_url(request, reverse("booking-detail", args=[booking_id]))
    try:
        email = EmailField(max_length=254).clean(request.POST.get("email", ""))
    except ValidationError:
        messages.error(request, "Enter the email address of the person to give the ticket to.")
        return redirect(back)
    try:
        bookings.ticket_transfer(
            user=request.user,
            email=email,
            base_url=request.build_absolute_uri("/"),
            booking_id=booking_id,
            number=number,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(
        request,
        f"Ticket {number} was given to {mask_email(email.lower())}: we emailed them its QR "
        "code. The code you had for it no longer admits anyone.",
    )
    return redirect(back)


# --- accounts


def _signed_in(request: HttpRequest, user, target: str) -> HttpResponse:
    refresh = accounts.tokens_issue(user=user)
    response = redirect(target)
    set_auth_cookies(response, access=str(refresh.access_token), refresh=str(refresh))
    rotate_token(request)
    return response


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    target = _next_url(request, reverse("home"))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = accounts.user_login(request=request, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Welcome back, {user.full_name or user.email}.")
            return _signed_in(request, user, target)
    return render(request, "site/login.html", {"form": form, "next": target})


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    target = _next_url(request, reverse("home"))
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = accounts.user_register(**form.cleaned_data)
        except DRFValidationError as exc:
            for message in exc.detail.get("password", []):
                form.add_error("password", str(message))
        except ApplicationError as exc:
            form.add_error("email", f"{exc.message} Log in instead, or use another email.")
        else:
            verification.verification_request(user=user, base_url=request.build_absolute_uri("/"))
            messages.success(
                request,
                "Your account is ready. Welcome to VENUE. We emailed you a link to confirm "
                "your address.",
            )
            return _signed_in(request, user, target)
    return render(request, "site/register.html", {"form": form, "next": target})
