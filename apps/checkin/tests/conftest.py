from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import TeamMember, TeamRole
from apps.checkin import services as checkin
from tests.support.fixtures import *  # noqa: F403
from tests.support.fixtures import make_user
from tests.support.showtimes import *  # noqa: F403


@pytest.fixture
def door_open(reserved_slot):
    """The reserved showtime's door open now (it starts tomorrow: the default window
    would open two hours before)."""
    checkin.checkin_window_set(
        slot=reserved_slot, opens_at=timezone.now() - timedelta(hours=1), closes_at=None
    )
    return reserved_slot


@pytest.fixture
def scanner(organizer):
    user = make_user("scanner@example.org", "customer")
    TeamMember.objects.create(organizer=organizer, user=user, role=TeamRole.SCANNER)
    return user


@pytest.fixture
def manager(organizer):
    user = make_user("manager@example.org", "customer")
    TeamMember.objects.create(organizer=organizer, user=user, role=TeamRole.MANAGER)
    return user
