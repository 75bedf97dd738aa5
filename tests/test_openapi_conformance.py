"""The OpenAPI schema tells the truth: schemathesis, every check, as three identities.

Schemathesis loads `/api/schema/` from a live server of this application and runs its
whole engine (the same phases as `schemathesis run`: examples, coverage, fuzzing and
stateful sequences over the schema's links) against it: anonymous, as the demo customer
and as the demo organizer of `seed_demo`, each on freshly seeded data. The test server
answers with Nagle's algorithm off: else each response (headers, then body, in two
writes) waits out the client's delayed ACK, some 40 ms a request. Any failure of
any check (an undocumented status code, a response that does not match its schema, a
schema-valid request refused, a schema-violating one accepted, a server error, ...)
fails the test with schemathesis' own report of it.

One narrowing, and only of `positive_data_acceptance` (a schema-valid request must not
be refused): `CONTRACT_REFUSALS` lists, per operation, the refusals that docs/api.md
gives to requests no OpenAPI 3.0 schema can tell from good ones: a reference to an
object you cannot use, `date_to` before `date_from`, a showtime in the past, a password
that is too common, a declined payment, a file that is not an image... A schema-valid
request refused with one of those (status and error `code`; for `validation_error`,
the fields in `details`) is the contract at work; refused with anything else, it still
fails the test. The refusals dropped this way are counted in the test's output.

The run is bounded (`MAX_EXAMPLES` per operation and phase) and repeatable: a fixed seed
and Hypothesis' derandomized mode, no example database and no schemathesis cache
between runs (nothing is written into the checkout). Rate limits are off (many requests
from one client in a few seconds), but `429` stays documented on every operation. No
operation is excluded and no check is disabled.

`SCHEMATHESIS_MAX_EXAMPLES=100 pytest tests/test_openapi_conformance.py --no-cov`
digs deeper; `SCHEMATHESIS_SEED` picks another sequence; `SCHEMATHESIS_REPORT=/tmp/st`
writes each identity's failures to `/tmp/st.<identity>.txt`.
"""

import json
import os
import time
from collections import Counter

import pytest
from django.test import Client
from django.test.testcases import QuietWSGIRequestHandler

from tests.support.demo import DEMO_EMAIL, DEMO_PASSWORD, ORGANIZER_EMAIL, seed

schemathesis = pytest.importorskip("schemathesis")

from schemathesis.engine import events as engine_events  # noqa: E402
from schemathesis.engine.statistic import Statistic  # noqa: E402
from schemathesis.specs.openapi.checks import RejectedPositiveData  # noqa: E402

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "15"))
SEED = int(os.environ.get("SCHEMATHESIS_SEED", "20261202"))
IDENTITIES = {"anonymous": None, "customer": DEMO_EMAIL, "organizer": ORGANIZER_EMAIL}

