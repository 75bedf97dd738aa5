from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from apps.bookings import realtime
from apps.bookings import services as booking_services
from apps.bookings.models import Hold, SeatClaim
from apps.catalog import services as catalog_services
from apps.waitlist import errors, services, tasks
from apps.waitlist.models import WaitlistEntry
from tests.support.booking import book, pay
from tests.support.fixtures import grid

pytestmark = pytest.mark.django_db
Status = WaitlistEntry.Status


def expire(hold_id: int) -> None:
    past = timezone.now() - timedelta(seconds=1)
    Hold.objects.filter(pk=hold_id).update(expires_at=past)
    SeatClaim.objects.filter(hold_id=hold_id).update(expires_at=past)


def entry_of(user, slot) -> WaitlistEntry:
    return WaitlistEntry.objects.filter(user=user, slot=slot).latest("id")


def test_join_refused_while_the_slot_can_sell_that_many(reserved_slot, seat_ids, people):
    (fan,) = people(1)
    with pytest.raises(errors.SeatsAvailable) as exc:
        services.waitlist_join(user=fan, slot_id=reserved_slot.pk, quantity=2)
    assert exc.value.details == {"available": 20}
    book(people(1, "owner")[0], reserved_slot.pk, seat_ids=seat_ids[:10])
    book(people(1, "owner")[0], reserved_slot.pk, seat_ids=seat_ids[10:19])
    with pytest.raises(errors.SeatsAvailable):  # one left: enough for one
        services.waitlist_join(user=fan, slot_id=reserved_slot.pk, quantity=1)
    entry = services.waitlist_join(user=fan, slot_id=reserved_slot.pk, quantity=2)
    assert entry.status == Status.WAITING


def test_cancellation_offers_held_seats_to_the_first_in_line(
    reserved_slot, sold_out, people, django_capture_on_commit_callbacks, monkeypatch
):
    pushed = []
    monkeypatch.setattr(realtime, "notify_user", lambda uid, msg: pushed.append((uid, msg)))
    first, second = people(2)
    services.waitlist_join(user=first, slot_id=reserved_slot.pk, quantity=2)
    services.waitlist_join(user=second, slot_id=reserved_slot.pk, quantity=4)
    row_c = sold_out[2]
    with django_capture_on_commit_callbacks(execute=True):
        booking_services.booking_cancel(user=row_c.user, booking_id=row_c.pk)

    entry = entry_of(first, reserved_slot)
    assert entry.status == Status.OFFERED and entry.offered_at
    hold = Hold.objects.get(pk=entry.offered_hold_id)
    assert hold.user == first and hold.kind == Hold.Kind.OFFER and hold.quantity == 2
    seats = list(hold.claims.order_by("seat__x").values_list("seat__row", "seat__x"))
    assert seats[0][0] == seats[1][0] == "C" and seats[1][1] == seats[0][1] + 1  # together
    lifetime = (hold.expires_at - hold.created_at).total_seconds()
    assert 590 < lifetime <= 600
    assert entry_of(second, reserved_slot).status == Status.WAITING  # 3 seats left, not 4
    assert [m.to for m in mail.outbox if "held for you" in m.subject] == [[first.email]]
    assert pushed == [(first.pk, pushed[0][1])] and pushed[0][1]["type"] == "waitlist_offer"
    assert pushed[0][1]["hold"] == hold.pk

    # the offer is an ordinary hold: confirm books it and fulfils the entry
    with django_capture_on_commit_callbacks(execute=True):
        pay(first, hold.pk)
    assert entry_of(first, reserved_slot).status == Status.FULFILLED


