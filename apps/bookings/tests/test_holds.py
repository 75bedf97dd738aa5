from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from apps.bookings import errors, selectors, services
from apps.bookings.models import GeneralInventory, Hold, SeatClaim
from apps.scheduling.models import Slot

pytestmark = pytest.mark.django_db


def expire(hold: Hold) -> None:
    """Move a hold's expiry into the past, as the database clock will see it."""
    past = timezone.now() - timedelta(seconds=5)
    Hold.objects.filter(pk=hold.pk).update(expires_at=past)
    SeatClaim.objects.filter(hold=hold).update(expires_at=past)


def test_hold_reserved_seats(customer, reserved_slot, seat_ids):
    hold = services.hold_create(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:2])
    assert hold.quantity == 2
    assert hold.total == Decimal("20.00")
    assert set(hold.claims.values_list("seat_id", flat=True)) == set(seat_ids[:2])
    assert selectors.seat_statuses(reserved_slot) == {seat_ids[0]: "held", seat_ids[1]: "held"}
    assert selectors.slot_available(reserved_slot.pk) == 18
    remaining = (hold.expires_at - timezone.now()).total_seconds()
    assert 290 < remaining <= 301


def test_premium_seats_cost_more(customer, reserved_slot, seat_ids):
    premium = list(
        reserved_slot.screen.seats.filter(category="premium").values_list("id", flat=True)[:1]
    )
    hold = services.hold_create(user=customer, slot_id=reserved_slot.pk, seat_ids=premium)
    assert hold.total == Decimal("15.00")


def test_hold_is_all_or_nothing(customer, organizer, reserved_slot, seat_ids):
    services.hold_create(user=organizer, slot_id=reserved_slot.pk, seat_ids=[seat_ids[1]])
    with pytest.raises(errors.SeatUnavailable) as caught:
        services.hold_create(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:3])
    assert caught.value.details == {"seats": [seat_ids[1]]}
    assert not Hold.objects.filter(user=customer).exists()
    assert SeatClaim.objects.filter(slot=reserved_slot).count() == 1


def test_a_new_hold_replaces_the_previous_one(customer, reserved_slot, seat_ids):
    first = services.hold_create(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:2])
    second = services.hold_create(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[1:4])
    assert not Hold.objects.filter(pk=first.pk).exists()
    assert set(selectors.seat_statuses(reserved_slot)) == set(seat_ids[1:4])
    assert Hold.objects.get(user=customer).pk == second.pk


def test_a_refused_hold_keeps_the_previous_one(customer, organizer, reserved_slot, seat_ids):
    first = services.hold_create(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:1])
    services.hold_create(user=organizer, slot_id=reserved_slot.pk, seat_ids=[seat_ids[5]])
    with pytest.raises(errors.SeatUnavailable):
        services.hold_create(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[4:6])
    assert Hold.objects.filter(pk=first.pk).exists()


def test_an_expired_hold_frees_its_seats_without_any_sweeper(
    customer, organizer, reserved_slot, seat_ids
):
    hold = services.hold_create(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:2])
    expire(hold)
    assert selectors.seat_statuses(reserved_slot) == {}
    assert selectors.slot_available(reserved_slot.pk) == 20
    taken = services.hold_create(user=organizer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:2])
    assert taken.quantity == 2
    assert sorted(SeatClaim.objects.filter(hold=taken).values_list("seat_id", flat=True)) == sorted(
        seat_ids[:2]
    )
    assert not SeatClaim.objects.filter(hold=hold).exists()


def test_a_hold_over_expired_and_live_claims_takes_nothing(
    customer, organizer, make_user, reserved_slot, seat_ids
):
    lapsed = services.hold_create(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:1])
    expire(lapsed)
    live = services.hold_create(
        user=make_user("third@example.org"), slot_id=reserved_slot.pk, seat_ids=seat_ids[1:2]
    )
    with pytest.raises(errors.SeatUnavailable) as caught:
        services.hold_create(user=organizer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:2])
    assert caught.value.details == {"seats": [seat_ids[1]]}
    # All or nothing: the expired claim was not taken over either.
    assert SeatClaim.objects.get(seat_id=seat_ids[0]).hold_id == lapsed.pk
    assert SeatClaim.objects.get(seat_id=seat_ids[1]).hold_id == live.pk
    assert not Hold.objects.filter(user=organizer).exists()


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"quantity": 2}, errors.SeatingMismatch),
        ({"seat_ids": []}, errors.SeatingMismatch),
        ({"seat_ids": list(range(1, 12))}, errors.TooManySeats),
    ],
)
def test_bad_requests_are_refused(customer, reserved_slot, kwargs, error):
    with pytest.raises(error):
        services.hold_create(user=customer, slot_id=reserved_slot.pk, **kwargs)


def test_duplicate_and_foreign_seats_are_refused(customer, reserved_slot, seat_ids):
    with pytest.raises(errors.InvalidSeats):
        services.hold_create(
            user=customer, slot_id=reserved_slot.pk, seat_ids=[seat_ids[0], seat_ids[0]]
        )
    with pytest.raises(errors.InvalidSeats) as caught:
        services.hold_create(
            user=customer, slot_id=reserved_slot.pk, seat_ids=[seat_ids[0], 999_999]
        )
    assert caught.value.details == {"seats": [999_999]}


def test_a_slot_not_on_sale_cannot_be_held(customer, reserved_slot, seat_ids):
    Slot.objects.filter(pk=reserved_slot.pk).update(
        sales_open_at=timezone.now() + timedelta(hours=1)
    )
    with pytest.raises(errors.SlotNotOnSale):
        services.hold_create(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:1])
    Slot.objects.filter(pk=reserved_slot.pk).update(
        sales_open_at=None, starts_at=timezone.now() - timedelta(minutes=1)
    )
    with pytest.raises(errors.SlotNotOnSale):
        services.hold_create(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:1])


