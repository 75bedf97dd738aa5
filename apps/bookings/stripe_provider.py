"""Stripe as a payment provider: PaymentIntents through the official `stripe` library.

On when `STRIPE_SECRET_KEY` is set (venue/settings/base.py adds `stripe` to
VENUE_PAYMENT_PROVIDERS beside `test`). The token of a confirm is a PaymentMethod id
made by the client (Stripe.js in a real checkout; Stripe's test ids such as
`pm_card_visa`, `pm_card_chargeDeclined`, `pm_card_authenticationRequired` here).

A charge is two calls, so that the intent's id is stored before any money can move:

1. create the PaymentIntent (not confirmed; Stripe idempotency key = the payment's key),
   then `remember(intent id)`: the pending payment now names it;
2. confirm it (key `<key>-confirm`): `succeeded`, declined (a card error), or
   `requires_action` (3-D Secure at `next_action.redirect_to_url.url`, back at
   `return_url`).

Why not one create with `confirm=true`: if the process died after Stripe charged but
before the answer was written, only Stripe's search could find the charge, and search
is eventually consistent (Stripe: "don't use search in read-after-write flows"; data
can be a minute, in outages an hour, behind). A settler would then find nothing, give
the payment up and free its key while the customer's money was taken. With the id
stored first, settlers retrieve the intent itself, which is always current.

Errors: connection failures, 5xx, rate limits and idempotency conflicts are
`ProviderUnavailable` when nothing can have been charged (creating), and an unknown,
pending outcome when something may have been (confirming): the payment then stays
pending and is settled from the intent (`state`), never given up blindly.
"""

import functools
import logging
from decimal import Decimal

import stripe
from django.conf import settings

from .payments import ChargeResult, PaymentProvider, ProviderUnavailable

logger = logging.getLogger("apps.bookings.payments")

# Seconds: (connect, read). With one retry (same idempotency key) a call gives up within
# about 2 x 7 s, under VENUE_PAYMENT_STALE_SECONDS' default (15), so settlers rarely
# overtake a live request that is only slow (and are safe if they do: every step is a
# compare-and-set, and Stripe serializes the calls on one intent).
TIMEOUT = (2, 5)
RETRIES = 1
# Currencies without minor units (https://docs.stripe.com/currencies#zero-decimal).
ZERO_DECIMAL = frozenset(
    [
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    ]
)
CHARGED = frozenset({"succeeded"})
MOVING = frozenset({"processing", "requires_capture", "requires_confirmation"})
# Errors after which the request may be repeated: nothing was decided, or we cannot know.
UNANSWERED = (
    stripe.APIConnectionError,
    stripe.APIError,
    stripe.RateLimitError,
    stripe.IdempotencyError,
    stripe.AuthenticationError,
    stripe.PermissionError,
)


def minor_units(amount: Decimal, code: str) -> int:
    """`amount` in the currency's smallest unit (cents), exactly: 12.34 EUR -> 1234."""
    exponent = 0 if code in ZERO_DECIMAL else 2
    units = Decimal(amount).scaleb(exponent)
    if units != units.to_integral_value():
        raise ValueError(f"{amount} {code} is not a whole number of minor units")
    return int(units)


@functools.lru_cache(maxsize=4)
def _client(api_key: str, api_base: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base},
        max_network_retries=RETRIES,
        http_client=stripe.RequestsClient(timeout=TIMEOUT),
    )


def client() -> stripe.StripeClient:
    return _client(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE)


def _decline_reason(exc: stripe.StripeError) -> str:
    error = (exc.json_body or {}).get("error") or {}
    return error.get("decline_code") or error.get("code") or "declined"


def result_of(intent: dict) -> ChargeResult:
    """What a PaymentIntent's status means for its payment."""
    ref, status = intent["id"], intent.get("status")
    if status in CHARGED:
        return ChargeResult(ok=True, ref=ref)
    if status == "requires_action":
        action = intent.get("next_action") or {}
        url = ((action.get("redirect_to_url") or {}).get("url")) or ""
        return ChargeResult(
            ok=False, ref=ref, pending=True, needs_customer=True, action_url=url, reason=status
        )
    if status in MOVING:
        return ChargeResult(ok=False, ref=ref, pending=True, reason=status)
    error = intent.get("last_payment_error") or {}
    reason = error.get("decline_code") or error.get("code") or status or "failed"
    return ChargeResult(ok=False, ref=ref, reason=str(reason))


