"""Scenarios of issue 18 for the Python face (tests/scenarios.tsv): typed events checked by
mypy, async handlers run one at a time in event order (or concurrently when asked), the
error for an unknown event name, and the MQTTError class."""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple, Type, Union

import pytest

import ferromq
import ferromq.aio
from conftest import Broker, unique
from test_aio import make_aio, until  # noqa: F401 - make_aio is a fixture

ROOT = Path(__file__).resolve().parents[2]

# ---- typed_events ----

# Each program is checked by the face's own mypy (--strict, the project's configuration).
TYPED_OK = """
    import asyncio
    from typing import List

    import ferromq
    import ferromq.aio

    def show(e: ferromq.MessageEvent) -> None:
        print(e.topic, e.qos, e.message_b, e.retained, e.properties.content_type)

    def blocking(topics: List[str]) -> None:
        m = ferromq.mqtt()
        m.version = 1
        m.on("MessageIn", show)
        m.on("Subscribed", lambda e: topics.append(e.topic_filter))
        m.on("Log", lambda e: print(e.log_level, e.message))

        @m.on("Connected")
        def connected(e: ferromq.ConnectedEvent) -> None:
            print(e.status_code, e.description)

        m.subscribe("t/#", 2)
        m.publish("t/a", "x", qos=1)
        m.off("MessageIn", show)

    async def forward(e: ferromq.MessageEvent, a: ferromq.aio.mqtt) -> None:
        await a.publish("copy/" + e.topic, e.message_b, qos=e.qos)

    async def main() -> None:
        a = ferromq.aio.mqtt()

        async def handle(e: ferromq.MessageEvent) -> None:
            await asyncio.sleep(0)
            await forward(e, a)

        a.on("MessageIn", handle)
        a.on("MessageOut", handle, concurrent=True)
        a.on("Disconnected", lambda e: print(e.status_code), concurrent=True)
        level: ferromq.QoS = 2
        await a.publish_message("t", level, "x")
"""

TYPED_BAD = {
    # A misspelt attribute of the event, in a def handler and in a lambda.
    "misspelt_def": """
        import ferromq

        def show(e: ferromq.MessageEvent) -> None:
            print(e.topc)

        ferromq.mqtt().on("MessageIn", show)
    """,
    "misspelt_lambda": """
        import ferromq.aio

        ferromq.aio.mqtt().on("MessageIn", lambda e: print(e.mesage))
    """,
    # A handler of another event's class.
    "wrong_class": """
        import ferromq

        def connected(e: ferromq.ConnectedEvent) -> None:
            print(e.status_code)

        ferromq.mqtt().on("MessageIn", connected)
    """,
    "version_5": """
        import ferromq

        m = ferromq.mqtt()
        m.version = 5
    """,
    "qos_3": """
        import ferromq

        ferromq.mqtt().publish("t", "x", qos=3)
    """,
    "qos_3_aio": """
        import ferromq.aio

        async def main(a: ferromq.aio.mqtt) -> None:
            await a.publish_data("t", 3, b"x")
    """,
}


def scenario_typed_events(tmp_path: Path) -> None:
    files = {"typed_ok": TYPED_OK, **TYPED_BAD}
    for name, text in files.items():
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(text))
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--config-file",
            str(ROOT / "python" / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "cache"),
            *(f"{name}.py" for name in files),
        ],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=50,
    )
    errors: Dict[str, List[str]] = {name: [] for name in files}
    for line in run.stdout.splitlines():
        if ": error:" in line:
            errors[line.split(".py:", 1)[0]].append(line)
    assert errors.pop("typed_ok") == [], run.stdout
    for name, found in errors.items():
        assert found, f"mypy let {name} through:\n{textwrap.dedent(TYPED_BAD[name])}"
    assert run.returncode == 1, run.stdout + run.stderr


# ---- async_handlers_in_order ----


async def _subscriber(make: Callable[[], ferromq.aio.mqtt], broker: Broker, topic: str) -> ferromq.aio.mqtt:
    m = make()
    await m.connect_to(broker.host, broker.port)
    await m.subscribe(topic, 1)
    return m


async def _send_ten(make: Callable[[], ferromq.aio.mqtt], broker: Broker, topic: str) -> None:
    p = make()
    await p.connect_to(broker.host, broker.port)
    # All ten in flight at once: they reach the subscriber as a burst.
    await asyncio.gather(*(p.publish(topic, str(i), qos=1) for i in range(10)))


