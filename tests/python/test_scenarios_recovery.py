"""The recovery scenarios of tests/scenarios.tsv (issue 14): the application stays in
control whatever the server does, and the client recovers from servers that flood, stall,
restart from lost state or misbehave.

The hostile servers are the scripted peer tests/harness/hostile-peer; the restarts and the
freeze use a mosquitto of the test's own (tests/harness/lone-broker); the rest the shared
broker. Mostly the blocking class; the flood also with the asyncio class.
"""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Union

import pytest

import ferromq
import ferromq.aio
from conftest import Broker, Recorder, SilentListener, pump_for, pump_until, record, unique

HARNESS = Path(__file__).resolve().parents[2] / "tests" / "harness"


# ---- the scripted hostile peer ----


class HostilePeer:
    """tests/harness/hostile-peer MODE as a child process; it serves until its stdin closes."""

    def __init__(self, mode: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HARNESS / "hostile-peer"), mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.isdigit():
            self.close()
            pytest.fail(f"hostile-peer {mode} did not print its port (got {line!r})")
        self.port = int(line)

    def close(self) -> None:
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def hostile_peer() -> Iterator[Callable[[str], int]]:
    """Start the peer in a mode; returns its port. Every peer started ends with the test."""
    peers: List[HostilePeer] = []

    def start(mode: str) -> int:
        peers.append(HostilePeer(mode))
        return peers[-1].port

    yield start
    for p in peers:
        p.close()


# ---- the lone broker ----


