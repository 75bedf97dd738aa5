import time as clock
from datetime import date, time, timedelta

import pytest
from django.utils import timezone

from apps.catalog import services as catalog
from apps.scheduling import services
from apps.scheduling.models import GenerationJob, ScheduleRule, Slot, SlotPrice
from tests.support.fixtures import grid
from tests.support.showtimes import PRICES

pytestmark = pytest.mark.django_db


def tomorrow() -> date:
    return timezone.localdate() + timedelta(days=1)


def rule_for(event, screen, **fields) -> ScheduleRule:
    values = {
        "mode": "times",
        "date_from": tomorrow(),
        "date_to": tomorrow() + timedelta(days=6),
        "start_times": ["12:00", "18:00"],
        "prices": PRICES,
    }
    values.update(fields)
    return ScheduleRule.objects.create(event=event, screen=screen, **values)


def test_times_rule_creates_slots_with_prices_and_rerun_never_duplicates(event, screen):
    rule = rule_for(event, screen)
    first = services.slots_generate(rule=rule)
    assert (first.total, first.created, first.skipped, first.conflicted) == (14, 14, 0, 0)
    assert SlotPrice.objects.count() == 28
    assert Slot.objects.filter(rule=rule, capacity=20).count() == 14
    again = services.slots_generate(rule=rule)
    assert (again.created, again.skipped) == (0, 14)
    # A second, wider rule only fills the gaps.
    wider = rule_for(event, screen, date_to=tomorrow() + timedelta(days=9))
    assert services.slots_generate(rule=wider).created == 6
    assert Slot.objects.count() == 20


def test_generated_slots_respect_existing_slots(event, screen):
    venue_tz = screen.venue.tzinfo
    start = timezone.datetime.combine(tomorrow(), time(11), tzinfo=venue_tz)
    blocker = services.slot_create(
        event=event,
        screen=screen,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        seating="reserved",
        prices=PRICES,
    )
    result = services.slots_generate(rule=rule_for(event, screen, date_to=tomorrow()))
    assert (result.created, result.conflicted) == (1, 1)
    conflict = timezone.datetime.fromisoformat(result.conflicts[0]["starts_at"])
    assert conflict.astimezone(venue_tz).hour == 12
    assert Slot.objects.exclude(pk=blocker.pk).get().starts_at.astimezone(venue_tz).hour == 18


def test_start_times_of_one_rule_that_overlap_each_other_conflict(event, screen):
    result = services.slots_generate(
        rule=rule_for(event, screen, date_to=tomorrow(), start_times=["18:00", "19:00"])
    )
    assert (result.created, result.conflicted) == (1, 1)


def test_past_showtimes_are_skipped(event, screen):
    today = timezone.localdate(timezone=screen.venue.tzinfo)
    rule = rule_for(
        event, screen, date_from=today - timedelta(days=1), date_to=today, start_times=["00:00"]
    )
    result = services.slots_generate(rule=rule)
    assert (result.total, result.created, result.skipped) == (2, 0, 2)


def test_pack_rule_uses_runtime_buffer_and_screen_hours(event, screen):
    # Screen opens 10:00-23:30; runtime 100 + buffer 20 = 2 h: 10, 12, 14, 16, 18, 20 (ends 21:40).
    rule = rule_for(event, screen, mode="pack", start_times=[], date_to=tomorrow())
    services.slots_generate(rule=rule)
    tz = screen.venue.tzinfo
    hours = [
        s.starts_at.astimezone(tz).strftime("%H:%M") for s in Slot.objects.order_by("starts_at")
    ]
    assert hours == ["10:00", "12:00", "14:00", "16:00", "18:00", "20:00"]


