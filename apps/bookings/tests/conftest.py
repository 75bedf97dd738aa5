from tests.support.fixtures import *  # noqa: F403
from tests.support.showtimes import *  # noqa: F403
from tests.support.stripe import *  # noqa: F403
