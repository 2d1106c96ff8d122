"""Shared fixtures for the Python face's tests.

The brokers come from tests/harness/with-brokers, which exports FERROMQ_TEST_HOST,
FERROMQ_TEST_PORT (anonymous), FERROMQ_TEST_AUTH_PORT (+ _USER/_PASSWORD) and
FERROMQ_TEST_CLOSED_PORT. Every test uses its own topics so tests can share one broker.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator, List, Tuple, Union

import pytest

import ferromq

if TYPE_CHECKING:
    from ferromq._native import _EventName


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


class SilentListener:
    """A TCP server that accepts connections and never sends a byte (no MQTT answer ever
    comes). `accepted` lists the peer address of every connection it took."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port: int = self.sock.getsockname()[1]
        self.accepted: List[Tuple[str, int]] = []
        self._conns: List[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="silent-listener", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self._conns.append(conn)
            self.accepted.append(peer[:2])

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for c in self._conns:
            c.close()
        self.sock.close()


@pytest.fixture
def silent_listener() -> Iterator[SilentListener]:
    listener = SilentListener()
    yield listener
    listener.close()


def free_port() -> int:
    """A loopback port nothing is bound to right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Recorder:
    """Every event a client fired, in order (register with record(client))."""

    # Any: a recorder holds events of every class, read by the fields of the one each test
    # asked for.
    events: List[Any] = field(default_factory=list)

    def __call__(self, e: object) -> None:
        self.events.append(e)

    def named(self, name: str) -> List[Any]:
        return [e for e in self.events if e.name == name]


def record(m: Union[ferromq.mqtt, ferromq.aio.mqtt], *names: _EventName) -> Recorder:
    """Record the events `names` (all documented events when none are given) of `m`."""
    r = Recorder()
    for name in names or ferromq.EVENT_NAMES:
        m.on(name, r)
    return r


class GatedRelay:
    """A TCP relay to the real broker whose server-to-client direction waits at a gate:
    while `gate` is clear, what the broker sends is held back. Lets a test see what a
    client does before an answer (CONNACK, SUBACK) can possibly have arrived."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.gate = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port: int = self.sock.getsockname()[1]
        self._socks: List[socket.socket] = [self.sock]
        threading.Thread(target=self._accept, name="relay-accept", daemon=True).start()

    def _accept(self) -> None:
        try:
            client, _ = self.sock.accept()
        except OSError:
            return
        server = socket.create_connection(self.target)
        self._socks += [client, server]
        threading.Thread(target=self._pipe, args=(client, server, False), daemon=True).start()
        threading.Thread(target=self._pipe, args=(server, client, True), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, gated: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if gated:
                    self.gate.wait()
                dst.sendall(data)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def close(self) -> None:
        self.gate.set()
        for s in self._socks:
            s.close()


@pytest.fixture
def gated_relay(broker: Broker) -> Iterator[GatedRelay]:
    relay = GatedRelay(broker.host, broker.port)
    yield relay
    relay.close()


class PrivateBroker:
    """A mosquitto of the test's own on a free loopback port, for tests that freeze, kill
    and restart the broker. (The harness broker serves every other test at the same time
    and must never be stopped.) No persistence: a restarted broker has lost every session."""

    def __init__(self, extra: str = "") -> None:
        self.dir = tempfile.mkdtemp(prefix="ferromq-py-broker-")
        self.conf = os.path.join(self.dir, "mosquitto.conf")
        self.proc: "subprocess.Popen[bytes] | None" = None
        self.port = 0
        for _ in range(5):
            self.port = free_port()
            with open(self.conf, "w") as f:
                f.write(
                    f"listener {self.port} 127.0.0.1\nallow_anonymous true\nuser root\n"
                    f"max_queued_messages 100000\n{extra}\n"
                )
            if self._spawn():
                return
        self.close()
        pytest.fail("cannot start a private mosquitto")

    def _spawn(self) -> bool:
        exe = shutil.which("mosquitto") or next(
            (p for p in ("/usr/sbin/mosquitto", "/usr/bin/mosquitto") if os.path.exists(p)), "mosquitto"
        )
        self.proc = subprocess.Popen([exe, "-c", self.conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return True
            except OSError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        # Not listening (the port was taken meanwhile, or it is too slow): give up on it.
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc = None
        return False

    def pause(self) -> None:
        """SIGSTOP: the connections stay open but nothing is answered."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL: no goodbye to the clients."""
        if self.proc is None:
            return
        self.resume()
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        """Start again on the same port and config."""
        self.kill()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._spawn():
                return
            time.sleep(0.1)
        pytest.fail(f"mosquitto did not come back on port {self.port}")

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_broker() -> Iterator[PrivateBroker]:
    b = PrivateBroker()
    yield b
    b.close()