# Refusals of well-formed requests, per docs/api.md, that a schema cannot rule out
# beforehand: "STATUS code", or "400 validation_error:FIELD" for a field-level rule.
_DATE_RANGE = {"400 validation_error:date_to"}  # date_to before date_from
_NOT_AN_IMAGE = {"400 invalid_image"}  # the bytes decode as no JPEG, PNG, WebP or GIF
_SLOT_TIMES = {
    "400 slot_in_past",
    "400 invalid_time_range",
    "400 invalid_sales_window",
    "400 invalid_prices",  # a price for a seat category the screen does not have
    "400 validation_error:prices",  # a category that is not a short lower-case word
    "400 validation_error:type_prices",  # the same, or a type code that is not
    "400 validation_error:capacity",  # reserved seating takes its capacity from the layout
}
# Fees at least 0 and a tax rate of 0-100: decimals travel as strings, whose schema
# (a pattern) cannot carry a minimum or a maximum.
_CHARGES = {
    "400 validation_error:booking_fee_per_ticket",
    "400 validation_error:booking_fee_per_order",
    "400 validation_error:tax_rate",
}
_VENUE_NAME = {"400 validation_error:__all__"}  # one of your venues already has the name
_SCREEN = {
    "400 validation_error:venue",  # not one of your venues
    "400 validation_error:non_field_errors",  # the venue has a screen of that name
    "400 validation_error:__all__",
}
CONTRACT_REFUSALS: dict[str, set[str]] = {
    "GET /api/v1/events/": _DATE_RANGE,
    "GET /api/v1/slots/": _DATE_RANGE,
    # Too common, too like the email or name: AUTH_PASSWORD_VALIDATORS beyond the length.
    "POST /api/v1/auth/register/": {"400 validation_error:password"},
    # A link's parts no schema can prove (docs/api.md "Auth"): forged, used or expired.
    "POST /api/v1/auth/password-reset/confirm/": {
        "400 reset_link_invalid",
        "400 validation_error:password",
    },
    "POST /api/v1/auth/verify-email/": {"400 verify_link_invalid"},
    "POST /api/v1/auth/me/email/": {"400 wrong_password"},
    "POST /api/v1/auth/me/password/": {"400 wrong_password", "400 validation_error:password"},
    # Deleting the account proves the password first: a guessed one erases nothing (so the
    # identity under test survives the run).
    "DELETE /api/v1/auth/me/": {"400 wrong_password"},
    "POST /api/v1/bookings/hold-seats/": {
        "400 invalid_seats",  # seats of another screen
        "400 seating_mismatch",  # seats for general admission, or a quantity for seats
        "400 promo_invalid",  # a code the event does not have (or not now, not here)
        "400 invalid_ticket_type",  # a type the showtime does not sell (in that category)
        "400 validation_error:quantities",  # a type code that is not a short lower-case word
    },
    # An event's ticket types: the first takes no prices (each showtime's own are its),
    # and each code once.
    "PUT /api/v1/events/{id}/ticket-types/": {
        "400 invalid_prices",
        "400 validation_error:ticket_types",  # a category that is not a short lower-case word
    },
    "POST /api/v1/bookings/confirm/": {
        "402 payment_declined",
        "410 hold_expired",
        "422 idempotency_key_reused",  # the same key with another body
        "400 promo_invalid",  # another code than the hold's
    },
    # Promo codes: 0 off only for a presale code, a percentage up to 100, a window that
    # ends after it starts, showtimes of this event (docs/api.md "Holds").
    "POST /api/v1/events/{event_id}/promo-codes/": {
        "400 validation_error:amount",
        "400 validation_error:valid_until",
        "400 validation_error:slots",
    },
    "PATCH /api/v1/promo-codes/{code_id}/": {
        "400 validation_error:amount",
        "400 validation_error:valid_until",
        "400 validation_error:slots",
    },
    # Only Stripe can sign a webhook: any body schemathesis makes is unsigned (docs/api.md).
    "POST /api/v1/payments/stripe/webhook/": {"400 invalid_signature"},
    # A movie not in the catalog (or for another type); fees and tax out of range.
    "POST /api/v1/events/": {"400 validation_error:movie"} | _CHARGES,
    "PATCH /api/v1/events/{id}/": {"400 validation_error:movie"} | _CHARGES,
    "POST /api/v1/events/{id}/banner/": _NOT_AN_IMAGE,
    "POST /api/v1/movies/{id}/poster/": _NOT_AN_IMAGE,
    "POST /api/v1/events/{id}/generate-slots/": _SLOT_TIMES
    | {
        "400 validation_error:screen",  # not a screen of yours
        "400 validation_error:date_to",  # before date_from
        "400 validation_error:start_times",  # mode "times" without start times
        "400 invalid_rule",
        "400 invalid_date_range",
        "400 layout_empty",
        "400 runtime_exceeds_opening_hours",
    },
    "POST /api/v1/slots/": _SLOT_TIMES
    | {
        "400 validation_error:event",  # not an event of yours
        "400 validation_error:screen",  # not a screen of yours
        "400 layout_empty",
    },
    "PATCH /api/v1/slots/{id}/": _SLOT_TIMES,  # and type_prices of a type the event lacks
    # The door: a window that closes before it opens; an upload repeating a scan's `ref`;
    # an account already on a team (or one that is an organizer's).
    "PATCH /api/v1/slots/{slot_id}/checkin/": {"400 invalid_window"},
    "POST /api/v1/checkin/scan/": {"400 invalid_ticket"},  # a text no ticket of ours signed
    "POST /api/v1/checkin/upload/": {"400 validation_error:scans"},
    "POST /api/v1/team/members/": {
        "400 team_member_exists",
        "400 team_member_invalid",
        "400 user_not_found",
    },
    "POST /api/v1/venues/": _VENUE_NAME,
    "PUT /api/v1/venues/{id}/": _VENUE_NAME,
    "PATCH /api/v1/venues/{id}/": _VENUE_NAME,
    "POST /api/v1/screens/": _SCREEN,
    "PUT /api/v1/screens/{id}/": _SCREEN,
    "PATCH /api/v1/screens/{id}/": _SCREEN,
    # Seats out of order in a row, rows or labels twice, wider than the map.
    "PUT /api/v1/screens/{id}/layout/": {
        "400 invalid_layout",
        "400 layout_bad_position",
        "400 layout_duplicate_label",
        "400 layout_duplicate_row",
        "400 layout_too_wide",
    },
}