def test_unknown_slot(customer):
    with pytest.raises(errors.SlotNotOnSale) as caught:
        services.hold_create(user=customer, slot_id=987654, quantity=1)
    assert caught.value.code == "slot_not_found"


def test_release_frees_seats(customer, reserved_slot, seat_ids):
    hold = services.hold_create(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:2])
    services.hold_release(user=customer, hold_id=hold.pk)
    assert selectors.seat_statuses(reserved_slot) == {}


def test_release_of_someone_elses_hold_is_not_found(customer, organizer, reserved_slot, seat_ids):
    hold = services.hold_create(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:2])
    with pytest.raises(errors.HoldNotFound):
        services.hold_release(user=organizer, hold_id=hold.pk)


def test_general_admission_counts_places(customer, organizer, general_slot):
    hold = services.hold_create(user=customer, slot_id=general_slot.pk, quantity=3)
    assert hold.total == Decimal("75.00")
    assert GeneralInventory.objects.get(slot=general_slot).available == 27
    assert selectors.slot_available(general_slot.pk) == 27
    GeneralInventory.objects.filter(slot=general_slot).update(available=2)
    with pytest.raises(errors.SeatUnavailable) as caught:
        services.hold_create(user=organizer, slot_id=general_slot.pk, quantity=3)
    assert caught.value.details == {"available": 2}


def test_general_admission_expired_holds_give_places_back(customer, organizer, general_slot):
    hold = services.hold_create(user=customer, slot_id=general_slot.pk, quantity=10)
    GeneralInventory.objects.filter(slot=general_slot).update(available=0)  # sold out otherwise
    expire(hold)
    assert selectors.slot_available(general_slot.pk) == 10
    services.hold_create(user=organizer, slot_id=general_slot.pk, quantity=10)
    assert not Hold.objects.filter(pk=hold.pk).exists()
    assert GeneralInventory.objects.get(slot=general_slot).available == 0


def test_general_admission_release_and_replace(customer, general_slot):
    hold = services.hold_create(user=customer, slot_id=general_slot.pk, quantity=4)
    services.hold_create(user=customer, slot_id=general_slot.pk, quantity=2)
    assert not Hold.objects.filter(pk=hold.pk).exists()
    assert GeneralInventory.objects.get(slot=general_slot).available == 28
    services.hold_release(user=customer, hold_id=Hold.objects.get(user=customer).pk)
    assert GeneralInventory.objects.get(slot=general_slot).available == 30


def test_sweeper_deletes_expired_holds_and_bumps_the_version(
    customer, organizer, reserved_slot, general_slot, seat_ids, django_capture_on_commit_callbacks
):
    reserved = services.hold_create(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:2])
    general = services.hold_create(user=customer, slot_id=general_slot.pk, quantity=5)
    live = services.hold_create(user=organizer, slot_id=reserved_slot.pk, seat_ids=seat_ids[5:6])
    version = Slot.objects.get(pk=reserved_slot.pk).seatmap_version
    expire(reserved)
    expire(general)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.holds_expire() == 2
    assert list(Hold.objects.values_list("pk", flat=True)) == [live.pk]
    assert GeneralInventory.objects.get(slot=general_slot).available == 30
    assert Slot.objects.get(pk=reserved_slot.pk).seatmap_version == version + 1
    assert services.holds_expire() == 0


@pytest.mark.django_db(transaction=True)
def test_locking_helpers_refuse_to_run_outside_a_transaction(reserved_slot):
    assert not connection.in_atomic_block
    with pytest.raises(RuntimeError):
        services.holds._reclaim_expired_general(reserved_slot.pk, timezone.now())


def test_every_change_bumps_the_seatmap_version(
    customer, reserved_slot, seat_ids, django_capture_on_commit_callbacks
):
    start = Slot.objects.get(pk=reserved_slot.pk).seatmap_version
    with django_capture_on_commit_callbacks(execute=True):
        hold = services.hold_create(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:2])
    with django_capture_on_commit_callbacks(execute=True):
        services.hold_release(user=customer, hold_id=hold.pk)
    assert Slot.objects.get(pk=reserved_slot.pk).seatmap_version == start + 2


def test_general_capacity_changes_follow_into_the_inventory(customer, general_slot):
    from apps.scheduling.services import slot_update

    services.hold_create(user=customer, slot_id=general_slot.pk, quantity=5)
    slot_update(slot=general_slot, capacity=40)
    assert GeneralInventory.objects.get(slot=general_slot).available == 35
    assert selectors.slot_available(general_slot.pk) == 35
    slot_update(slot=Slot.objects.get(pk=general_slot.pk), capacity=10)
    assert GeneralInventory.objects.get(slot=general_slot).available == 5
    with pytest.raises(errors.CapacityBelowSold):
        slot_update(slot=Slot.objects.get(pk=general_slot.pk), capacity=4)
    assert GeneralInventory.objects.get(slot=general_slot).available == 5
    assert Slot.objects.get(pk=general_slot.pk).capacity == 10  # refused before the write


def test_saving_a_slot_directly_runs_no_booking_rule(customer, general_slot):
    """The capacity rule lives in slot_update, not in a post_save receiver: a raw save
    (a shell, a data migration) changes the row and nothing else, and raises nothing."""
    services.hold_create(user=customer, slot_id=general_slot.pk, quantity=5)
    general_slot.capacity = 4
    general_slot.save()
    assert GeneralInventory.objects.get(slot=general_slot).available == 25
