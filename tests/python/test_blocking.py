"""Behaviour of the blocking class with a real broker: threads and the GIL, handlers
(re-entrancy, exceptions), event fields, timeout 0, the connected property."""

from __future__ import annotations

import socket
import sys
import threading
import time
from typing import Any, Callable, List

import pytest

import ferromq
from conftest import Broker, pump_for, pump_until

# ---- the GIL ----


class _Counter(threading.Thread):
    """Counts as fast as it can until stopped: proof that this thread got the GIL."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.count = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.count += 1


def test_gil_is_released_while_connect_waits(client: ferromq.mqtt) -> None:
    # A listener that never answers: the TCP handshake completes (the kernel's backlog) and
    # CONNACK never comes, so connect() waits out its timeout.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    client.timeout = 1
    counter = _Counter()
    counter.start()
    time.sleep(0.05)
    start_count = counter.count
    t0 = time.monotonic()
    try:
        with pytest.raises(ferromq.MQTTError) as err:
            client.connect_to("127.0.0.1", silent.getsockname()[1])
    finally:
        counter.stop.set()
        counter.join()
        silent.close()
    assert err.value.code == 201, "a connect that gets no CONNACK times out"
    assert time.monotonic() - t0 >= 0.9
    assert counter.count - start_count > 10_000, "the other thread ran while connect() waited"


def test_gil_is_released_while_subscribe_and_do_events_wait(connected: ferromq.mqtt, topic: str) -> None:
    m = connected
    counter = _Counter()
    counter.start()
    try:
        m.subscribe(topic, 1)
        before = counter.count
        pump_for(m, 0.5)  # do_events() waits 0.1 s at a time when nothing comes
        ran = counter.count - before
    finally:
        counter.stop.set()
        counter.join()
    assert ran > 10_000


def test_other_threads_may_use_the_client(connected: ferromq.mqtt, topic: str) -> None:
    m = connected
    ins: List[ferromq.MessageEvent] = []
    m.on("MessageIn", ins.append)
    m.subscribe(topic, 1)
    errors: List[BaseException] = []

    def publisher() -> None:
        try:
            for i in range(50):
                m.publish_message(topic, 1, str(i))
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    t = threading.Thread(target=publisher)
    t.start()
    pump_until(m, lambda: len(ins) == 50 or (not t.is_alive() and errors != []))
    t.join()
    assert errors == []
    assert sorted(int(e.message) for e in ins) == list(range(50))


# ---- handlers ----


def test_handler_may_publish_from_message_in(connected: ferromq.mqtt, topic: str) -> None:
    """Re-entrancy: a MessageIn handler calls publish on the same client."""
    m = connected
    echoes: List[str] = []

    @m.on("MessageIn")
    def echo(e: ferromq.MessageEvent) -> None:
        if e.topic == f"{topic}/ping":
            m.publish_message(f"{topic}/pong", 1, "pong:" + e.message)
        else:
            echoes.append(e.message)

    m.subscribe(f"{topic}/ping,{topic}/pong", 1)
    for i in range(3):
        m.publish_message(f"{topic}/ping", 1, str(i))
    pump_until(m, lambda: len(echoes) == 3)
    assert sorted(echoes) == ["pong:0", "pong:1", "pong:2"]


def test_handler_may_subscribe_from_a_handler(connected: ferromq.mqtt, topic: str) -> None:
    m = connected
    got: List[str] = []

    @m.on("Subscribed")
    def more(e: ferromq.SubscribedEvent) -> None:
        if e.topic_filter == f"{topic}/first":
            m.subscribe(f"{topic}/second", 0)  # a blocking call inside a handler

    m.on("MessageIn", lambda e: got.append(e.topic))
    m.subscribe(f"{topic}/first", 0)
    m.publish_message(f"{topic}/second", 0, "x")
    pump_until(m, lambda: got == [f"{topic}/second"])


def test_several_handlers_for_one_event_run_in_order(connected: ferromq.mqtt, topic: str) -> None:
    m = connected
    calls: List[str] = []
    m.on("MessageIn", lambda e: calls.append("a"))
    m.on("MessageIn", lambda e: calls.append("b"))
    m.subscribe(topic, 0)
    m.publish_message(topic, 0, "x")
    pump_until(m, lambda: len(calls) == 2)
    assert calls == ["a", "b"]


def test_handler_exception_is_raised_from_the_call_that_fired_it(connected: ferromq.mqtt, topic: str) -> None:
    m = connected
    seen: List[str] = []

    @m.on("MessageIn")
    def boom(e: ferromq.MessageEvent) -> None:
        seen.append(e.message)
        raise ValueError("handler failed: " + e.message)

    m.subscribe(topic, 0)
    # Whichever call happens to fire the event (publish or do_events) raises.
    with pytest.raises(ValueError, match="handler failed: one"):
        m.publish_message(topic, 0, "one")
        pump_until(m, lambda: False, timeout=5)
    assert seen == ["one"]
    # The client is unharmed and later events still come.
    with pytest.raises(ValueError, match="handler failed: two"):
        m.publish_message(topic, 0, "two")
        pump_until(m, lambda: False, timeout=5)
    assert m.connected


def test_second_handler_exception_in_one_call_goes_to_unraisablehook(
    connected: ferromq.mqtt, topic: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = connected
    unraisable: List[BaseException] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: unraisable.append(u.exc_value))
    calls: List[str] = []

    @m.on("MessageIn")
    def boom(e: ferromq.MessageEvent) -> None:
        calls.append(e.message)
        raise RuntimeError(e.message)

    m.subscribe(topic, 1)
    m.timeout = 0  # events queue up; one do_events() then fires them all
    for word in ("first", "second"):
        m.publish_message(topic, 1, word)
    m.timeout = 10
    time.sleep(1.0)  # both messages arrive meanwhile; nothing fires them yet
    with pytest.raises(RuntimeError, match="first"):
        m.do_events()
    assert calls == ["first", "second"], "the remaining events were still fired"
    assert [str(e) for e in unraisable] == ["second"]


def test_handler_exception_next_to_a_failed_call_is_kept_as_context(client: ferromq.mqtt, broker: Broker) -> None:
    @client.on("Connected")
    def boom(e: ferromq.ConnectedEvent) -> None:
        raise KeyError("from the handler")

    with pytest.raises(ferromq.MQTTError) as err:
        client.connect_to(broker.host, broker.closed_port)
    assert err.value.code == 10061
    assert isinstance(err.value.__context__, KeyError)


def test_handler_exception_inside_a_nested_call_stays_there(connected: ferromq.mqtt, topic: str) -> None:
    """An exception from a handler fired by a call made inside another handler is raised by
    that inner call, and the outer handler may catch it."""
    m = connected
    caught: List[str] = []

    @m.on("MessageIn")
    def outer(e: ferromq.MessageEvent) -> None:
        if e.topic.endswith("/a"):
            try:
                m.publish_message(f"{topic}/b", 0, "inner")
                pump_for(m, 0.3)
            except LookupError as exc:
                caught.append(str(exc))
        else:
            raise LookupError("inner handler")

    m.subscribe(f"{topic}/#", 0)
    m.publish_message(f"{topic}/a", 0, "outer")
    pump_until(m, lambda: caught != [])
    assert caught == ["inner handler"]


# ---- event fields ----


def test_message_fields(connected: ferromq.mqtt, topic: str) -> None:
    m = connected
    ins: List[ferromq.MessageEvent] = []
    m.on("MessageIn", ins.append)
    m.subscribe(topic, 2)
    m.publish_data(topic, 1, bytearray(b"\xff\xfeabc"))
    m.publish_data(topic, 2, memoryview(b"view"))
    m.publish_message(topic, 0, "h\u00e9llo \u2603")
    pump_until(m, lambda: len(ins) == 3)
    # QoS 2 needs an extra round trip before MessageIn, so arrival order may differ.
    by_qos = {e.qos: e for e in ins}
    first, second, third = by_qos[1], by_qos[2], by_qos[0]
    assert first.name == "MessageIn"
    assert first.message_b == b"\xff\xfeabc"
    assert first.message == "\ufffd\ufffdabc", "invalid UTF-8 becomes U+FFFD"
    assert (first.qos, first.retained, first.duplicate) == (1, False, False)
    assert first.packet_id > 0
    assert (second.qos, second.message) == (2, "view")
    assert (third.qos, third.packet_id, third.message) == (0, -1, "h\u00e9llo \u2603")
    assert "MessageIn" in repr(first)
    with pytest.raises(AttributeError):
        first.topic = "changed"  # type: ignore[misc]  # events are read-only: the runtime refuses


def test_retained_message_is_flagged(
    connected: ferromq.mqtt, make_client: Callable[[], ferromq.mqtt], broker: Broker, topic: str
) -> None:
    m = connected
    acked: List[ferromq.MessageEvent] = []
    m.on("MessageOut", acked.append)
    assert m.config("Retain=true") == ""
    m.publish_message(topic, 1, "kept")
    m.config("Retain=false")
    pump_until(m, lambda: acked != [])  # PUBACK: the broker holds the message now

    late = make_client()
    ins: List[ferromq.MessageEvent] = []
    late.on("MessageIn", ins.append)
    late.connect_to(broker.host, broker.port)
    late.subscribe(topic, 1)
    pump_until(late, lambda: len(ins) == 1)
    assert ins[0].retained is True and ins[0].message == "kept"
    # Clear the retained message for later runs.
    m.config("Retain=true")
    m.publish_data(topic, 0, b"")
    m.config("Retain=false")


def test_subscribe_and_unsubscribe_event_fields(connected: ferromq.mqtt, topic: str) -> None:
    m = connected
    subs: List[ferromq.SubscribedEvent] = []
    unsubs: List[ferromq.UnsubscribedEvent] = []
    m.on("Subscribed", subs.append)
    m.on("Unsubscribed", unsubs.append)
    m.config("TopicQOSArray=0,2")
    m.subscribe(f"{topic}/x,{topic}/y", 1)
    assert [(e.name, e.topic_filter, e.qos) for e in subs] == [
        ("Subscribed", f"{topic}/x", 0),
        ("Subscribed", f"{topic}/y", 2),
    ]
    m.unsubscribe(f"{topic}/x,{topic}/y")
    assert [(e.name, e.topic_filters) for e in unsubs] == [("Unsubscribed", f"{topic}/x,{topic}/y")]


def test_log_events(client: ferromq.mqtt, broker: Broker) -> None:
    logs: List[ferromq.LogEvent] = []
    client.on("Log", logs.append)
    client.config("LogLevel=1")
    client.connect_to(broker.host, broker.port)
    assert logs, "LogLevel 1 gives Log events"
    assert all(e.name == "Log" and 1 <= e.log_level <= 1 and e.log_type and e.message for e in logs)


def test_disconnected_and_connection_status(client: ferromq.mqtt, broker: Broker) -> None:
    events: List[Any] = []  # Any: events of three classes, read by their fields
    for name in ("Connected", "ConnectionStatus", "Disconnected"):
        client.on(name, events.append)
    client.connect_to(broker.host, broker.port)
    client.disconnect()
    pump_until(client, lambda: any(e.name == "Disconnected" for e in events))
    names = [e.name for e in events]
    assert names.index("Connected") < names.index("Disconnected")
    status = [e for e in events if e.name == "ConnectionStatus"]
    assert all(isinstance(e.connection_event, str) and isinstance(e.status_code, int) for e in status)


# ---- ways of connecting ----


def test_connected_property_connects_and_disconnects(client: ferromq.mqtt, broker: Broker) -> None:
    client.remote_host = broker.host
    client.remote_port = broker.port
    client.connected = True
    assert client.connected is True
    with pytest.raises(ferromq.MQTTError) as err:
        client.remote_port = 1
    assert err.value.code == 100, "RemotePort is locked while connected"
    with pytest.raises(ferromq.MQTTError) as err:
        client.client_id = "other"
    assert err.value.code == 211
    client.connected = False
    assert client.connected is False


def test_connect_twice_is_refused(connected: ferromq.mqtt, broker: Broker) -> None:
    with pytest.raises(ferromq.MQTTError) as err:
        connected.connect_to(broker.host, broker.port)
    assert err.value.code in (101, 104)
    assert connected.connected


def test_timeout_zero_returns_at_once_and_reports_by_events(client: ferromq.mqtt, broker: Broker, topic: str) -> None:
    connected_events: List[ferromq.ConnectedEvent] = []
    subs: List[ferromq.SubscribedEvent] = []
    client.on("Connected", connected_events.append)
    client.on("Subscribed", subs.append)
    client.timeout = 0
    client.connect_to(broker.host, broker.port)
    pump_until(client, lambda: connected_events != [])
    assert connected_events[0].status_code == 0 and client.connected
    client.subscribe(topic, 1)
    pump_until(client, lambda: subs != [])
    assert subs[0].topic_filter == topic


def test_with_block_disconnects(broker: Broker) -> None:
    with ferromq.mqtt() as m:
        m.timeout = 10
        m.connect_to(broker.host, broker.port)
        assert m.connected
    assert not m.connected


def test_v5_roundtrip_and_will_settings(client: ferromq.mqtt, broker: Broker, topic: str) -> None:
    client.version = 1
    client.will_topic = f"{topic}/will"
    client.will_message = "bye"
    client.config("WillQOS=1")
    client.keep_alive_interval = 30
    ins: List[ferromq.MessageEvent] = []
    client.on("MessageIn", ins.append)
    client.connect_to(broker.host, broker.port)
    client.subscribe(topic, 2)
    client.publish_message(topic, 2, "five")
    pump_until(client, lambda: len(ins) == 1)
    assert ins[0].message == "five" and ins[0].qos == 2


def test_many_messages_arrive_in_order(connected: ferromq.mqtt, topic: str) -> None:
    m = connected
    got: List[int] = []
    m.on("MessageIn", lambda e: got.append(int(e.message)))
    m.subscribe(topic, 1)
    n = 2000
    for i in range(n):
        m.publish_message(topic, 1, str(i))
    pump_until(m, lambda: len(got) == n, timeout=30)
    assert got == list(range(n))


_EXIT_WHILE_BUSY = """
import ferromq, sys, threading, time
m = ferromq.mqtt()
m.on("MessageIn", lambda e: None)
m.connect_to(sys.argv[1], int(sys.argv[2]))
m.subscribe(sys.argv[3], 0)
def spin():
    while True:
        m.publish_message(sys.argv[3], 0, "x")
        m.do_events()
