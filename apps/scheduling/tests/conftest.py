from apps.catalog.tests.fixtures import *  # noqa: F403