class LoneBroker:
    """tests/harness/lone-broker: a persistent mosquitto of the test's own, to kill -9,
    restart (same directory and port: it comes back with its saved sessions) or freeze."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.port: Optional[int] = None
        self.proc: "Optional[subprocess.Popen[bytes]]" = None

    def start(self) -> None:
        port_file = self.dir / "port"
        if port_file.exists():
            port_file.unlink()
        args = [str(HARNESS / "lone-broker"), str(self.dir)]
        if self.port is not None:
            args.append(str(self.port))
        # The pid is mosquitto's own: the script execs it.
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if self.port is None and port_file.exists():
                text = port_file.read_text().strip()
                self.port = int(text) if text.isdigit() else None
            if self.port is not None:
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                    return
                except OSError:
                    pass
            time.sleep(0.05)
        log = self.dir / "mosquitto.log"
        said = log.read_text() if log.exists() else ""
        self.close()
        pytest.fail(f"the lone broker did not accept on port {self.port}: {said}")

    def wait_saved(self, since: float, timeout: float = 10.0) -> None:
        """Wait until the broker has saved its state after `since` (time.time()); it saves
        every second. Best effort: the scenario must pass either way."""
        db = self.dir / "mosquitto.db"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if db.exists() and db.stat().st_mtime > since:
                return
            time.sleep(0.1)

    def signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def kill(self) -> None:
        """kill -9: no goodbye to the clients, nothing saved beyond the last autosave."""
        if self.proc is None:
            return
        self.signal(signal.SIGCONT)
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def close(self) -> None:
        self.kill()

    @property
    def bound_port(self) -> int:
        """The port it listens on; known once start() has returned."""
        assert self.port is not None, "the lone broker has not started"
        return self.port


@pytest.fixture
def lone_broker(tmp_path: Path) -> Iterator[LoneBroker]:
    b = LoneBroker(tmp_path / "lone-broker")
    b.start()
    yield b
    b.close()


# ---- helpers ----


def slow_counter(m: Union[ferromq.mqtt, ferromq.aio.mqtt]) -> List[int]:
    """A MessageIn handler that takes 1 ms per message; returns its count (a 1-list)."""
    count = [0]

    def handler(_e: ferromq.MessageEvent) -> None:
        count[0] += 1
        time.sleep(0.001)

    m.on("MessageIn", handler)
    return count


def statuses(r: Recorder, name: str) -> List[int]:
    return [e.status_code for e in r.named(name)]


# ---- a flood of messages ----


def scenario_flood_returns_control(hostile_peer: Callable[[str], int], make_client: Callable[[], ferromq.mqtt]) -> None:
    port = hostile_peer("flood")
    m = make_client()
    count = slow_counter(m)
    m.connect_to("127.0.0.1", port)
    # The flood is on once far more has arrived than one turn of firing can take.
    pump_until(m, lambda: count[0] >= 2000, timeout=30)

    longest = 0.0
    for _ in range(20):
        t = time.monotonic()
        m.do_events()
        longest = max(longest, time.monotonic() - t)
    print(f"flood: longest do_events() {longest * 1000:.0f} ms")
    assert longest < 2, f"a do_events() took {longest:.2f} s"

    before = count[0]
    m.timeout = 2
    t = time.monotonic()
    try:
        m.subscribe("flood/other", 0)  # its SUBACK is behind the flood
    except ferromq.MQTTError as e:
        assert e.code == 201, e
    took = time.monotonic() - t
    print(f"flood: subscribe() with timeout 2 returned after {took:.2f} s")
    assert took < 15, f"subscribe() with timeout 2 took {took:.1f} s"
    assert count[0] > before, "the flood went on meanwhile"
    assert m.connected is True


async def test_aio_flood_keeps_the_loop_turning(hostile_peer: Callable[[str], int]) -> None:
    """flood_returns_control with the asyncio class: during the flood the loop still runs
    a timer on time, and subscribe() settles."""
    port = hostile_peer("flood")
    loop = asyncio.get_running_loop()
    m = ferromq.aio.mqtt()
    m.timeout = 10
    count = slow_counter(m)
    try:
        await m.connect_to("127.0.0.1", port)
        # Waiting on the loop's own timers already needs the loop to turn.
        deadline = loop.time() + 30
        while count[0] < 2000:
            assert loop.time() < deadline, "no flood arrived"
            await asyncio.sleep(0.01)

        lateness: List[float] = []
        during: List[int] = []
        fired = loop.create_future()
        due = loop.time() + 0.2

        def timer() -> None:
            lateness.append(loop.time() - due)
            during.append(count[0])
            fired.set_result(None)

        before = count[0]
        loop.call_at(due, timer)
        await fired
        print(f"aio flood: a timer ran {lateness[0] * 1000:.0f} ms late")
        assert lateness[0] < 2, f"the timer ran {lateness[0]:.2f} s late"
        assert during[0] > before, "the flood went on while the timer waited"

        m.timeout = 2
        t = loop.time()
        try:
            await m.subscribe("flood/other", 0)
        except ferromq.MQTTError as e:
            assert e.code == 201, e
        assert loop.time() - t < 15
        assert m.connected is True
    finally:
        if m.connected:
            try:
                await m.disconnect()
            except ferromq.MQTTError:
                pass
        m.close()


def scenario_flood_keepalive_survives(
    hostile_peer: Callable[[str], int], make_client: Callable[[], ferromq.mqtt]
) -> None:
    port = hostile_peer("flood")
    m = make_client()
    count = slow_counter(m)
    r = record(m, "Disconnected", "Error")
    m.keep_alive_interval = 1
    m.connect_to("127.0.0.1", port)
    # Eight keep-alive intervals while the event queue stays full and reading pauses.
    end = time.monotonic() + 8
    while time.monotonic() < end:
        m.do_events()
        assert r.named("Disconnected") == [], "the flood was taken for a dead server"
        assert m.connected is True
    assert [e for e in r.named("Error") if e.error_code == 201] == []
    print(f"keep-alive 1 s under the flood: {count[0]} messages in 8 s, still connected")
    assert count[0] > 1000, "the flood was read"


# ---- servers that lost their state ----


def scenario_id_reuse_after_server_restart(
    hostile_peer: Callable[[str], int], make_client: Callable[[], ferromq.mqtt]
) -> None:
    port = hostile_peer("reuse-id")
    m = make_client()
    m.config("LogLevel=2")
    r = record(m, "MessageIn", "Disconnected", "Log")
    m.connect_to("127.0.0.1", port)
    pump_until(m, lambda: any(e.topic == "t/end" for e in r.named("MessageIn")), timeout=20)
    assert [(e.topic, e.message) for e in r.named("MessageIn")] == [("t/new", "new"), ("t/end", "end")]
    assert r.named("Disconnected") == [], "the client closed the connection"
    assert m.connected is True
    assert m.incoming_messages == (), "the forgotten QoS 2 message was dropped"
    said = [e.message for e in r.named("Log") if e.log_type == "Session"]
    assert any(re.search(r"\b7\b", x) and "t/old" in x for x in said), "the drop is logged: " + repr(said)


def scenario_broker_restart_recovers(lone_broker: LoneBroker, make_client: Callable[[], ferromq.mqtt]) -> None:
    b = lone_broker
    m = make_client()
    m.client_id = unique("restart").replace("/", "-")
    m.clean_session = False
    for setting in ("AutoReconnect=true", "ReconnectMinDelay=100"):
        m.config(setting)
    r = record(m, "Connected", "Disconnected", "MessageIn")
    m.connect_to("127.0.0.1", b.bound_port)
    topic = unique("restart")
    subscribed = time.time()
    m.subscribe(topic, 1)
    b.wait_saved(since=subscribed)

    b.kill()
    pump_until(m, lambda: len(r.named("Disconnected")) == 1, timeout=20)
    assert r.named("Disconnected")[0].status_code != 0
    b.start()
    pump_until(m, lambda: statuses(r, "Connected").count(0) >= 2, timeout=30)

    # Published after the restart, by another client, until it arrives: whether the broker
    # kept the subscription or the client made it again, the subscriber receives it.
    p = make_client()
    p.connect_to("127.0.0.1", b.bound_port)
    deadline = time.monotonic() + 20
    while not any(e.message == "after restart" for e in r.named("MessageIn")):
        assert time.monotonic() < deadline, "nothing arrived after the restart"
        p.publish_message(topic, 1, "after restart")
        pump_for(m, 0.3)
    assert m.connected is True
    attempts = statuses(r, "Connected")
    print(f"broker restart: {len(attempts)} connection attempts ({attempts.count(0)} succeeded)")
    assert attempts.count(0) == 2, attempts
    assert len(attempts) <= 10, f"{len(attempts)} connection attempts: {attempts}"


def scenario_early_drop_backs_off(hostile_peer: Callable[[str], int], make_client: Callable[[], ferromq.mqtt]) -> None:
    port = hostile_peer("early-drop")
    m = make_client()
    assert m.config("ReconnectStableTime") == "10000"
    for setting in ("AutoReconnect=true", "ReconnectMinDelay=100"):
        m.config(setting)
    r = record(m, "Connected")
    try:
        m.connect_to("127.0.0.1", port)
        started = time.monotonic()
        pump_for(m, 3)
        elapsed = time.monotonic() - started
        ok = statuses(r, "Connected").count(0)
        print(f"early drop: {ok} connections in {elapsed:.1f} s")
        assert ok >= 2, f"it did not reconnect ({statuses(r, 'Connected')})"
        assert ok <= 8, f"{ok} connections in {elapsed:.1f} s: each CONNACK reset the backoff"
    finally:
        m.reset()  # stops reconnecting


# ---- a server that stops answering ----


def scenario_stall_detected_while_publishing(lone_broker: LoneBroker, make_client: Callable[[], ferromq.mqtt]) -> None:
    b = lone_broker
    m = make_client()
    m.keep_alive_interval = 2
    # Every publish reaches the wire (the in-flight window never fills and goes quiet):
    # the keep-alive must not count on silence to notice the server.
    m.config("MaxInflight=1000")
    gone: List[float] = []
    codes: List[int] = []

    def on_disconnected(e: ferromq.DisconnectedEvent) -> None:
        gone.append(time.monotonic())
        codes.append(e.status_code)

    m.on("Disconnected", on_disconnected)
    m.connect_to("127.0.0.1", b.bound_port)
    m.timeout = 0
    b.signal(signal.SIGSTOP)
    frozen = time.monotonic()
    try:
        while not gone:
            assert time.monotonic() - frozen < 30, "the frozen server was never noticed"
            try:
                m.publish_message("stall/t", 1, "x")
            except ferromq.MQTTError as e:
                assert e.code in (135, 1117), e  # a full buffer, or already gone
            end = time.monotonic() + 0.05
            while time.monotonic() < end and not gone:
                m.do_events()
    finally:
        b.signal(signal.SIGCONT)
        b.kill()
    took = gone[0] - frozen
    print(f"stall: Disconnected {codes[0]} {took:.2f} s after the freeze")
    assert codes[0] == 201, codes
    assert took < 8, f"the frozen server was noticed after {took:.1f} s"


# ---- Ctrl-C ----

_CTRL_C_CHILD = r"""
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
    threading.Event().wait()  # keep the connection open