for _ in range(3):
    threading.Thread(target=spin, daemon=True).start()
time.sleep(0.2)
"""


def test_exit_with_daemon_threads_inside_calls(broker: Broker, topic: str) -> None:
    """Python < 3.14 ends daemon threads that want the GIL during shutdown with a forced
    unwind, which would abort the process inside our frames; the process must exit 0."""
    import subprocess

    for _ in range(5):
        r = subprocess.run(
            [sys.executable, "-c", _EXIT_WHILE_BUSY, broker.host, str(broker.port), topic],
            capture_output=True,
            timeout=30,
            check=False,  # the exit status is asserted below
        )
        assert r.returncode == 0, r.stderr.decode(errors="replace")


def test_timeout_zero_publish_reports_would_block_then_ready_to_send(connected: ferromq.mqtt, topic: str) -> None:
    m = connected
    ready: List[ferromq.ReadyToSendEvent] = []
    m.on("ReadyToSend", ready.append)
    m.do_events()
    ready.clear()
    m.timeout = 0
    # One message larger than the 4 MiB send buffer crosses its bound whatever the socket
    # manages to drain meanwhile: accepted, but "would block".
    big = bytes(8 << 20)
    err = None
    try:
        m.publish_data(topic, 0, big)
    except ferromq.MQTTError as e:
        err = e
    assert err is not None and err.code == 135
    m.timeout = 10
    pump_until(m, lambda: ready != [])
    assert ready[0].name == "ReadyToSend"
    m.publish_data(topic, 0, b"after the backlog")


_CTRL_C_DURING_CONNECT = r"""
import signal, socket, sys, threading, time, ferromq

