"""The syndic world of the engine tests (deployed diagram, fee table, organisation, documents)
and the timer clock, for the counter's integration tests."""

from tests.engine.conftest import clock  # noqa: F401 - fixture
from tests.engine.syndic.conftest import services, world  # noqa: F401 - fixtures
