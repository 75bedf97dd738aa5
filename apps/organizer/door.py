"""The door pages, for every staff member of a showtime: `/organizer/checkin/` (the
showtimes whose door the user works, soonest first) and `/organizer/checkin/<slot id>/`
(the scanner).

Not behind `organizer_required`: scanners are not organizers, yet they work the door.
The rule is the door's own (`apps.checkin.selectors.staff_slots`): anonymous visitors
log in first, users on no organizer's team get the 403 page, and a showtime the user's
team does not work is a 404. The page is a shell; static/js/scanner.js does the work
through the door's API and `/ws/checkin/<id>/`.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from apps.accounts.pages import login_required_page
from apps.accounts.permissions import is_organizer, is_staff_member
from apps.checkin import selectors as door


@require_GET
@login_required_page
def checkin_page(request: HttpRequest, slot_id: int) -> HttpResponse:
    if not is_staff_member(request.user):
        raise PermissionDenied("The door scanner is for an organizer's staff.")
    slot = door.staff_slots(request.user).filter(pk=slot_id).first()
    if slot is None:
        raise Http404("No such showtime of yours.")
    context = {
        "slot": slot,
        "figures": door.checkin_figures(slot),
        # Scanners cannot open the rest of the portal: show them no links to it.
        "portal_nav": is_organizer(request.user),
    }
    return render(request, "organizer/checkin.html", context)


# The door index lists showtimes that started up to this long ago (still at the door)
# through the next DOOR_DAYS.
DOOR_LOOKBACK = timedelta(hours=12)
DOOR_DAYS = 7


@require_GET
@login_required_page
def checkin_index(request: HttpRequest) -> HttpResponse:
    if not is_staff_member(request.user):
        raise PermissionDenied("The door is for an organizer's staff.")
    now = timezone.now()
    slots = (
        door.staff_slots(request.user)
        .filter(ends_at__gte=now - DOOR_LOOKBACK, starts_at__lte=now + timedelta(days=DOOR_DAYS))
        .order_by("starts_at", "pk")[:100]
    )
    context = {
        "rows": [{"slot": slot, "figures": door.checkin_figures(slot)} for slot in slots],
        "days": DOOR_DAYS,
        "portal_nav": is_organizer(request.user),
    }
    return render(request, "organizer/checkin_index.html", context)