threading.Thread(target=watch, daemon=True).start()
m = ferromq.mqtt()
m.timeout = 10
try:
    m.connect_to("127.0.0.1", silent.getsockname()[1])
    print("returned", flush=True)
except KeyboardInterrupt as e:
    caught = time.monotonic()
    sent = float(sys.stdin.readline())  # the parent's time.monotonic() at the signal
    ctx = e.__context__
    print("KeyboardInterrupt", type(ctx).__name__, getattr(ctx, "code", None), f"{caught - sent:.3f}",
          m.connected, flush=True)
except ferromq.MQTTError as e:
    print("MQTTError", e.code, flush=True)
"""


def scenario_wait_check_interrupts() -> None:
    """Ctrl-C (SIGINT from outside) while the main thread waits in connect_to."""
    child = subprocess.Popen(
        [sys.executable, "-c", _CTRL_C_CHILD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        first = child.stdout.readline().strip()
        assert first == "waiting", first + (child.stderr.read() if child.stderr else "")
        # time.monotonic() is the system's monotonic clock: the child compares with it.
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        child.stdin.write(f"{sent}\n")
        child.stdin.flush()
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    words = out.split()
    assert words[:3] == ["KeyboardInterrupt", "MQTTError", "301"], out + err
    delay = float(words[3])
    print(f"Ctrl-C raised {delay * 1000:.0f} ms after the signal")
    assert delay < 1, f"KeyboardInterrupt came {delay:.2f} s after the signal"
    assert words[4] == "False", "the interrupted connect was abandoned"


_SIGTERM_CHILD = r"""
import signal, socket, sys, threading, ferromq