def _refusal(response) -> set[str]:
    """The refusals a response names: {"STATUS code"}, or one per field of a validation
    error; empty for a body that is not the API's error shape."""
    try:
        error = json.loads(response.content)["error"]
    except (ValueError, KeyError, TypeError):
        return set()
    if not isinstance(error, dict) or not isinstance(error.get("code"), str):
        return set()
    status = response.status_code
    if error["code"] == "validation_error" and isinstance(error.get("details"), dict):
        return {f"{status} validation_error:{field}" for field in error["details"]}
    return {f"{status} {error['code']}"}


def _access_token(email: str) -> str:
    response = Client().post(
        "/api/v1/auth/token/",
        {"email": email, "password": DEMO_PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["access"]


def _config(headers: dict) -> "schemathesis.Config":
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            # One worker: the requests reach the server one at a time, in a repeatable order.
            "workers": 1,
            "headers": headers,
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            # Every check schemathesis has, with their default expectations.
            "checks": {"enabled": True},
            # No state kept between runs (nor a `.schemathesis/` directory in the checkout).
            "cache": {"enabled": False},
        }
    )


def _run(base_url: str, headers: dict) -> tuple[Statistic, list[str], Counter, dict]:
    schema = schemathesis.openapi.from_url(f"{base_url}/api/schema/", config=_config(headers))
    dropped: Counter = Counter()

    @schema.hook
    def filter_failure(context, failure, case, response) -> bool:
        """Keep every failure but a schema-valid request refused as the contract says."""
        if not isinstance(failure, RejectedPositiveData):
            return True
        named = _refusal(response)
        if named and named <= CONTRACT_REFUSALS.get(case.operation.label, set()):
            dropped.update(f"{case.operation.label}: {refusal}" for refusal in named)
            return False
        return True

    statistic = Statistic()
    errors = []
    phases: dict[str, float] = {}
    started: dict[str, float] = {}
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, engine_events.PhaseStarted):
            started[event.phase.name.value] = time.monotonic()
        elif isinstance(event, engine_events.PhaseFinished):
            name = event.phase.name.value
            phases[name] = round(time.monotonic() - started.get(name, time.monotonic()), 1)
        elif isinstance(event, engine_events.ScenarioFinished):
            statistic.on_scenario_finished(event.recorder)
        elif isinstance(event, engine_events.NonFatalError):
            errors.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, engine_events.FatalError):
            errors.append(f"fatal: {event.exception!r}")
    return statistic, errors, dropped, phases


def _report(statistic: Statistic) -> list[str]:
    lines = []
    for label, groups in sorted(statistic.failures.items()):
        for group in groups.values():
            for failure in group.failures:
                lines.append(f"{label}: {failure.code} {failure.title}\n    {failure.message}")
            if group.response is not None:
                body = group.response.content[:300]
                lines.append(f"    -> {group.response.status_code} {body!r}")
            if group.code_sample:
                lines.append(f"    {group.code_sample}")
    return lines


@pytest.mark.parametrize("identity", list(IDENTITIES))
def test_api_conforms_to_its_openapi_schema(
    live_server, transactional_db, settings, monkeypatch, identity
):
    monkeypatch.setattr(QuietWSGIRequestHandler, "disable_nagle_algorithm", True)
    settings.VENUE_RATE_LIMITS = False
    settings.RATELIMIT_ENABLE = False
    seed()
    email = IDENTITIES[identity]
    headers = {"Authorization": f"Bearer {_access_token(email)}"} if email else {}

    statistic, errors, dropped, phases = _run(live_server.url, headers)

    report = _report(statistic)
    failures = len(statistic.unique_failures_map)
    summary = (
        f"{identity}: {statistic.total_cases} cases, {failures} unique failures, "
        f"{sum(dropped.values())} contract refusals of schema-valid requests; "
        f"phases (s) {phases}"
    )
    print(summary)
    for line, count in sorted(dropped.items()):
        print(f"  {count:4} x {line}")
    if os.environ.get("SCHEMATHESIS_REPORT"):
        with open(os.environ["SCHEMATHESIS_REPORT"] + f".{identity}.txt", "w") as out:
            out.write(summary + "\n")
            out.write("".join(f"  {n:4} x {line}\n" for line, n in sorted(dropped.items())))
            out.write("\n".join(report + errors))
    assert statistic.total_cases > 0
    assert not errors, "\n".join(errors)
    assert not failures, f"{failures} schemathesis failures as {identity}:\n" + "\n".join(report)
