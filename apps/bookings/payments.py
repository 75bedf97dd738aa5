"""Payment providers: one interface (charge, refund, lookup), chosen by settings.

`VENUE_PAYMENT_PROVIDERS` maps a method name (the `payment.method` of a
confirm request) to a provider class. The `test` provider ships: token `ok`
succeeds, `decline` is declined, `error` simulates an outage. Real providers
(Stripe, Adyen, ...) implement the same three methods.
"""

import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import F
from django.utils.module_loading import import_string


class ProviderUnavailable(Exception):
    """The provider did not answer: the outcome of the call is unknown or nothing happened."""


@dataclass(frozen=True)
class ChargeResult:
    ok: bool
    ref: str = ""
    reason: str = ""


class PaymentProvider:
    name = ""

    def charge(self, *, amount: Decimal, token: str, key: str) -> ChargeResult:
        """Charge `amount`; the same `key` never charges twice."""
        raise NotImplementedError

    def refund(self, *, ref: str, amount: Decimal) -> None:
        raise NotImplementedError

    def lookup(self, *, key: str) -> str | None:
        """Return the ref of the charge made with `key`, if any (for reconciliation)."""
        raise NotImplementedError


class TestProvider(PaymentProvider):
    """A provider for development and tests, with its own ledger table."""

    name = "test"

    def charge(self, *, amount: Decimal, token: str, key: str) -> ChargeResult:
        from .models import TestProviderCharge

        if token == "error":
            raise ProviderUnavailable("test provider outage (token 'error')")
        if token != "ok":
            return ChargeResult(ok=False, reason="declined")
        charge, _ = TestProviderCharge.objects.get_or_create(
            key=key, defaults={"ref": f"test_{secrets.token_hex(8)}", "amount": amount}
        )
        return ChargeResult(ok=True, ref=charge.ref)

    def refund(self, *, ref: str, amount: Decimal) -> None:
        from .models import TestProviderCharge

        # Counted, so tests can prove a payment is refunded exactly once.
        TestProviderCharge.objects.filter(ref=ref).update(refunded=True, refunds=F("refunds") + 1)

    def lookup(self, *, key: str) -> str | None:
        from .models import TestProviderCharge

        return TestProviderCharge.objects.filter(key=key).values_list("ref", flat=True).first()


def provider_names() -> list[str]:
    return list(settings.VENUE_PAYMENT_PROVIDERS)


def get_provider(name: str) -> PaymentProvider:
    return import_string(settings.VENUE_PAYMENT_PROVIDERS[name])()
