"""pytest fixtures: `server` is one shared server with the demo city (tests that change
global state must use `fresh_server`)."""
import pytest

from uniops_client import Server


@pytest.fixture(scope="session")
def server():
    s = Server(demo=True)
    yield s
    s.close()


@pytest.fixture
def fresh_server():
    servers = []

    def make(**kw):
        s = Server(**kw)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.close()
