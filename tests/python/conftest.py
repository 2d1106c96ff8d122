"""Shared fixtures for the Python face's tests.

The brokers come from tests/harness/with-brokers, which exports FERROMQ_TEST_HOST,
FERROMQ_TEST_PORT (anonymous), FERROMQ_TEST_AUTH_PORT (+ _USER/_PASSWORD) and
FERROMQ_TEST_CLOSED_PORT. Every test uses its own topics so tests can share one broker.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from typing import Callable, Iterator, List

import pytest

import ferromq


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    auth_port: int
    user: str
    password: str
    closed_port: int


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the tests through tests/harness/with-brokers (tests/python/run)")
    return value


@pytest.fixture(scope="session")
def broker() -> Broker:
    return Broker(
        host=_env("FERROMQ_TEST_HOST"),
        port=int(_env("FERROMQ_TEST_PORT")),
        auth_port=int(_env("FERROMQ_TEST_AUTH_PORT")),
        user=_env("FERROMQ_TEST_USER"),
        password=_env("FERROMQ_TEST_PASSWORD"),
        closed_port=int(_env("FERROMQ_TEST_CLOSED_PORT")),
    )


def unique(prefix: str) -> str:
    """A topic (or client id) no other test, or test run, uses."""
    return f"ferromq/py/{prefix}/{uuid.uuid4().hex[:12]}"


@pytest.fixture
def topic(request: pytest.FixtureRequest) -> str:
    return unique(request.node.name.replace("[", "_").replace("]", ""))


@pytest.fixture
def make_client() -> Iterator[Callable[[], ferromq.mqtt]]:
    """Blocking clients that are disconnected when the test ends."""
    made: List[ferromq.mqtt] = []

    def make() -> ferromq.mqtt:
        m = ferromq.mqtt()
        m.timeout = 10
        made.append(m)
        return m

    yield make
    for m in made:
        try:
            if m.connected:
                m.disconnect()
        except ferromq.MQTTError:
            pass


@pytest.fixture
def client(make_client: Callable[[], ferromq.mqtt]) -> ferromq.mqtt:
    return make_client()


@pytest.fixture
def connected(client: ferromq.mqtt, broker: Broker) -> ferromq.mqtt:
    client.connect_to(broker.host, broker.port)
    return client


def pump_until(m: ferromq.mqtt, cond: Callable[[], bool], timeout: float = 10.0) -> None:
    """Fire events with do_events() until cond() holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        m.do_events()


def pump_for(m: ferromq.mqtt, seconds: float) -> None:
    """Fire events for a while (to show that something does NOT arrive)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        m.do_events()


# Payloads every round-trip scenario sends: all 256 byte values, empty, and 1 MiB.
ALL_BYTES = bytes(range(256))
ONE_MIB = bytes((i * 7 + 3) % 256 for i in range(1 << 20))
PAYLOADS = [ALL_BYTES, b"", ONE_MIB]
