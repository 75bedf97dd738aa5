"""Payment providers: one interface (charge, refund, lookup, state, abandon), chosen by settings.

`VENUE_PAYMENT_PROVIDERS` maps a method name (the `payment.method` of a
confirm request) to a provider class. The `test` provider ships: token `ok`
succeeds, `decline` is declined, `error` simulates an outage. `stripe`
(`apps.bookings.stripe_provider`) is added when `STRIPE_SECRET_KEY` is set.

A charge may end at once (ok, or declined) or stay pending: the customer must
act first (3-D Secure, at `action_url`), or the provider is still processing.
Settlers then ask `state` where it stands, and `abandon` a charge nobody will
finish. The defaults of `state` and `abandon` suit a provider whose charges
always end at once (`test`): `state` is `lookup`.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import F
from django.utils.module_loading import import_string


class ProviderUnavailable(Exception):
    """The provider did not answer: the outcome of the call is unknown or nothing happened."""


@dataclass(frozen=True)
class ChargeResult:
    """`ok`: charged (`ref`). `pending`: not finished either way (`ok` is False): the
    customer must act first (`needs_customer`: 3-D Secure, at `action_url` when it is a
    page), or the provider is processing, or the outcome is not known yet. Neither:
    declined, or nothing was charged (`reason`)."""

    ok: bool
    ref: str = ""
    reason: str = ""
    pending: bool = False
    needs_customer: bool = False
    action_url: str = ""


class PaymentProvider:
    name = ""

    def charge(
        self,
        *,
        amount: Decimal,
        token: str,
        key: str,
        currency: str = "EUR",
        remember: Callable[[str], bool] | None = None,
        return_url: str = "",
    ) -> ChargeResult:
        """Charge `amount` in `currency` (ISO 4217); the same `key` never charges twice.
        Raise ProviderUnavailable only when nothing was charged. A provider that names the
        charge before any money moves calls `remember(ref)` first, and moves none if it
        answers False (the payment was given up meanwhile). `return_url`: where the
        customer comes back to after acting at `action_url`."""
        raise NotImplementedError

    def refund(self, *, ref: str, amount: Decimal, key: str = "", currency: str = "EUR") -> None:
        """Give back `amount` (all of the charge, or part) of charge `ref`. `key`: the
        refund's own idempotency key, so a retried refund never refunds twice (two
        partial refunds of one charge carry keys of their own)."""
        raise NotImplementedError

    def lookup(self, *, key: str) -> str | None:
        """Return the ref of the charge made with `key`, if any (for reconciliation)."""
        raise NotImplementedError

    def state(self, *, key: str, ref: str = "") -> ChargeResult:
        """Where the charge of a pending payment stands (`ref` if it was remembered)."""
        found = self.lookup(key=key)
        if found:
            return ChargeResult(ok=True, ref=found)
        return ChargeResult(ok=False, reason="no charge found at the provider")

    def abandon(self, *, ref: str) -> ChargeResult:
        """Stop waiting for a pending charge (cancel it); answer where it ended."""
        return ChargeResult(ok=False, ref=ref, reason="abandoned")


class TestProvider(PaymentProvider):
    """A provider for development and tests, with its own ledger table."""

    name = "test"

    def charge(
        self,
        *,
        amount: Decimal,
        token: str,
        key: str,
        currency: str = "EUR",
        remember: Callable[[str], bool] | None = None,
        return_url: str = "",
    ) -> ChargeResult:
        from .models import TestProviderCharge

        if token == "error":
            raise ProviderUnavailable("test provider outage (token 'error')")
        if token != "ok":
            return ChargeResult(ok=False, reason="declined")
        charge, _ = TestProviderCharge.objects.get_or_create(
            key=key, defaults={"ref": f"test_{secrets.token_hex(8)}", "amount": amount}
        )
        return ChargeResult(ok=True, ref=charge.ref)

    def refund(self, *, ref: str, amount: Decimal, key: str = "", currency: str = "EUR") -> None:
        from .models import TestProviderCharge

        charge = TestProviderCharge.objects.filter(ref=ref).first()
        if charge is None or (key and key in charge.refund_keys):
            return  # unknown, or this refund was made already (its key)
        # Counted, so tests can prove a payment is refunded exactly once.
        TestProviderCharge.objects.filter(pk=charge.pk).update(
            refunded=True,
            refunds=F("refunds") + 1,
            refunded_amount=F("refunded_amount") + amount,
            refund_keys=[*charge.refund_keys, key] if key else charge.refund_keys,
        )

    def lookup(self, *, key: str) -> str | None:
        from .models import TestProviderCharge

        return TestProviderCharge.objects.filter(key=key).values_list("ref", flat=True).first()


def provider_names() -> list[str]:
    """The methods a confirm accepts now (VENUE_PAYMENT_METHODS, of the known providers)."""
    return [m for m in settings.VENUE_PAYMENT_METHODS if m in settings.VENUE_PAYMENT_PROVIDERS]


def get_provider(name: str) -> PaymentProvider:
    return import_string(settings.VENUE_PAYMENT_PROVIDERS[name])()
