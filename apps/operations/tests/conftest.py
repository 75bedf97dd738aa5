from tests.support.booking import *  # noqa: F403
from tests.support.fixtures import *  # noqa: F403
from tests.support.showtimes import *  # noqa: F403
