"""The site tests: the root conftest's fixtures, and the Stripe stub for checkout with Stripe."""

from tests.support.stripe import *  # noqa: F403
