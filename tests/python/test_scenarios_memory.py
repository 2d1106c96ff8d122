"""The memory scenarios of tests/scenarios.tsv (issue 15) with the blocking class: what a
publishing loop may keep (MaxOutgoingMessages) and what a client keeps after a burst.

The bound is shown against a lone mosquitto frozen with SIGSTOP (nothing is acknowledged
while it is stopped); the burst uses the shared broker and reads the process's RSS.
"""

from __future__ import annotations

import gc
import signal
import time
import weakref
from typing import Callable, List, Literal

import pytest

import ferromq
from conftest import Broker, pump_until, record, unique
from test_scenarios_recovery import LoneBroker, lone_broker  # noqa: F401 (a fixture)

WOULD_BLOCK = 135
TIMEOUT = 201
INVALID_ARGUMENT = 10022

# ---- MaxOutgoingMessages ----


def bounded_publishing(b: LoneBroker, m: ferromq.mqtt, version: Literal[0, 1]) -> None:
    label = "5.0" if version == 1 else "3.1.1"
    m.version = version
    m.config("MaxOutgoingMessages=5")
    r = record(m, "MessageOut", "ReadyToSend", "Disconnected")
    m.connect_to("127.0.0.1", b.bound_port)
    topic = unique("bound")
    # A ReadyToSend comes with every connection: once it has fired, any other is the one
    # the refusal below is owed.
    pump_until(m, lambda: len(r.named("ReadyToSend")) == 1)

    b.signal(signal.SIGSTOP)
    try:
        # Timeout 0: nothing waits, so what is over the bound is refused at once.
        m.timeout = 0
        for i in range(5):
            m.publish_message(topic, 1, f"m{i}")
        pump_until(m, lambda: len(m.outgoing_messages) == 5)
        kept = [x.message for x in m.outgoing_messages]
        assert kept == [f"m{i}" for i in range(5)], kept

        with pytest.raises(ferromq.MQTTError) as err:
            m.publish_message(topic, 1, "over")
        assert err.value.code == WOULD_BLOCK, err.value
        assert "MaxOutgoingMessages" in err.value.message, err.value
        refused = err.value.message
        assert m.ready_to_send is False
        # QoS 0 keeps nothing to acknowledge: the bound does not count it.
        m.publish_message(topic, 0, "qos0")

        # Timeout 1: the publish waits for an acknowledgement that cannot come.
        m.timeout = 1
        started = time.monotonic()
        with pytest.raises(ferromq.MQTTError) as err:
            m.publish_message(topic, 1, "waits")
        waited = time.monotonic() - started
        assert err.value.code == TIMEOUT, err.value
        assert waited >= 0.9, f"the publish gave up after {waited:.2f} s"
        print(f"outgoing bound {label}: 135 said {refused!r}; Timeout 1 gave 201 after {waited:.2f} s")
        assert len(m.outgoing_messages) == 5
        assert len(r.named("ReadyToSend")) == 1, "ReadyToSend while nothing was acknowledged"
    finally:
        b.signal(signal.SIGCONT)
        resumed = time.monotonic()

    def done() -> List[str]:
        return [e.message for e in r.named("MessageOut") if e.qos == 1]

    m.timeout = 10
    pump_until(m, lambda: len(r.named("ReadyToSend")) == 2 and len(done()) == 5, timeout=20)
    took = time.monotonic() - resumed
    print(f"outgoing bound {label}: ReadyToSend and the five completed {took:.2f} s after SIGCONT")
    assert done() == [f"m{i}" for i in range(5)], "completed out of order: " + repr(done())
    assert m.ready_to_send is True

    m.publish_message(topic, 1, "after")
    pump_until(m, lambda: len(done()) == 6, timeout=20)
    assert done()[-1] == "after"
    assert m.outgoing_messages == ()
    assert r.named("Disconnected") == []
    m.disconnect()


def scenario_outgoing_bound(lone_broker: LoneBroker, make_client: Callable[[], ferromq.mqtt]) -> None:  # noqa: F811 (the fixture)
    fresh = make_client()
    assert fresh.config("MaxOutgoingMessages") == "1000"
    for bad in ("-1", "65001"):
        with pytest.raises(ferromq.MQTTError) as err:
            fresh.config(f"MaxOutgoingMessages={bad}")
        assert err.value.code == INVALID_ARGUMENT, err.value
        assert "MaxOutgoingMessages" in err.value.message and "0..=65000" in err.value.message, err.value
    assert fresh.config("MaxOutgoingMessages") == "1000"

    for version in (0, 1):
        bounded_publishing(lone_broker, make_client(), version)