def test_pack_rule_longer_than_opening_hours_is_refused(org_client, event, screen):
    response = org_client.post(
        f"/api/v1/events/{event.pk}/generate-slots/",
        {
            "screen": screen.pk,
            "mode": "pack",
            "date_from": tomorrow().isoformat(),
            "date_to": tomorrow().isoformat(),
            "opening_time": "10:00",
            "closing_time": "11:00",
            "prices": PRICES,
        },
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "runtime_exceeds_opening_hours"
    assert error["details"] == {"duration_minutes": 100, "opening_minutes": 60}


def test_ninety_days_of_six_showtimes_take_seconds(event, screen):
    rule = rule_for(
        event,
        screen,
        date_to=tomorrow() + timedelta(days=89),
        start_times=["09:00", "11:00", "13:00", "15:00", "17:00", "19:00"],
    )
    started = clock.perf_counter()
    result = services.slots_generate(rule=rule)
    elapsed = clock.perf_counter() - started
    assert result.created == 540
    assert Slot.objects.count() == 540
    assert SlotPrice.objects.count() == 1080
    assert elapsed < 5, f"took {elapsed:.2f}s"
    started = clock.perf_counter()
    assert services.slots_generate(rule=rule).created == 0
    assert clock.perf_counter() - started < 5


def test_api_generation_returns_a_job_to_follow(
    org_client, event, screen, django_capture_on_commit_callbacks
):
    body = {
        "screen": screen.pk,
        "mode": "times",
        "date_from": tomorrow().isoformat(),
        "date_to": (tomorrow() + timedelta(days=13)).isoformat(),
        "weekdays": [6, 7],
        "start_times": ["15:00", "20:30"],
        "prices": PRICES,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = org_client.post(f"/api/v1/events/{event.pk}/generate-slots/", body)
    assert response.status_code == 202, response.content
    job = response.json()
    assert job["status"] in ("pending", "succeeded")
    status = org_client.get(job["status_url"])
    assert status.status_code == 200
    done = status.json()
    assert done["status"] == "succeeded"
    assert done["created"] == 8 and done["total"] == 8
    assert {s.starts_at.isoweekday() for s in Slot.objects.all()} <= {6, 7}
    # Running the same rule again through the API creates nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        second = org_client.post(f"/api/v1/events/{event.pk}/generate-slots/", body).json()
    again = org_client.get(second["status_url"]).json()
    assert (again["created"], again["skipped"]) == (0, 8)


def test_job_runs_once_and_records_failures(event, screen):
    rule = rule_for(event, screen, date_to=tomorrow())
    job = GenerationJob.objects.create(rule=rule)
    assert services.generation_job_run(job_id=job.pk).created == 2
    # Delivered twice: the second delivery does nothing.
    assert services.generation_job_run(job_id=job.pk).created == 2
    assert Slot.objects.count() == 2
    # The event is cancelled before a queued job runs: it fails with the reason.
    event.status = "cancelled"
    event.save()
    failing = GenerationJob.objects.create(rule=rule)
    done = services.generation_job_run(job_id=failing.pk)
    assert done.status == "failed" and "cancelled" in done.error


def test_general_admission_rule_for_a_concert(
    org_client, organizer, venue, django_capture_on_commit_callbacks
):
    concert = catalog.event_create(
        organizer=organizer, type="concert", title="Gig", city="Lisbon", status="published"
    )
    hall = catalog.screen_create(venue=venue, name="Hall")
    body = {
        "screen": hall.pk,
        "mode": "times",
        "date_from": tomorrow().isoformat(),
        "date_to": tomorrow().isoformat(),
        "start_times": ["21:00"],
        "seating": "general",
        "capacity": 800,
        "duration_minutes": 150,
        "prices": {"general": "30"},
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = org_client.post(f"/api/v1/events/{concert.pk}/generate-slots/", body)
    assert response.status_code == 202, response.content
    slot = Slot.objects.get()
    assert (slot.seating, slot.capacity) == ("general", 800)
    assert slot.ends_at - slot.starts_at == timedelta(minutes=150)
    body.pop("duration_minutes")
    response = org_client.post(f"/api/v1/events/{concert.pk}/generate-slots/", body)
    assert response.json()["error"]["code"] == "duration_required"


def rule_body(screen, change: dict | None = None) -> dict:
    """A valid request body for one showtime tomorrow at 18:00, with `change` applied."""
    day = tomorrow().isoformat()
    return {
        "screen": screen.pk,
        "mode": "times",
        "date_from": day,
        "date_to": day,
        "start_times": ["18:00"],
        "prices": PRICES,
        **(change or {}),
    }


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"mode": "weekly"}, "validation_error"),
        ({"start_times": ["25:00"]}, "validation_error"),
        ({"start_times": []}, "validation_error"),
        ({"weekdays": [0, 8]}, "validation_error"),
        ({"date_to": "2000-01-01", "date_from": "2000-01-01"}, "slot_in_past"),
        ({"date_to": "2000-01-01"}, "validation_error"),
        ({"buffer_minutes": -5}, "validation_error"),
        ({"screen": 99999}, "validation_error"),
        ({"prices": {"standard": "1"}}, "invalid_prices"),
        ({"date_from": "2030-01-01", "date_to": "2032-01-01"}, "invalid_date_range"),
    ],
)
def test_bad_rules_are_refused_clearly(org_client, event, screen, change, code):
    body = rule_body(screen, change)
    response = org_client.post(f"/api/v1/events/{event.pk}/generate-slots/", body)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == code
    assert not ScheduleRule.objects.exists()


def test_generation_is_organizer_only_and_isolated(
    rival_client,
    customer_client,
    org_client,
    event,
    screen,
    other_organizer,
    django_capture_on_commit_callbacks,
):
    body = rule_body(screen)
    url = f"/api/v1/events/{event.pk}/generate-slots/"
    assert rival_client.post(url, body).status_code == 404
    assert customer_client.post(url, body).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        job = org_client.post(url, body).json()
    assert rival_client.get(job["status_url"]).status_code == 404
    assert customer_client.get(job["status_url"]).status_code == 404
    assert org_client.get(f"/api/v1/events/{event.pk}/generate-slots/999999/").status_code == 404


def test_layout_changes_follow_upcoming_slots(
    org_client, event, screen, django_capture_on_commit_callbacks
):
    services.slots_generate(rule=rule_for(event, screen, date_to=tomorrow()))
    url = f"/api/v1/screens/{screen.pk}/layout/"
    # Removing seats under upcoming showtimes is refused.
    response = org_client.put(url, {"rows": grid("ABC", 5, premium_rows="C")})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "layout_in_use"
    # A category without a price on those showtimes is refused too.
    rows = grid("ABCD", 5, premium_rows="D") + [
        {"name": "E", "seats": [{"number": 1, "category": "vip"}]}
    ]
    response = org_client.put(url, {"rows": rows})
    assert response.status_code == 409 and response.json()["error"]["details"]["categories"] == [
        "vip"
    ]
    # Adding priced seats is fine, and the showtimes grow with the screen.
    rows = grid("ABCDE", 5, premium_rows="DE")
    with django_capture_on_commit_callbacks(execute=True):
        assert org_client.put(url, {"rows": rows}).status_code == 200
    # One new seat-map version per showtime (announced after commit), not two.
    assert set(Slot.objects.values_list("capacity", "seatmap_version")) == {(25, 1)}
    # Once the showtimes are cancelled, seats may go.
    Slot.objects.update(status="cancelled")
    assert org_client.put(url, {"rows": grid("A", 5)}).status_code == 200


def test_screen_with_slots_cannot_be_deleted(org_client, event, screen):
    services.slots_generate(rule=rule_for(event, screen, date_to=tomorrow()))
    response = org_client.delete(f"/api/v1/screens/{screen.pk}/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "in_use"