class Stop(Exception):
    pass

def on_term(signum, frame):
    raise Stop("SIGTERM")

signal.signal(signal.SIGTERM, on_term)
silent = socket.socket()
silent.bind(("127.0.0.1", 0))
silent.listen(4)

def watch():
    conn, _ = silent.accept()
    conn.recv(1024)
    print("waiting", flush=True)
    threading.Event().wait()

threading.Thread(target=watch, daemon=True).start()
m = ferromq.mqtt()
m.timeout = 30
try:
    m.connect_to("127.0.0.1", silent.getsockname()[1])
    print("returned", flush=True)
except Stop as e:
    ctx = e.__context__
    print("Stop", type(ctx).__name__, getattr(ctx, "code", None), flush=True)
"""


def test_what_a_signal_handler_raises_ends_the_wait() -> None:
    """Not only KeyboardInterrupt: whatever the program's own signal handler raises ends
    the wait the same way, with the 301 as its context."""
    child = subprocess.Popen(
        [sys.executable, "-c", _SIGTERM_CHILD], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "waiting"
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert out.split() == ["Stop", "MQTTError", "301"], out + err


_CTRL_C_IN_A_HANDLER_CHILD = r"""
import os, signal, sys, time, ferromq

# Python leaves SIGINT ignored when it started ignored (a job started with & by a
# non-interactive shell): install the usual handler so that Ctrl-C means KeyboardInterrupt.
signal.signal(signal.SIGINT, signal.default_int_handler)

m = ferromq.mqtt()
m.timeout = 30
count = 0
state = {"subscribing": False, "sent": None}

def on_message(e):
    global count
    count += 1
    if state["subscribing"] and state["sent"] is None and count > 3000:
        state["sent"] = time.monotonic()
        os.kill(os.getpid(), signal.SIGINT)  # handled at once, inside this handler
    time.sleep(0.001)

m.on("MessageIn", on_message)
m.connect_to("127.0.0.1", int(sys.argv[1]))
while count < 2000:
    m.do_events()
state["subscribing"] = True
try:
    m.subscribe("flood/other", 0)  # its SUBACK is far behind the flood
    print("returned", flush=True)
except KeyboardInterrupt as e:
    print("KeyboardInterrupt", f"{time.monotonic() - state['sent']:.3f}", flush=True)
