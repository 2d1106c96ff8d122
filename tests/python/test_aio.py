"""The asyncio class ferromq.aio.mqtt: the scenarios, and how events and futures reach the
event loop."""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref
from typing import Any, AsyncIterator, Callable, Dict, List, Optional, Tuple

import pytest
import pytest_asyncio

import ferromq
import ferromq.aio
from conftest import PAYLOADS, Broker, GatedRelay, SilentListener, free_port


async def until(cond: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the loop run (events fire on it) until cond() holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not cond():
        if loop.time() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        await asyncio.sleep(0.01)


@pytest_asyncio.fixture
async def make_aio() -> AsyncIterator[Callable[[], ferromq.aio.mqtt]]:
    made: List[ferromq.aio.mqtt] = []

    def make() -> ferromq.aio.mqtt:
        m = ferromq.aio.mqtt()
        m.timeout = 10
        made.append(m)
        return m

    yield make
    for m in made:
        if m.connected:
            try:
                await m.disconnect()
            except ferromq.MQTTError:
                pass
        m.close()


@pytest_asyncio.fixture
async def aconnected(make_aio: Callable[[], ferromq.aio.mqtt], broker: Broker) -> ferromq.aio.mqtt:
    m = make_aio()
    await m.connect_to(broker.host, broker.port)
    return m


# ---- scenarios ----


async def _connect_and_close(m: ferromq.aio.mqtt, broker: Broker) -> None:
    connected: List[ferromq.ConnectedEvent] = []
    disconnected: List[ferromq.DisconnectedEvent] = []
    m.on("Connected", connected.append)
    m.on("Disconnected", disconnected.append)
    await m.connect_to(broker.host, broker.port)
    assert m.connected is True
    assert [e.status_code for e in connected] == [0], "the handler ran before the await returned"
    await m.disconnect()
    await until(lambda: len(disconnected) == 1)
    assert m.connected is False
    assert disconnected[0].status_code == 0


async def test_aio_scenario_connect_v311(make_aio: Callable[[], ferromq.aio.mqtt], broker: Broker) -> None:
    await _connect_and_close(make_aio(), broker)


async def test_aio_scenario_connect_v5(make_aio: Callable[[], ferromq.aio.mqtt], broker: Broker) -> None:
    m = make_aio()
    m.version = 1
    await _connect_and_close(m, broker)


async def _roundtrip(m: ferromq.aio.mqtt, topic: str, qos: ferromq.QoS) -> None:
    ins: List[ferromq.MessageEvent] = []
    outs: List[ferromq.MessageEvent] = []
    acks: List[ferromq.MessageAckEvent] = []
    m.on("MessageIn", ins.append)
    m.on("MessageOut", outs.append)
    m.on("MessageAck", acks.append)
    await m.subscribe(topic, qos)
    for p in PAYLOADS:
        await m.publish_data(topic, qos, p)
    await until(lambda: len(ins) == len(PAYLOADS) and len(outs) == len(PAYLOADS))
    assert [e.message_b for e in ins] == PAYLOADS
    assert [e.message_b for e in outs] == PAYLOADS
    out_acks = [a for a in acks if a.direction == 0]
    in_acks = [a for a in acks if a.direction == 1]
    if qos == 0:
        assert acks == []
        return
    assert len(out_acks) == len(PAYLOADS)
    if qos == 2:
        assert len(in_acks) == len(PAYLOADS)


async def test_aio_scenario_qos0_roundtrip(aconnected: ferromq.aio.mqtt, topic: str) -> None:
    await _roundtrip(aconnected, topic, 0)


async def test_aio_scenario_qos1_roundtrip(aconnected: ferromq.aio.mqtt, topic: str) -> None:
    await _roundtrip(aconnected, topic, 1)


async def test_aio_scenario_qos2_roundtrip(aconnected: ferromq.aio.mqtt, topic: str) -> None:
    await _roundtrip(aconnected, topic, 2)


async def test_aio_scenario_multi_filter_subscribe(aconnected: ferromq.aio.mqtt, topic: str) -> None:
    m = aconnected
    subscribed: List[str] = []
    ins: List[str] = []
    m.on("Subscribed", lambda e: subscribed.append(e.topic_filter))
    m.on("MessageIn", lambda e: ins.append(e.topic))
    filters = [f"{topic}/a/+/c", f"{topic}/b/#", f"{topic}/exact"]
    await m.subscribe(",".join(filters), 1)
    assert subscribed == filters
    sent = [f"{topic}/a/x/c", f"{topic}/b/y/z", f"{topic}/exact"]
    await asyncio.gather(*(m.publish_message(t, 1, t) for t in sent))
    await until(lambda: len(ins) == 3)
    assert sorted(ins) == sorted(sent)


async def test_aio_scenario_unsubscribe_stops_delivery(aconnected: ferromq.aio.mqtt, topic: str) -> None:
    m = aconnected
    ins: List[str] = []
    unsubscribed: List[str] = []
    m.on("MessageIn", lambda e: ins.append(e.message))
    m.on("Unsubscribed", lambda e: unsubscribed.append(e.topic_filters))
    await m.subscribe(topic, 1)
    await m.publish_message(topic, 1, "before")
    await until(lambda: ins == ["before"])
    await m.unsubscribe(topic)
    assert unsubscribed == [topic]
    await m.publish_message(topic, 1, "after")
    await asyncio.sleep(0.5)
    assert ins == ["before"]


async def test_aio_scenario_wrong_password_refused(make_aio: Callable[[], ferromq.aio.mqtt], broker: Broker) -> None:
    m = make_aio()
    m.user = broker.user
    m.password = "wrong-" + broker.password
    with pytest.raises(ferromq.MQTTError) as err:
        await m.connect_to(broker.host, broker.auth_port)
    assert err.value.code == 500
    assert not m.connected
    ok = make_aio()
    ok.user = broker.user
    ok.password = broker.password
    await ok.connect_to(broker.host, broker.auth_port)
    assert ok.connected


async def test_aio_scenario_closed_port_fails(make_aio: Callable[[], ferromq.aio.mqtt], broker: Broker) -> None:
    m = make_aio()
    with pytest.raises(ferromq.MQTTError) as err:
        await m.connect_to(broker.host, broker.closed_port)
    assert err.value.code == 10061
    assert str(broker.closed_port) in err.value.message


async def test_aio_scenario_publish_wildcard_refused(aconnected: ferromq.aio.mqtt, topic: str) -> None:
    for bad in (f"{topic}/+", f"{topic}/#"):
        with pytest.raises(ferromq.MQTTError) as err:
            await aconnected.publish_message(bad, 1, "x")
        assert err.value.code == 502
    assert aconnected.connected
    await aconnected.publish_message(topic, 1, "fine")


async def test_aio_scenario_publish_qos3_refused(aconnected: ferromq.aio.mqtt, topic: str) -> None:
    with pytest.raises(ferromq.MQTTError) as err:
        await aconnected.publish_data(topic, 3, b"x")  # type: ignore[arg-type]  # the run-time check
    assert err.value.code == 505
    assert aconnected.connected
    await aconnected.publish_data(topic, 1, b"fine")


# ---- delivery on the loop ----


async def test_handlers_run_on_the_loop_thread(aconnected: ferromq.aio.mqtt, topic: str) -> None:
    m = aconnected
    threads: List[int] = []
    m.on("MessageIn", lambda e: threads.append(threading.get_ident()))
    m.on("MessageOut", lambda e: threads.append(threading.get_ident()))
    await m.subscribe(topic, 1)
    await m.publish_message(topic, 1, "x")
    await until(lambda: len(threads) == 2)
    assert set(threads) == {threading.get_ident()}


async def test_async_handler_is_awaited_and_may_await_the_client(aconnected: ferromq.aio.mqtt, topic: str) -> None:
    m = aconnected
    pongs: List[str] = []

    @m.on("MessageIn")
    async def echo(e: ferromq.MessageEvent) -> None:
        if e.topic.endswith("/ping"):
            await m.publish_message(f"{topic}/pong", 1, "pong " + e.message)
        else:
            pongs.append(e.message)

    await m.subscribe(f"{topic}/+", 1)
    await m.publish_message(f"{topic}/ping", 1, "1")
    await until(lambda: pongs == ["pong 1"])


async def test_sync_handler_may_call_the_client(aconnected: ferromq.aio.mqtt, topic: str) -> None:
    m = aconnected
    got: List[str] = []

    @m.on("MessageIn")
    def echo(e: ferromq.MessageEvent) -> None:
        if e.topic.endswith("/ping"):
            m.publish_message(f"{topic}/pong", 0, "pong")  # starts at once; not awaited
        else:
            got.append(e.message)

    await m.subscribe(f"{topic}/+", 0)
    await m.publish_message(f"{topic}/ping", 0, "x")
    await until(lambda: got == ["pong"])


async def test_handler_exceptions_go_to_the_loop_exception_handler(aconnected: ferromq.aio.mqtt, topic: str) -> None:
    m = aconnected
    loop = asyncio.get_running_loop()
    reported: List[Dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, ctx: reported.append(ctx))
    after: List[str] = []

    @m.on("MessageIn")
    def boom(e: ferromq.MessageEvent) -> None:
        raise ValueError("sync " + e.message)

    @m.on("MessageIn")
    async def aboom(e: ferromq.MessageEvent) -> None:
        raise KeyError("async " + e.message)

    m.on("MessageIn", lambda e: after.append(e.message))
    try:
        await m.subscribe(topic, 0)
        await m.publish_message(topic, 0, "x")
        await until(lambda: len(reported) == 2 and after == ["x"])
    finally:
        loop.set_exception_handler(None)
    kinds = sorted(type(ctx["exception"]).__name__ for ctx in reported)
    assert kinds == ["KeyError", "ValueError"]
    assert all(ctx["client"] is m for ctx in reported)


async def test_errors_before_sending(make_aio: Callable[[], ferromq.aio.mqtt]) -> None:
    m = make_aio()
    with pytest.raises(ferromq.MQTTError) as err:
        await m.subscribe("a/b", 0)
    assert err.value.code == 1117
    with pytest.raises(ferromq.MQTTError) as err:
        await m.connect()
    assert err.value.code == 102
    with pytest.raises(TypeError):
        m.publish_data("a/b", 0, "text")  # type: ignore[arg-type]  # on purpose: the runtime must refuse it


async def test_timeout_applies_to_awaits(make_aio: Callable[[], ferromq.aio.mqtt]) -> None:
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    m = make_aio()
    m.timeout = 1
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    t = asyncio.ensure_future(ticker())
    try:
        with pytest.raises(ferromq.MQTTError) as err:
            await m.connect_to("127.0.0.1", silent.getsockname()[1])
    finally:
        t.cancel()
        silent.close()
    assert err.value.code == 201
    assert ticks > 20, "the loop kept running while connect waited"


async def test_cancelled_await_does_not_break_the_client(aconnected: ferromq.aio.mqtt, topic: str) -> None:
    m = aconnected
    fut = m.subscribe(topic, 1)
    fut.cancel()
    await asyncio.sleep(0.2)
    got: List[str] = []
    m.on("MessageIn", lambda e: got.append(e.message))
    await m.subscribe(topic, 1)
    await m.publish_message(topic, 1, "after cancel")
    await until(lambda: got == ["after cancel"])


async def test_async_with_disconnects(broker: Broker) -> None:
    async with ferromq.aio.mqtt() as m:
        await m.connect_to(broker.host, broker.port)
        assert m.connected
    assert not m.connected
    m.close()


async def test_dropped_client_is_collected(broker: Broker) -> None:
    m = ferromq.aio.mqtt()
    m.on("MessageIn", lambda e: m.publish_message("x", 0, "y"))  # noqa: F821 - a handler that holds its client (a cycle); del m leaves only the cycle
    await m.connect_to(broker.host, broker.port)
    ref = weakref.ref(m)
    del m
    gc.collect()
    await asyncio.sleep(0.05)
    gc.collect()
    assert ref() is None


def test_client_is_bound_to_one_loop(broker: Broker) -> None:
    m = ferromq.aio.mqtt()

    async def connect() -> None:
        await m.connect_to(broker.host, broker.port)

    async def disconnect() -> None:
        await m.disconnect()

    asyncio.run(connect())
    with pytest.raises(RuntimeError, match="another event loop"):
        asyncio.run(disconnect())


def test_methods_need_a_running_loop() -> None:
    m = ferromq.aio.mqtt()
    with pytest.raises(RuntimeError):
        m.connect()


async def test_many_messages_cross_batches_in_order(aconnected: ferromq.aio.mqtt, topic: str) -> None:
    """More events than one loop callback fires (256): the rest follow in order."""
    m = aconnected
    got: List[int] = []
    m.on("MessageIn", lambda e: got.append(int(e.message)))
    await m.subscribe(topic, 1)
    n = 2000
    await asyncio.gather(*(m.publish_message(topic, 1, str(i)) for i in range(n)))
    await until(lambda: len(got) == n, timeout=30)
    assert got == list(range(n))


async def test_closed_client_refuses_calls(make_aio: Callable[[], ferromq.aio.mqtt], broker: Broker) -> None:
    m = make_aio()
    await m.connect_to(broker.host, broker.port)
    await m.disconnect()
    m.close()
    with pytest.raises(RuntimeError, match="closed"):
        m.connect()


# ---- the class members of issue 3, with asyncio ----


async def test_aio_scenario_local_host_and_port(make_aio: Callable[[], ferromq.aio.mqtt], broker: Broker) -> None:
    m = make_aio()
    port = free_port()
    m.local_host = "127.0.0.1"
    m.local_port = port
    await m.connect_to(broker.host, broker.port)
    assert (m.local_host, m.local_port, m.ready_to_send) == ("127.0.0.1", port, True)
    with pytest.raises(ferromq.MQTTError) as err:
        m.local_port = 0
    assert err.value.code == 106
    await m.disconnect()
    assert m.ready_to_send is False


async def test_aio_scenario_timeout_expires(
    make_aio: Callable[[], ferromq.aio.mqtt], silent_listener: SilentListener
) -> None:
    m = make_aio()
    m.timeout = 1
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(ferromq.MQTTError) as err:
        await m.connect_to("127.0.0.1", silent_listener.port)
    assert err.value.code == 201
    assert 0.9 <= loop.time() - started < 4
    assert m.connected is False


async def test_aio_scenario_interrupt_from_thread(
    make_aio: Callable[[], ferromq.aio.mqtt], silent_listener: SilentListener
) -> None:
    """interrupt() from another thread fails the pending await with 301 at once."""
    m = make_aio()
    m.timeout = 30
    loop = asyncio.get_running_loop()
    timer = threading.Timer(0.3, m.interrupt)
    timer.start()
    started = loop.time()
    with pytest.raises(ferromq.MQTTError) as err:
        await m.connect_to("127.0.0.1", silent_listener.port)
    timer.join()
    assert err.value.code == 301, err.value
    assert err.value.message == "interrupted while connecting"  # the core's text, as in every face
    assert loop.time() - started < 2.5
    await until(lambda: not m.connected)


async def test_aio_interrupt_on_the_loop_fails_every_pending_call(
    make_aio: Callable[[], ferromq.aio.mqtt], gated_relay: GatedRelay, topic: str
) -> None:
    m = make_aio()
    m.timeout = 0  # no limit: only the interrupt can end the waits
    gated_relay.gate.set()
    await m.connect_to("127.0.0.1", gated_relay.port)
    gated_relay.gate.clear()  # SUBACK and UNSUBACK are held back
    sub = m.subscribe(topic, 1)
    unsub = m.unsubscribe(topic)
    await asyncio.sleep(0.2)
    assert not sub.done() and not unsub.done()
    m.interrupt()
    for fut, what in ((sub, "waiting for SUBACK"), (unsub, "waiting for UNSUBACK")):
        with pytest.raises(ferromq.MQTTError) as err:
            await fut
        assert err.value.code == 301 and what in err.value.message
    await until(lambda: not m.connected)
    # A call made after the interrupt is not affected by it.
    gated_relay.gate.set()
    with pytest.raises(ferromq.MQTTError) as err:
        await m.subscribe(topic, 1)
    assert err.value.code == 1117


async def test_aio_scenario_interrupt_from_handler(aconnected: ferromq.aio.mqtt, topic: str) -> None:
    m = aconnected
    disconnected: List[object] = []
    m.on("Disconnected", disconnected.append)
    m.on("Subscribed", lambda e: m.interrupt())
    try:
        await m.subscribe(topic, 1)
    except ferromq.MQTTError as e:
        assert e.code == 301
    await until(lambda: len(disconnected) == 1)
    assert m.connected is False


async def test_aio_scenario_reset_defaults(make_aio: Callable[[], ferromq.aio.mqtt], broker: Broker) -> None:
    m = make_aio()
    fresh = ferromq.aio.mqtt()
    connected: List[int] = []
    disconnected: List[int] = []
    m.on("Connected", lambda e: connected.append(e.status_code))
    m.on("Disconnected", lambda e: disconnected.append(e.status_code))
    m.client_id = "py-aio-reset"
    m.keep_alive_interval = 20
    m.config("Retain=true")
    m.config("LogLevel=0")
    await m.connect_to(broker.host, broker.port)
    m.reset()
    await until(lambda: len(disconnected) == 1)
    for name in (
        "client_id",
        "keep_alive_interval",
        "remote_host",
        "remote_port",
        "timeout",
        "connected",
        "ready_to_send",
    ):
        assert getattr(m, name) == getattr(fresh, name), name
    for s in ferromq.config_settings():
        assert m.config(s.name) == s.default, s.name
    await m.connect_to(broker.host, broker.port)
    assert connected == [0, 0], "handlers stay registered"
    fresh.close()


async def test_aio_scenario_collections_in_message_ack(aconnected: ferromq.aio.mqtt, topic: str) -> None:
    m = aconnected
    at_ack: List[Tuple[int, int, Optional[ferromq.MQTTMessage]]] = []
    listed_at_end: List[Tuple[int, List[int]]] = []

    def ack(e: ferromq.MessageAckEvent) -> None:
        coll = m.outgoing_messages if e.direction == 0 else m.incoming_messages
        msg = coll[e.index] if 0 <= e.index < len(coll) else None
        at_ack.append((e.direction, e.packet_id, msg))

    m.on("MessageAck", ack)
    m.on("MessageIn", lambda e: listed_at_end.append((e.packet_id, [x.packet_id for x in m.incoming_messages])))
    m.on("MessageOut", lambda e: listed_at_end.append((e.packet_id, [x.packet_id for x in m.outgoing_messages])))
    await m.subscribe(topic, 2)
    await m.publish_data(topic, 2, b"\x00\xffexactly once")
    await until(lambda: len(listed_at_end) == 2)
    assert sorted(d for d, _, _ in at_ack) == [0, 1]
    for direction, packet_id, msg in at_ack:
        assert msg is not None and msg.packet_id == packet_id
        assert (msg.topic, msg.qos, msg.state) == (topic, 2, 4 if direction == 0 else 9)
        assert msg.message_b == b"\x00\xffexactly once"
        assert msg.message == "\x00\ufffdexactly once"
    for packet_id, listed in listed_at_end:
        assert packet_id not in listed


async def test_aio_scenario_threads_publish(aconnected: ferromq.aio.mqtt, topic: str) -> None:
    """Four concurrent tasks publish 50 messages each; all 200 arrive, each task's in order."""
    m = aconnected
    got: List[str] = []
    m.on("MessageIn", lambda e: got.append(e.message))
    await m.subscribe(topic, 1)

    async def worker(t: int) -> None:
        for i in range(50):
            await m.publish_message(topic, 1, f"{t}-{i}")
            if i % 7 == 0:
                await asyncio.sleep(0)

    await asyncio.gather(*(worker(t) for t in range(4)))
    await until(lambda: len(got) >= 200, timeout=30)
    await asyncio.sleep(0.2)
    assert len(got) == 200
    for t in range(4):
        assert [int(x.split("-")[1]) for x in got if x.startswith(f"{t}-")] == list(range(50))


async def test_aio_scenario_destroy_in_flight(broker: Broker, topic: str) -> None:
    for qos in (1, 2):
        m = ferromq.aio.mqtt()
        m.timeout = 10
        m.on("MessageOut", lambda e: m.client_id)  # noqa: B023, F821 - a handler that holds its client (a cycle), then del m
        await m.connect_to(broker.host, broker.port)
        # Not awaited: the client goes while its publishes are still on their way.
        pending = [m.publish_message(topic, qos, f"in flight {i}") for i in range(20)]
        ref = weakref.ref(m)
        del m, pending
        gc.collect()
        await asyncio.sleep(0.05)
        gc.collect()
        assert ref() is None
    # The loop and the engine still serve a new client.
    c = ferromq.aio.mqtt()
    got: List[str] = []
    c.on("MessageIn", lambda e: got.append(e.message))
    await c.connect_to(broker.host, broker.port)
    await c.subscribe(topic, 1)
    await c.publish_message(topic, 1, "after")
    await until(lambda: got == ["after"])
    await c.disconnect()
    c.close()