async def scenario_async_handlers_in_order(
    make_aio: Callable[[], ferromq.aio.mqtt],  # noqa: F811 (the fixture)
    broker: Broker,
) -> None:
    loop = asyncio.get_running_loop()
    reported: List[Dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, ctx: reported.append(ctx))
    try:
        # By default: one at a time, in the order the messages came.
        topic = unique("in_order")
        m = await _subscriber(make_aio, broker, topic)
        log: List[Tuple[str, int]] = []
        running = 0
        most = 0

        @m.on("MessageIn")
        async def slow(e: ferromq.MessageEvent) -> None:
            nonlocal running, most
            i = int(e.message)
            running += 1
            most = max(most, running)
            log.append(("start", i))
            await asyncio.sleep(random.uniform(0.001, 0.03))
            log.append(("end", i))
            running -= 1
            if i == 3:
                raise ValueError("handler of message 3")  # must not stop the later ones

        await _send_ten(make_aio, broker, topic)
        await until(lambda: len(log) == 20)
        assert log == [(step, i) for i in range(10) for step in ("start", "end")]
        assert most == 1
        assert [str(ctx["exception"]) for ctx in reported] == ["handler of message 3"]
        assert reported[0]["client"] is m

        # concurrent=True: every handler has started before any of them ends.
        topic = unique("concurrent")
        c = await _subscriber(make_aio, broker, topic)
        started: List[int] = []
        ended: List[int] = []
        all_started = asyncio.Event()

        async def overlapping(e: ferromq.MessageEvent) -> None:
            started.append(int(e.message))
            if len(started) == 10:
                all_started.set()
            await asyncio.wait_for(all_started.wait(), 10)
            ended.append(int(e.message))

        assert c.on("MessageIn", overlapping, concurrent=True) is overlapping
        await _send_ten(make_aio, broker, topic)
        await until(lambda: len(ended) == 10)
        assert started == list(range(10)), "the handlers start in order"
        assert sorted(ended) == list(range(10))
        # off() finds a handler registered with concurrent=True.
        assert c.off("MessageIn", overlapping) == 1
        assert len(reported) == 1
    finally:
        loop.set_exception_handler(None)


# ---- unknown_event_name ----


@pytest.mark.parametrize("cls", [ferromq.mqtt, ferromq.aio.mqtt], ids=["mqtt", "aio.mqtt"])
def scenario_unknown_event_name(cls: Type[Union[ferromq.mqtt, ferromq.aio.mqtt]]) -> None:
    m = cls()
    attempts: List[Callable[[], object]] = [
        lambda: m.on("message", print),  # type: ignore[call-overload]  # on purpose: not a name
        lambda: m.on("message"),  # type: ignore[call-overload]  # the decorator form
        lambda: m.off("message"),  # type: ignore[call-overload]
    ]
    if isinstance(m, ferromq.aio.mqtt):
        a = m
        attempts.append(lambda: a.on("message", print, concurrent=True))  # type: ignore[call-overload]
    for attempt in attempts:
        with pytest.raises(ValueError) as err:
            attempt()
        text = str(err.value)
        assert "'message'" in text or '"message"' in text, text
        for name in ferromq.EVENT_NAMES:
            assert name in text, (name, text)
    # The documented names, in any letter case, are accepted.
    assert m.on("messagein", print) is print  # type: ignore[call-overload]
    assert m.off("MessageIn", print) == 1


# ---- error_class ----


def _check_error(e: BaseException, code: int) -> None:
    assert isinstance(e, ferromq.MQTTError) and isinstance(e, Exception)
    assert e.code == code, e
    assert str(e).startswith(f"[{code}] ")


async def scenario_error_class(
    make_aio: Callable[[], ferromq.aio.mqtt],  # noqa: F811 (the fixture)
    broker: Broker,
) -> None:
    assert "MQTTError" in ferromq.__all__
    assert isinstance(ferromq.MQTTError, type) and issubclass(ferromq.MQTTError, Exception)
    topic = unique("errors")
    qos3: Any = 3  # what mypy refuses (scenario_typed_events); the run-time check still fires

    m = ferromq.mqtt()
    m.timeout = 10
    try:
        with pytest.raises(ferromq.MQTTError) as err:
            m.connect_to(broker.host, broker.closed_port)
        _check_error(err.value, 10061)
        m.connect_to(broker.host, broker.port)
        with pytest.raises(ferromq.MQTTError) as err:
            m.publish_message(f"{topic}/+", 1, "x")
        _check_error(err.value, 502)
        with pytest.raises(ferromq.MQTTError) as err:
            m.publish(topic, "x", qos=qos3)
        _check_error(err.value, 505)
    finally:
        if m.connected:
            m.disconnect()

    a = make_aio()
    with pytest.raises(ferromq.MQTTError) as err:
        await a.connect_to(broker.host, broker.closed_port)
    _check_error(err.value, 10061)
    await a.connect_to(broker.host, broker.port)
    with pytest.raises(ferromq.MQTTError) as err:
        await a.publish(f"{topic}/#", "x", qos=1)
    _check_error(err.value, 502)
    with pytest.raises(ferromq.MQTTError) as err:
        await a.publish_data(topic, qos3, b"x")
    _check_error(err.value, 505)