"""


def test_ctrl_c_in_a_handler_during_a_flood_ends_the_call(hostile_peer: Callable[[str], int]) -> None:
    """During a flood, Ctrl-C usually strikes while a handler's Python code runs: the
    KeyboardInterrupt comes out of the handler, and it ends the blocking call (Timeout 30)
    instead of waiting behind the rest of the flood."""
    port = hostile_peer("flood")
    r = subprocess.run(
        [sys.executable, "-c", _CTRL_C_IN_A_HANDLER_CHILD, str(port)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,  # the child's exit status is one of the things checked below
    )
    words = r.stdout.split()
    assert words[:1] == ["KeyboardInterrupt"], r.stdout + r.stderr
    assert float(words[1]) < 10, f"the call ended {words[1]} s after Ctrl-C"


# ---- limits and protocol details ----


def scenario_inbound_size_limit(make_client: Callable[[], ferromq.mqtt], broker: Broker) -> None:
    assert make_client().config("MaxIncomingPacketSize") == "67108864"
    p = make_client()
    p.connect_to(broker.host, broker.port)

    # 3.1.1 has no way to tell the server: the client ends the connection.
    m = make_client()
    m.config("MaxIncomingPacketSize=1000")
    assert m.config("MaxIncomingPacketSize") == "1000"
    r = record(m, "Disconnected", "Error", "MessageIn")
    m.connect_to(broker.host, broker.port)
    topic = unique("limit311")
    m.subscribe(topic, 0)
    p.publish_data(topic, 0, bytes(2000))
    pump_until(m, lambda: len(r.named("Disconnected")) == 1, timeout=20)
    assert r.named("Disconnected")[0].status_code == 500
    said = " ".join([e.description for e in r.named("Disconnected") + r.named("Error")])
    sizes = [int(n) for n in re.findall(r"\d+", said)]
    assert 1000 in sizes and any(n >= 2000 for n in sizes), said
    assert r.named("MessageIn") == []

    # 5.0 announces it: the broker does not send what is too large, and the connection stays.
    v5 = make_client()
    v5.version = 1
    v5.config("MaxIncomingPacketSize=1000")
    r5 = record(v5, "Disconnected", "MessageIn")
    v5.connect_to(broker.host, broker.port)
    topic = unique("limit5")
    v5.subscribe(topic, 0)
    p.publish_data(topic, 0, bytes(2000))
    p.publish_message(topic, 0, "small")
    pump_until(v5, lambda: len(r5.named("MessageIn")) >= 1, timeout=20)
    assert [e.message for e in r5.named("MessageIn")] == ["small"]
    assert r5.named("Disconnected") == []
    assert v5.connected is True


def scenario_connack_session_present_on_clean_start(
    hostile_peer: Callable[[str], int], make_client: Callable[[], ferromq.mqtt]
) -> None:
    port = hostile_peer("connack-sp1")
    m = make_client()
    m.version = 1
    with pytest.raises(ferromq.MQTTError) as err:
        m.connect_to("127.0.0.1", port)
    assert err.value.code == 500, err.value
    assert "MQTT-3.2.2-4" in err.value.message, err.value
    assert m.connected is False

    # 3.1.1 leaves it to the client; the connection is kept (and the oddity logged).
    old = make_client()
    logs = record(old, "Log")
    old.connect_to("127.0.0.1", port)
    assert old.connected is True
    pump_until(old, lambda: any(e.log_type == "Session" and "Session Present" in e.message for e in logs.named("Log")))


def scenario_empty_client_id_assigned(
    make_client: Callable[[], ferromq.mqtt], broker: Broker, silent_listener: SilentListener
) -> None:
    m = make_client()
    m.version = 1
    m.clean_session = False
    assert m.client_id == ""
    m.connect_to(broker.host, broker.port)
    assert m.client_id != "" and not m.client_id.startswith("ferromq"), m.client_id

    with pytest.raises(ferromq.MQTTError) as err:
        m.connect_to(broker.host, broker.port)
    assert err.value.code == 104, err.value
    assert "already connected" in err.value.message, err.value
    assert m.connected is True

    # 3.1.1: a server must refuse it, so it is refused here before anything is sent.
    old = make_client()
    old.clean_session = False
    with pytest.raises(ferromq.MQTTError) as err:
        old.connect_to("127.0.0.1", silent_listener.port)
    assert err.value.code == 10022, err.value
    pump_for(old, 0.2)
    assert silent_listener.accepted == [], "a connection was made before the refusal"


def scenario_non_minimal_length_v311(
    hostile_peer: Callable[[str], int], make_client: Callable[[], ferromq.mqtt]
) -> None:
    port = hostile_peer("nonminimal")
    m = make_client()
    r = record(m, "MessageIn")
    m.connect_to("127.0.0.1", port)
    pump_until(m, lambda: len(r.named("MessageIn")) == 1)
    assert [(e.topic, e.message) for e in r.named("MessageIn")] == [("t/nm", "nm")]

    v5 = make_client()
    v5.version = 1
    with pytest.raises(ferromq.MQTTError) as err:
        v5.connect_to("127.0.0.1", port)
    assert err.value.code == 504, err.value
    assert v5.connected is False