# ---- memory after a burst ----

BURST = 20_000
BURST_DEADLINE = 120.0
MIB = 1024 * 1024
# Before issue 15 a burst kept about 10 MiB per client.
KEPT_PER_CLIENT = 2 * MIB
# Freeing returns pages to the allocator, not always to the system, and Python's own objects
# come and go: RSS may move by a little either way without anything being kept.
NOISE = 512 * 1024


def rss() -> int:
    """The process's resident set size in bytes, from /proc/self/status."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    pytest.skip("no VmRSS in /proc/self/status")


def settled_rss() -> int:
    """RSS once it stops moving (the engine's threads finish what they were doing), or
    after 10 s whatever it is."""
    deadline = time.monotonic() + 10
    last = rss()
    while True:
        time.sleep(0.1)
        now = rss()
        if now == last or time.monotonic() > deadline:
            return now
        last = now


class Counts:
    """MessageIn / QoS 1 MessageOut counters; the handlers hold this, not the client."""

    def __init__(self) -> None:
        self.received = 0
        self.completed = 0

    def on_in(self, _e: ferromq.MessageEvent) -> None:
        self.received += 1

    def on_out(self, e: ferromq.MessageEvent) -> None:
        if e.qos == 1:
            self.completed += 1


def burst_client(host: str, port: int, name: str) -> ferromq.mqtt:
    """A client that has published BURST QoS 1 messages to its own subscription and has
    received and completed them all; it stays connected."""
    m = ferromq.mqtt()
    # A publish over MaxOutgoingMessages waits for an acknowledgement (firing events meanwhile).
    m.timeout = 30
    c = Counts()
    m.on("MessageIn", c.on_in)
    m.on("MessageOut", c.on_out)
    m.connect_to(host, port)
    assert m.config("MaxOutgoingMessages") == "1000"
    topic = unique(name)
    m.subscribe(topic, 1)
    started = time.monotonic()
    for i in range(BURST):
        m.publish_message(topic, 1, f"{i:016}")
    while c.received < BURST or c.completed < BURST:
        assert time.monotonic() - started < BURST_DEADLINE, (
            f"{name}: burst not back after {BURST_DEADLINE:.0f} s: "
            f"{c.received} received, {c.completed} completed of {BURST}"
        )
        m.do_events()
    print(f"{name}: a burst of {BURST} came back in {time.monotonic() - started:.1f} s")
    assert m.outgoing_messages == () and m.incoming_messages == ()
    return m


def mib(n: int) -> str:
    return f"{n / MIB:+.2f} MiB"


@pytest.mark.timeout(4 * BURST_DEADLINE + 120)
def scenario_memory_after_burst(broker: Broker) -> None:
    # The warm-up burst brings in what grows once per process (the engine's runtime and
    # threads, the allocator's arenas, Python's caches): the baseline then has it.
    warm = burst_client(broker.host, broker.port, "burst-warm")
    warm.disconnect()
    del warm
    gc.collect()
    baseline = settled_rss()

    clients: List[ferromq.mqtt] = []
    for n in range(3):
        clients.append(burst_client(broker.host, broker.port, f"burst-{n}"))
        print(f"after client {n}'s burst: {mib(settled_rss() - baseline)} over the warm-up")
    idle = settled_rss()
    per_client = (idle - baseline) / len(clients)
    print(f"three idle clients after their bursts: {mib(idle - baseline)} ({mib(int(per_client))} per client)")
    assert idle - baseline < len(clients) * KEPT_PER_CLIENT, (
        f"{mib(idle - baseline)} for {len(clients)} clients after their bursts"
    )

    gone = [weakref.ref(m) for m in clients]
    for m in clients:
        assert m.connected is True, "a client lost its connection while idle"
        m.disconnect()
    del m
    clients.clear()
    gc.collect()
    assert [r() for r in gone] == [None] * len(gone), "a client object outlived its last reference"
    after = settled_rss()
    print(f"after disconnect and drop: {mib(after - baseline)} over the warm-up ({mib(after - idle)} from idle)")
    assert after - idle < NOISE, f"disconnecting and dropping grew RSS by {mib(after - idle)}"