# Python leaves SIGINT ignored when it started ignored (a job started with & by a
# non-interactive shell): install the usual handler so that Ctrl-C means KeyboardInterrupt.
signal.signal(signal.SIGINT, signal.default_int_handler)

silent = socket.socket()
silent.bind(("127.0.0.1", 0))
silent.listen(4)

def watch():
    conn, _ = silent.accept()
    conn.recv(1024)  # the CONNECT: connect_to now waits for a CONNACK that never comes
    print("waiting", flush=True)
    threading.Event().wait()

threading.Thread(target=watch, daemon=True).start()
m = ferromq.mqtt()
m.timeout = 30
started = time.monotonic()
try:
    m.connect_to("127.0.0.1", silent.getsockname()[1])
    print("returned", flush=True)
except KeyboardInterrupt as e:
    ctx = e.__context__
    print("KeyboardInterrupt", type(ctx).__name__, getattr(ctx, "code", None),
          f"{time.monotonic() - started:.3f}", flush=True)
except ferromq.MQTTError as e:
    print("MQTTError", e.code, flush=True)
"""


def test_ctrl_c_during_a_blocking_call_is_raised_not_lost() -> None:
    """A SIGINT that arrives while the main thread waits in the engine ends the wait: the
    call is interrupted (301) and KeyboardInterrupt is raised with that MQTTError as its
    context, long before the call's Timeout (30 s). The signal is sent only once the child
    is known to wait (its listener got the CONNECT), so a loaded machine cannot make it
    land before or after the wait."""
    import signal
    import subprocess

    child = subprocess.Popen(
        [sys.executable, "-c", _CTRL_C_DURING_CONNECT],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        first = child.stdout.readline().strip()
        assert first == "waiting", first
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    words = out.split()
    assert words[:3] == ["KeyboardInterrupt", "MQTTError", "301"], out + err
    assert float(words[3]) < 10, f"connect_to ended after {words[3]} s: the Timeout, not the signal"


def test_interrupt_from_a_timer_ends_a_wait_on_the_main_thread(client: ferromq.mqtt, broker: Broker) -> None:
    """The way to end a long wait early: interrupt() from another thread (here a timer)."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    client.timeout = 30
    attempts: List[ferromq.ConnectedEvent] = []
    client.on("Connected", attempts.append)
    t = threading.Timer(0.2, client.interrupt)
    t.start()
    started = time.monotonic()
    try:
        with pytest.raises(ferromq.MQTTError) as err:
            client.connect_to("127.0.0.1", silent.getsockname()[1])
    finally:
        t.join()
        silent.close()
    assert err.value.code == 301 and time.monotonic() - started < 3
    # The abandoned attempt reports its end; then the next call is not interrupted by the
    # old interrupt.
    pump_until(client, lambda: len(attempts) == 1)
    assert attempts[0].status_code != 0
    client.timeout = 10
    client.connect_to(broker.host, broker.port)
    assert client.connected


def test_reset_from_another_thread_ends_a_wait_and_restores_defaults(client: ferromq.mqtt) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    client.timeout = 30
    client.client_id = "py-reset-thread"
    client.config("Retain=true")
    t = threading.Timer(0.2, client.reset)
    t.start()
    try:
        with pytest.raises(ferromq.MQTTError) as err:
            client.connect_to("127.0.0.1", silent.getsockname()[1])
    finally:
        t.join()
        silent.close()
    assert err.value.code == 301
    assert (client.client_id, client.timeout, client.remote_host, client.remote_port) == ("", 60, "", 1883)
    assert client.config("Retain") == "False"
    assert client.connected is False