class StripeProvider(PaymentProvider):
    name = "stripe"

    def __init__(self):
        self.intents = client().v1.payment_intents
        self.refunds = client().v1.refunds

    def charge(
        self, *, amount, token, key, remember=None, return_url="", currency="EUR"
    ) -> ChargeResult:
        code = currency.lower()
        params = {
            "amount": minor_units(amount, code),
            "currency": code,
            "payment_method": token,
            "payment_method_types": ["card"],
            "metadata": {"venue_key": key},
        }
        try:
            intent = self.intents.create(params, {"idempotency_key": key}).to_dict()
        except (stripe.CardError, stripe.InvalidRequestError) as exc:
            return ChargeResult(ok=False, reason=_decline_reason(exc))  # e.g. no such card
        except UNANSWERED as exc:
            raise ProviderUnavailable(f"stripe: {type(exc).__name__}: {exc}") from exc
        if intent.get("status") != "requires_confirmation":
            return result_of(intent)  # only a replay of an intent confirmed before
        if remember is not None and not remember(intent["id"]):
            self._cancel_quietly(intent["id"])
            raise ProviderUnavailable("the payment was given up before it was confirmed")
        confirm = {"return_url": return_url} if return_url else {}
        try:
            intent = self.intents.confirm(
                intent["id"], confirm, {"idempotency_key": f"{key}-confirm"}
            ).to_dict()
        except stripe.CardError as exc:
            return ChargeResult(ok=False, ref=intent["id"], reason=_decline_reason(exc))
        except stripe.InvalidRequestError as exc:
            return self._refused(intent["id"], exc)
        except UNANSWERED as exc:
            logger.warning("stripe confirm of %s unanswered: %s", intent["id"], exc)
            return ChargeResult(ok=False, ref=intent["id"], pending=True, reason="unknown")
        return result_of(intent)

    def _refused(self, ref: str, exc: stripe.InvalidRequestError) -> ChargeResult:
        """Stripe refused to confirm: a settler may have cancelled the intent meanwhile,
        or the request was wrong (then nothing was charged: tidy the intent away)."""
        try:
            intent = self.status(ref=ref)
        except ProviderUnavailable:
            return ChargeResult(ok=False, ref=ref, pending=True, reason="unknown")
        if intent.get("status") == "requires_confirmation":
            self._cancel_quietly(ref)
            return ChargeResult(ok=False, ref=ref, reason=exc.code or "invalid_request")
        return result_of(intent)

    def _cancel_quietly(self, ref: str) -> None:
        try:
            self.intents.cancel(ref, {"cancellation_reason": "abandoned"})
        except stripe.StripeError as exc:  # tidying only: an unconfirmed intent charges nobody
            logger.info("stripe: could not cancel %s: %s", ref, exc)

    def refund(self, *, ref: str, amount: Decimal, key: str = "", currency: str = "EUR") -> None:
        """Refund `amount` of intent `ref` (all of it, or part). The Stripe idempotency key
        is `key`, by default derived from ref and amount, so a retried refund never
        refunds twice; two partial refunds of one amount need keys of their own."""
        cents = minor_units(amount, currency.lower())
        params = {"payment_intent": ref, "amount": cents}
        try:
            self.refunds.create(params, {"idempotency_key": key or f"venue-refund-{ref}-{cents}"})
        except stripe.InvalidRequestError as exc:
            if exc.code == "charge_already_refunded":
                logger.info("stripe: %s was refunded already", ref)
                return
            raise
        except UNANSWERED as exc:
            raise ProviderUnavailable(f"stripe refund: {type(exc).__name__}: {exc}") from exc

    def _search(self, key: str) -> list[dict]:
        query = f"metadata['venue_key']:'{key}'"
        try:
            found = self.intents.search({"query": query, "limit": 10})
        except (stripe.InvalidRequestError, *UNANSWERED) as exc:
            raise ProviderUnavailable(f"stripe search: {type(exc).__name__}: {exc}") from exc
        return [intent.to_dict() for intent in found.data]

    def lookup(self, *, key: str) -> str | None:
        """The intent that charged (or is charging) with `key`, by Stripe's search (which
        may lag behind by a minute or more: settling uses the stored intent id instead)."""
        for intent in self._search(key):
            if intent.get("status") in CHARGED | {"processing", "requires_capture"}:
                return intent["id"]
        return None

    def status(self, *, ref: str) -> dict:
        """The PaymentIntent `ref` as Stripe has it now."""
        try:
            return self.intents.retrieve(ref).to_dict()
        except stripe.InvalidRequestError as exc:
            if exc.code == "resource_missing":
                return {"id": ref, "status": "canceled", "last_payment_error": {"code": "missing"}}
            raise ProviderUnavailable(f"stripe: {exc}") from exc
        except UNANSWERED as exc:
            raise ProviderUnavailable(f"stripe: {type(exc).__name__}: {exc}") from exc

    def state(self, *, key: str, ref: str = "") -> ChargeResult:
        if ref:
            return result_of(self.status(ref=ref))
        # No intent id was stored: the request died before confirming, so nothing was
        # charged. An intent search finds is still looked at (and so cancelled if stale);
        # search failing (or lagging) changes nothing.
        try:
            found = sorted(self._search(key), key=lambda i: i.get("status") not in CHARGED)
        except ProviderUnavailable as exc:
            logger.info("stripe search for %s failed: %s", key, exc)
            found = []
        if not found:
            return ChargeResult(ok=False, reason="no charge found at the provider")
        return result_of(found[0])

    def abandon(self, *, ref: str) -> ChargeResult:
        """Cancel the intent (nobody will finish it); if it succeeded meanwhile, say so."""
        try:
            intent = self.intents.cancel(ref, {"cancellation_reason": "abandoned"}).to_dict()
        except stripe.InvalidRequestError:  # not cancellable: succeeded, or cancelled already
            intent = self.status(ref=ref)
        except UNANSWERED as exc:
            raise ProviderUnavailable(f"stripe cancel: {type(exc).__name__}: {exc}") from exc
        return result_of(intent)


class InvalidWebhook(Exception):
    """The payload is not a Stripe event signed with STRIPE_WEBHOOK_SECRET."""


def webhook_event(payload: bytes, signature: str | None) -> dict:
    """Verify the `Stripe-Signature` of a webhook (HMAC-SHA256 under the endpoint's
    secret, at most 5 minutes old) and return the event as a dict."""
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, settings.STRIPE_WEBHOOK_SECRET
        ).to_dict()
    except (stripe.SignatureVerificationError, ValueError, TypeError, AttributeError) as exc:
        raise InvalidWebhook(str(exc)) from exc
    if not isinstance(event.get("data"), dict) or not isinstance(event.get("type"), str):
        raise InvalidWebhook("not an event")
    return event