@override_settings(VENUE_WAITLIST_OFFER_SECONDS=60)
def test_an_expired_offer_passes_to_the_next_in_line(
    reserved_slot, sold_out, people, django_capture_on_commit_callbacks
):
    first, second = people(2)
    services.waitlist_join(user=first, slot_id=reserved_slot.pk, quantity=3)
    services.waitlist_join(user=second, slot_id=reserved_slot.pk, quantity=3)
    with django_capture_on_commit_callbacks(execute=True):
        booking_services.booking_cancel(user=sold_out[0].user, booking_id=sold_out[0].pk)
    offer = entry_of(first, reserved_slot)
    hold = Hold.objects.get(pk=offer.offered_hold_id)
    assert (hold.expires_at - hold.created_at).total_seconds() <= 60
    expire(hold.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert booking_services.holds_expire() == 1  # the sweeper: what beat (or eager) runs

    assert entry_of(first, reserved_slot).status == Status.EXPIRED
    nxt = entry_of(second, reserved_slot)
    assert nxt.status == Status.OFFERED
    assert Hold.objects.get(pk=nxt.offered_hold_id).user == second


def test_declining_by_releasing_the_hold_passes_the_offer_on(
    reserved_slot, sold_out, people, api_client, django_capture_on_commit_callbacks
):
    first, second = people(2)
    services.waitlist_join(user=first, slot_id=reserved_slot.pk, quantity=5)
    services.waitlist_join(user=second, slot_id=reserved_slot.pk, quantity=5)
    with django_capture_on_commit_callbacks(execute=True):
        booking_services.booking_cancel(user=sold_out[1].user, booking_id=sold_out[1].pk)
    hold_id = entry_of(first, reserved_slot).offered_hold_id
    api_client.force_authenticate(first)
    assert [h["id"] for h in api_client.get("/api/v1/holds/").json()["results"]] == [hold_id]
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.delete(f"/api/v1/holds/{hold_id}/").status_code == 204
    assert entry_of(first, reserved_slot).status == Status.EXPIRED
    assert entry_of(second, reserved_slot).status == Status.OFFERED


def test_leaving_with_an_offer_declines_it(
    reserved_slot, sold_out, people, django_capture_on_commit_callbacks
):
    first, second = people(2)
    services.waitlist_join(user=first, slot_id=reserved_slot.pk, quantity=1)
    services.waitlist_join(user=second, slot_id=reserved_slot.pk, quantity=1)
    with django_capture_on_commit_callbacks(execute=True):
        booking_services.booking_cancel(user=sold_out[3].user, booking_id=sold_out[3].pk)
    # five seats freed: both single entries got offers at once
    assert entry_of(first, reserved_slot).status == Status.OFFERED
    assert entry_of(second, reserved_slot).status == Status.OFFERED
    held = entry_of(first, reserved_slot).offered_hold_id
    with django_capture_on_commit_callbacks(execute=True):
        services.waitlist_leave(user=first, slot_id=reserved_slot.pk)
    assert entry_of(first, reserved_slot).status == Status.LEFT
    assert not Hold.objects.filter(pk=held).exists()
    with pytest.raises(errors.EntryNotFound):
        services.waitlist_leave(user=first, slot_id=reserved_slot.pk)


@override_settings(VENUE_WAITLIST_MAX_SKIPS=2)
def test_fairness_singles_overtake_a_group_at_most_max_skips_times(
    reserved_slot, seat_ids, people, django_capture_on_commit_callbacks
):
    owners = people(20, prefix="owner")
    bookings = [book(o, reserved_slot.pk, seat_ids=[pk]) for o, pk in zip(owners, seat_ids)]
    group, *singles = people(5)
    services.waitlist_join(user=group, slot_id=reserved_slot.pk, quantity=4)
    for single in singles:
        services.waitlist_join(user=single, slot_id=reserved_slot.pk, quantity=1)

    def cancel(i):
        with django_capture_on_commit_callbacks(execute=True):
            booking_services.booking_cancel(booking_id=bookings[i].pk)

    cancel(0)
    cancel(1)
    assert [entry_of(s, reserved_slot).status for s in singles] == [
        Status.OFFERED, Status.OFFERED, Status.WAITING, Status.WAITING
    ]  # fmt: skip
    assert entry_of(group, reserved_slot).skipped == 2
    cancel(2)  # overtaken twice: now the group blocks the line
    cancel(3)
    cancel(4)
    assert entry_of(singles[2], reserved_slot).status == Status.WAITING
    assert entry_of(group, reserved_slot).status == Status.WAITING
    cancel(5)  # four free: the group's turn
    group_entry = entry_of(group, reserved_slot)
    assert group_entry.status == Status.OFFERED
    assert Hold.objects.get(pk=group_entry.offered_hold_id).quantity == 4
    assert entry_of(singles[2], reserved_slot).status == Status.WAITING
    cancel(6)  # then the line moves on
    assert entry_of(singles[2], reserved_slot).status == Status.OFFERED
    assert entry_of(singles[3], reserved_slot).status == Status.WAITING


def test_general_admission_offers_a_quantity(
    general_slot, ga_sold_out, people, django_capture_on_commit_callbacks
):
    pair, trio = people(2)
    services.waitlist_join(user=trio, slot_id=general_slot.pk, quantity=3)
    services.waitlist_join(user=pair, slot_id=general_slot.pk, quantity=2)
    with django_capture_on_commit_callbacks(execute=True):
        booking_services.booking_cancel(user=ga_sold_out[0].user, booking_id=ga_sold_out[0].pk)
    # 2 free: the trio does not fit, the pair overtakes it (once)
    assert entry_of(trio, general_slot).status == Status.WAITING
    assert entry_of(trio, general_slot).skipped == 1
    pair_entry = entry_of(pair, general_slot)
    assert pair_entry.status == Status.OFFERED
    assert Hold.objects.get(pk=pair_entry.offered_hold_id).quantity == 2
    with django_capture_on_commit_callbacks(execute=True):
        booking_services.booking_cancel(user=ga_sold_out[1].user, booking_id=ga_sold_out[1].pk)
    assert entry_of(trio, general_slot).status == Status.WAITING  # still only 2 free
    assert services.waitlist_promote(slot_id=general_slot.pk) == []


def test_a_larger_layout_raises_capacity_and_promotes(
    reserved_slot, sold_out, people, screen, django_capture_on_commit_callbacks
):
    (fan,) = people(1)
    services.waitlist_join(user=fan, slot_id=reserved_slot.pk, quantity=2)
    with django_capture_on_commit_callbacks(execute=True):
        catalog_services.screen_layout_replace(
            screen=screen, rows=grid("ABCDE", 5, premium_rows="D")
        )
    entry = entry_of(fan, reserved_slot)
    assert entry.status == Status.OFFERED
    rows = set(
        Hold.objects.get(pk=entry.offered_hold_id).claims.values_list("seat__row", flat=True)
    )
    assert rows == {"E"}


def test_a_raised_general_capacity_promotes(
    general_slot, ga_sold_out, people, django_capture_on_commit_callbacks
):
    from apps.scheduling.services import slot_update

    (fan,) = people(1)
    services.waitlist_join(user=fan, slot_id=general_slot.pk, quantity=3)
    with django_capture_on_commit_callbacks(execute=True):
        slot_update(slot=general_slot, capacity=general_slot.capacity + 3)
    entry = entry_of(fan, general_slot)
    assert entry.status == Status.OFFERED
    assert Hold.objects.get(pk=entry.offered_hold_id).quantity == 3


def test_periodic_pass_settles_lapsed_offers_without_the_sweeper(
    reserved_slot, sold_out, people, django_capture_on_commit_callbacks
):
    first, second = people(2)
    services.waitlist_join(user=first, slot_id=reserved_slot.pk, quantity=5)
    services.waitlist_join(user=second, slot_id=reserved_slot.pk, quantity=5)
    with django_capture_on_commit_callbacks(execute=True):
        booking_services.booking_cancel(user=sold_out[2].user, booking_id=sold_out[2].pk)
    expire(entry_of(first, reserved_slot).offered_hold_id)  # lapsed, not swept
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.promote_waiting.delay().get() == 1
    assert entry_of(first, reserved_slot).status == Status.EXPIRED
    assert entry_of(second, reserved_slot).status == Status.OFFERED
    # idempotent: running again changes nothing
    assert services.waitlist_promote(slot_id=reserved_slot.pk) == []
    assert services.waitlist_promote_all() == 0


def test_lines_of_started_showtimes_close(reserved_slot, sold_out, people):
    (fan,) = people(1)
    services.waitlist_join(user=fan, slot_id=reserved_slot.pk, quantity=1)
    type(reserved_slot).objects.filter(pk=reserved_slot.pk).update(
        starts_at=timezone.now() - timedelta(minutes=1),
        ends_at=timezone.now() + timedelta(hours=1),
    )
    assert services.waitlist_promote_all() == 0
    assert entry_of(fan, reserved_slot).status == Status.EXPIRED


def test_an_offer_lost_to_a_buyer_is_planned_again(
    reserved_slot, sold_out, people, seat_ids, monkeypatch, django_capture_on_commit_callbacks
):
    (fan,) = people(1)
    services.waitlist_join(user=fan, slot_id=reserved_slot.pk, quantity=1)
    with django_capture_on_commit_callbacks(execute=True):
        booking_services.booking_cancel(user=sold_out[0].user, booking_id=sold_out[0].pk)
    assert entry_of(fan, reserved_slot).status == Status.OFFERED
    # A buyer holds a seat the promotion planned with stale statuses: the step conflicts
    # and the next plan reads fresh ones.
    (late,) = people(1, prefix="late")
    buyer = people(1, prefix="buyer")[0]
    free = sorted(set(seat_ids[:5]) - set(SeatClaim.objects.values_list("seat_id", flat=True)))
    booking_services.hold_create(user=buyer, slot_id=reserved_slot.pk, seat_ids=[free[0]])
    real_choose = services.choose_seats
    calls = []

    def choose(seats, taken, quantity):
        calls.append(quantity)
        if len(calls) == 1:
            return [free[0]]
        return real_choose(seats, taken, quantity)

    monkeypatch.setattr(services, "choose_seats", choose)
    entry = WaitlistEntry.objects.create(user=late, slot=reserved_slot, quantity=1)
    assert services.waitlist_promote(slot_id=reserved_slot.pk) == [entry.pk]
    claim = SeatClaim.objects.get(hold_id=entry_of(late, reserved_slot).offered_hold_id)
    assert claim.seat_id != free[0]
    assert len(calls) == 2
    assert Hold.objects.get(user=buyer).claims.get().seat_id == free[0]


def test_closing_the_line_frees_offers_and_tells_everyone_once(
    reserved_slot, sold_out, people, django_capture_on_commit_callbacks
):
    offered, waiting = people(2, prefix="line")
    services.waitlist_join(user=offered, slot_id=reserved_slot.pk, quantity=5)
    services.waitlist_join(user=waiting, slot_id=reserved_slot.pk, quantity=1)
    with django_capture_on_commit_callbacks(execute=True):
        booking_services.booking_cancel(user=sold_out[3].user, booking_id=sold_out[3].pk)
    held = entry_of(offered, reserved_slot).offered_hold_id
    assert entry_of(waiting, reserved_slot).status == Status.WAITING
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        closed = services.waitlist_close(slot_id=reserved_slot.pk)
    assert len(closed) == 2
    assert set(WaitlistEntry.objects.values_list("status", flat=True)) == {"closed"}
    assert not Hold.objects.filter(pk=held).exists()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([offered.email, waiting.email])
    assert all("waitlist is closed" in m.body for m in mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.waitlist_close(slot_id=reserved_slot.pk) == []
    assert len(mail.outbox) == 2
