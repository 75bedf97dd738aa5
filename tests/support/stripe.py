"""The `stripe` payment provider against the local Stripe stub (tests/support/stripe_stub.py).

`stripe_stub` starts a stub on a free loopback port for one test and points the
settings at it: `STRIPE_API_BASE`, test keys, and `stripe` among
VENUE_PAYMENT_PROVIDERS (beside `test`, still the default). Take it with
`from tests.support.stripe import *` in a conftest, or import the fixture by name.
"""

import pytest

from .stripe_stub import API_KEY, WEBHOOK_SECRET, StripeStub

__all__ = ["stripe_stub"]

PROVIDER = "apps.bookings.stripe_provider.StripeProvider"


@pytest.fixture
def stripe_stub(settings):
    stub = StripeStub().start()
    settings.STRIPE_API_BASE = stub.url
    settings.STRIPE_SECRET_KEY = API_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.VENUE_PAYMENT_PROVIDERS = {**settings.VENUE_PAYMENT_PROVIDERS, "stripe": PROVIDER}
    settings.VENUE_PAYMENT_METHODS = [*settings.VENUE_PAYMENT_METHODS, "stripe"]
    yield stub
    stub.stop()
