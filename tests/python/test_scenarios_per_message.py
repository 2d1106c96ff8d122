"""The per-message MQTT 5.0 scenarios of issue 17 (tests/scenarios.tsv, from
publish_options_concurrent on), mirroring core/tests/it/per_message.rs: options given with
each publish, acknowledged publishes, the properties of each received message,
request/response, the will's properties and manual acknowledgements. Plus the refusals of
bad arguments."""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import weakref
from typing import Any, Callable, Dict, List, Tuple

import pytest

import ferromq
import ferromq._native
import ferromq.aio
from conftest import Broker, pump_for, pump_until, record, unique
from test_aio import make_aio, until  # noqa: F401 - make_aio is a fixture

CODES = {c["name"]: c["code"] for c in ferromq._native._description()["errors"]}
INVALID_ARGUMENT = CODES["INVALID_ARGUMENT"]
SERVER_REFUSED = CODES["SERVER_REFUSED"]
INVALID_QOS = CODES["INVALID_QOS"]
TIMEOUT = CODES["TIMEOUT"]
QOS: Tuple[ferromq.QoS, ...] = (0, 1, 2)


def v5(make_client: Callable[[], ferromq.mqtt], broker: Broker) -> ferromq.mqtt:
    m = make_client()
    m.version = 1
    m.connect_to(broker.host, broker.port)
    return m


def all_properties(i: int) -> ferromq.PublishProperties:
    """Every property a client may publish, with values that tell message `i` apart."""
    return {
        "payload_format_indicator": i % 2,
        "message_expiry_interval": 3600 + i,
        "content_type": f"text/x-{i}",
        "response_topic": f"replies/{i}",
        # Not UTF-8, and holding a zero: correlation data is bytes.
        "correlation_data": bytes([0xFF, 0, i]),
        "user_properties": [("n", str(i)), ("dup", "first"), ("dup", "second")],
    }


def check_received(e: ferromq.MessageEvent, i: int) -> None:
    p = e.properties
    got = p.to_dict()
    # mosquitto keeps a message expiry counting down: it may arrive a second lower.
    expiry = got.pop("message_expiry_interval")
    assert 3600 + i - 5 <= expiry <= 3600 + i, (e.topic, expiry)
    got.pop("subscription_identifiers")
    want: Dict[str, Any] = dict(all_properties(i))
    want.pop("message_expiry_interval")
    want["topic_alias"] = None
    assert got == want, e.topic
    assert p.correlation_data == bytes([0xFF, 0, i])
    assert p.user_properties == [("n", str(i)), ("dup", "first"), ("dup", "second")]


# ---- publish_options_concurrent ----


async def scenario_publish_options_concurrent(
    make_aio: Callable[[], ferromq.aio.mqtt],  # noqa: F811 (the fixture)
    broker: Broker,
) -> None:
    topic = unique("options")
    sub = make_aio()
    sub.version = 1
    got = record(sub, "MessageIn")
    await sub.connect_to(broker.host, broker.port)
    await sub.subscribe(f"{topic}/#", 2)
    publisher = make_aio()
    publisher.version = 1
    await publisher.connect_to(broker.host, broker.port)
    # A client-wide setting the per-message publishes must neither read nor change.
    publisher.config('OutgoingMessageProperties={"ContentType":"wide"}')
    before = publisher.config("OutgoingMessageProperties")

    async def one(i: int) -> ferromq.Delivered:
        return await publisher.publish(f"{topic}/{i}", f"m{i}", qos=QOS[i % 3], properties=all_properties(i))

    delivered = await asyncio.gather(*(one(i) for i in range(100)))
    assert [d.packet_id == -1 for d in delivered] == [i % 3 == 0 for i in range(100)]
    await until(lambda: len(got.events) >= 100, 30)
    assert len(got.events) == 100
    wrong = 0
    for e in got.events:
        i = int(e.topic.rsplit("/", 1)[1])
        assert e.message == f"m{i}"
        assert e.qos == i % 3
        if e.properties.correlation_data != bytes([0xFF, 0, i]):
            wrong += 1
        check_received(e, i)
    assert wrong == 0
    assert publisher.config("OutgoingMessageProperties") == before

    # Checked before anything is sent, naming the value.
    for bad, named in (
        ({"subscription_identifiers": [4]}, "subscription_identifiers"),
        ({"payload_format_indicator": 2}, "payload_format_indicator 2"),
    ):
        with pytest.raises(ferromq.MQTTError) as err:
            await publisher.publish(topic, "x", qos=1, properties=bad)  # type: ignore[arg-type]
        assert err.value.code == INVALID_ARGUMENT and named in err.value.message, err.value
    with pytest.raises(ferromq.MQTTError) as err:
        await publisher.publish(topic, "x", qos=3)  # type: ignore[arg-type]  # the run-time check
    assert err.value.code == INVALID_QOS
    old = make_aio()
    await old.connect_to(broker.host, broker.port)
    with pytest.raises(ferromq.MQTTError) as err:
        await old.publish(topic, "x", properties=all_properties(1))
    assert err.value.code == INVALID_ARGUMENT and "5.0" in err.value.message, err.value


def test_publish_options_concurrent_threads(make_client: Callable[[], ferromq.mqtt], broker: Broker) -> None:
    """The blocking class: 100 threads publishing at once on one client."""
    topic = unique("options-threads")
    sub = v5(make_client, broker)
    got = record(sub, "MessageIn")
    sub.subscribe(f"{topic}/#", 2)
    publisher = v5(make_client, broker)
    results: Dict[int, ferromq.Delivered] = {}
    errors: List[BaseException] = []

    def one(i: int) -> None:
        try:
            results[i] = publisher.publish(f"{topic}/{i}", f"m{i}".encode(), QOS[i % 3], False, all_properties(i))
        except BaseException as e:  # noqa: BLE001 - handed to the test thread
            errors.append(e)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(results) == 100
    pump_until(sub, lambda: len(got.events) >= 100, 30)
    for e in got.events:
        check_received(e, int(e.topic.rsplit("/", 1)[1]))


# ---- publish_acknowledged ----


def _password_client(m: Any, broker: Broker) -> None:
    m.version = 1
    m.user = broker.user
    m.password = broker.password


def _denied() -> str:
    return os.environ.get("FERROMQ_TEST_DENIED_PREFIX", "denied/") + unique("x")


def scenario_publish_acknowledged(make_client: Callable[[], ferromq.mqtt], broker: Broker) -> None:
    c = make_client()
    _password_client(c, broker)
    c.connect_to(broker.host, broker.auth_port)
    topic = unique("acked")
    c.subscribe(topic, 2)

    q0 = c.publish(topic, "0")
    assert (q0.packet_id, q0.reason_code) == (-1, 0)
    assert q0 == ferromq.Delivered(-1, 0)
    q1 = c.publish(topic, "1", qos=1)
    assert q1.packet_id > 0 and q1.reason_code == 0
    q2 = c.publish(topic, b"2", qos=2)
    assert q2.packet_id > 0 and q2.packet_id != q1.packet_id and q2.reason_code == 0
    # mosquitto acknowledges a message nobody subscribed to with 0x10: still a success.
    assert c.publish(unique("nobody"), "x", qos=1).reason_code == 0x10
    # Refused by the broker's ACL: the wait fails with 506 naming the reason code.
    for qos in (1, 2):
        with pytest.raises(ferromq.MQTTError) as err:
            c.publish(_denied(), "no", qos=qos)
        assert err.value.code == SERVER_REFUSED and "0x87" in err.value.message, err.value
    # Without waiting: None once accepted; the acknowledgement still comes as events.
    outs = record(c, "MessageOut")
    assert c.publish(topic, "later", qos=1, wait=False) is None
    pump_until(c, lambda: any(e.message == "later" for e in outs.events))

    # The asyncio class resolves at the same points.
    async def aio() -> None:
        a = ferromq.aio.mqtt()
        a.timeout = 10
        _password_client(a, broker)
        await a.connect_to(broker.host, broker.auth_port)
        try:
            assert await a.publish(topic, "0") == ferromq.Delivered(-1, 0)
            for qos in (1, 2):
                d = await a.publish(topic, "a", qos=qos)
                assert d.packet_id > 0 and d.reason_code == 0
            assert (await a.publish(unique("nobody"), "x", qos=1)).reason_code == 0x10
            for qos in QOS[1:]:
                with pytest.raises(ferromq.MQTTError) as err:
                    await a.publish(_denied(), "no", qos=qos)
                assert err.value.code == SERVER_REFUSED and "0x87" in err.value.message
        finally:
            await a.disconnect()
            a.close()

    asyncio.run(aio())
    c.disconnect()


# ---- message_properties ----


def scenario_message_properties(make_client: Callable[[], ferromq.mqtt], broker: Broker) -> None:
    topic = unique("props")
    sub = make_client()
    sub.version = 1
    got = record(sub, "MessageIn")
    sub.connect_to(broker.host, broker.port)
    sub.config("SubscriptionIdentifier=77")
    sub.subscribe(f"{topic}/#", 2)
    publisher = v5(make_client, broker)
    for qos in QOS:
        publisher.publish(f"{topic}/{qos}", "p", qos=qos, properties=all_properties(qos))
    pump_until(sub, lambda: len(got.events) >= 3)
    assert len(got.events) == 3
    for e in got.events:
        check_received(e, e.qos)
        assert e.properties.subscription_identifiers == [77]
        assert e.properties.topic_alias is None
        assert e.properties  # has some
        assert "content_type=" in repr(e.properties) and "properties=" in repr(e)

    # Forwarding a received message's properties: all of them but the subscription
    # identifiers (which only a server sets).
    first = got.events[0]
    forwarded = record(sub, "MessageIn")
    publisher.publish(f"{topic}/fwd", "f", qos=1, properties=first.properties)
    pump_until(sub, lambda: len(forwarded.events) >= 1)
    assert forwarded.events[0].properties.correlation_data == first.properties.correlation_data
    assert forwarded.events[0].properties.user_properties == first.properties.user_properties

    # A 3.1.1 client's messages carry none.
    plain = make_client()
    plain_got = record(plain, "MessageIn")
    plain.connect_to(broker.host, broker.port)
    plain.subscribe(f"{topic}/#", 1)
    publisher.publish(f"{topic}/x", "p", qos=1, properties=all_properties(1))
    pump_until(plain, lambda: len(plain_got.events) >= 1)
    p = plain_got.events[0].properties
    assert not p
    assert p.to_dict() == {
        "payload_format_indicator": None,
        "message_expiry_interval": None,
        "content_type": None,
        "response_topic": None,
        "correlation_data": None,
        "subscription_identifiers": [],
        "topic_alias": None,
        "user_properties": [],
    }
    assert repr(p) == "MessageProperties()"


def test_message_properties_object(make_client: Callable[[], ferromq.mqtt], broker: Broker, topic: str) -> None:
    """Read-only, equal by value, hashable, and the same object kind on every message."""
    m = v5(make_client, broker)
    got = record(m, "MessageIn")
    m.subscribe(topic, 1)
    props: ferromq.PublishProperties = {"content_type": "a", "user_properties": {"k": ["1", "2"], "j": "3"}}
    m.publish(topic, "1", qos=1, properties=props)
    m.publish(topic, "2", qos=1, properties=props)
    pump_until(m, lambda: len(got.events) >= 2)
    a, b = (e.properties for e in got.events)
    assert isinstance(a, ferromq.MessageProperties)
    assert a == b and hash(a) == hash(b) and a is not b
    assert a != got.events[0]
    assert a.user_properties == [("k", "1"), ("k", "2"), ("j", "3")]
    with pytest.raises(AttributeError):
        a.content_type = "b"  # type: ignore[misc]
    with pytest.raises(TypeError):
        ferromq.MessageProperties()


# ---- request_response ----


def scenario_request_response(make_client: Callable[[], ferromq.mqtt], broker: Broker) -> None:
    topic = unique("service")
    responder = v5(make_client, broker)
    answered: List[str] = []

    @responder.on("MessageIn")
    def answer(e: ferromq.MessageEvent) -> None:
        # A QoS 0 request, read through its ResponseTopic and CorrelationData.
        assert e.properties.response_topic is not None
        responder.respond(e, b"re:" + e.message_b)
        answered.append(e.message)

    responder.subscribe(topic, 0)
    stop = threading.Event()
    failures: List[BaseException] = []

    def serve() -> None:
        try:
            while not stop.is_set():
                responder.do_events()
        except BaseException as e:  # noqa: BLE001 - handed to the test thread
            failures.append(e)

    worker = threading.Thread(target=serve, name="responder")
    worker.start()
    try:

        async def fifty() -> List[str]:
            requester = ferromq.aio.mqtt()
            requester.version = 1
            requester.timeout = 20
            await requester.connect_to(broker.host, broker.port)
            try:
                answers = await asyncio.gather(*(requester.request(topic, f"q{i}", timeout=20) for i in range(50)))
                return [a.message for a in answers]
            finally:
                await requester.disconnect()
                requester.close()

        assert asyncio.run(fifty()) == [f"re:q{i}" for i in range(50)]

        requester = v5(make_client, broker)
        one = requester.request(topic, "solo", timeout=20)
        assert isinstance(one, ferromq.MessageEvent) and one.message == "re:solo"
        with pytest.raises(ferromq.MQTTError) as err:
            requester.request(unique("nobody"), "?", timeout=0.3)
        assert err.value.code == TIMEOUT, err.value
        # The slot was freed: the next request still works.
        assert requester.request(topic, "again", timeout=20).message == "re:again"
        # A message without ResponseTopic cannot be answered.
        got = record(requester, "MessageIn")
        mine = unique("plain")
        requester.subscribe(mine, 0)
        requester.publish(mine, "not a request")
        pump_until(requester, lambda: len(got.events) >= 1)
        with pytest.raises(ferromq.MQTTError) as err:
            requester.respond(got.events[0], "x")
        assert err.value.code == INVALID_ARGUMENT
    finally:
        stop.set()
        worker.join(30)
    assert not failures, failures


async def test_aio_respond(
    make_aio: Callable[[], ferromq.aio.mqtt],  # noqa: F811 (the fixture)
    broker: Broker,
) -> None:
    """The asyncio responder: an async handler awaits respond()."""
    topic = unique("aio-service")
    responder = make_aio()
    responder.version = 1
    delivered: List[ferromq.Delivered] = []

    async def answer(e: ferromq.MessageEvent) -> None:
        delivered.append(await responder.respond(e, "re:" + e.message, qos=1))

    responder.on("MessageIn", answer)
    await responder.connect_to(broker.host, broker.port)
    await responder.subscribe(topic, 1)
    requester = make_aio()
    requester.version = 1
    await requester.connect_to(broker.host, broker.port)
    answers = await asyncio.gather(*(requester.request(topic, str(i), qos=1) for i in range(10)))
    assert sorted(a.message for a in answers) == sorted(f"re:{i}" for i in range(10))
    await until(lambda: len(delivered) == 10)
    assert all(d.packet_id > 0 for d in delivered)


# ---- will_properties ----


def scenario_will_properties(make_client: Callable[[], ferromq.mqtt], broker: Broker) -> None:
    topic = unique("will5")
    watcher = v5(make_client, broker)
    got = record(watcher, "MessageIn")
    watcher.subscribe(topic, 1)
    # Not made by make_client: the fixture would keep it alive.
    rude = ferromq.mqtt()
    rude.timeout = 10
    rude.version = 1
    rude.will_topic = topic
    rude.will_message = "gone"
    rude.config(
        'WillProperties={"ContentType":"text/plain","CorrelationData":"00ff","MessageExpInterval":600,'
        '"PayloadFormatIndicator":1,"ResponseTopic":"who/cares","WillDelayInterval":0,'
        '"UserProperty":"site:north","UserProperty":"site:south"}'
    )
    rude.connect_to(broker.host, broker.port)
    ref = weakref.ref(rude)
    del rude
    gc.collect()
    assert ref() is None
    pump_until(watcher, lambda: len(got.events) >= 1)
    pump_for(watcher, 0.2)
    assert len(got.events) == 1
    p = got.events[0].properties
    assert p.content_type == "text/plain"
    assert p.correlation_data == b"\x00\xff"
    assert p.payload_format_indicator == 1
    assert p.response_topic == "who/cares"
    assert p.message_expiry_interval is not None and 590 < p.message_expiry_interval <= 600
    assert p.user_properties == [("site", "north"), ("site", "south")]


# ---- bad arguments ----


def test_per_message_bad_arguments(make_client: Callable[[], ferromq.mqtt], broker: Broker, topic: str) -> None:
    m = v5(make_client, broker)
    outs = record(m, "MessageOut")
    refusals: List[Any] = [
        ({"nope": 1}, "nope"),
        ({"subscription_identifiers": [1]}, "subscription_identifiers"),
        ({"payload_format_indicator": 2}, "payload_format_indicator"),
        ({"payload_format_indicator": 256}, "payload_format_indicator"),
        ({"message_expiry_interval": -1}, "message_expiry_interval"),
        ({"topic_alias": 0}, "topic_alias"),
        ({"topic_alias": 1 << 16}, "topic_alias"),
        ({"content_type": "a\0b"}, "content_type"),
    ]
    for bad, named in refusals:
        with pytest.raises(ferromq.MQTTError) as err:
            m.publish(topic, "x", qos=1, properties=bad)
        assert err.value.code == INVALID_ARGUMENT and named in err.value.message, (bad, err.value)
    wrong_types: List[Any] = [
        {"content_type": 5},
        {"response_topic": b"bytes"},
        {"correlation_data": 5},
        {"payload_format_indicator": "1"},
        {"payload_format_indicator": True},
        {"user_properties": "k=v"},
        {"user_properties": [("k",)]},
        {"user_properties": [("k", 1)]},
        {"user_properties": {"k": 1}},
        {1: "x"},
        ["content_type", "x"],
    ]
    for bad in wrong_types:
        with pytest.raises(TypeError):
            m.publish(topic, "x", qos=1, properties=bad)
    with pytest.raises(TypeError, match="payload"):
        m.publish(topic, 5)  # type: ignore[call-overload]
    with pytest.raises(ferromq.MQTTError) as err:
        m.publish(topic, "x", qos=3)  # type: ignore[call-overload]  # the run-time check
    assert err.value.code == INVALID_QOS
    with pytest.raises(ferromq.MQTTError) as err:
        m.request(topic, "x", timeout=-1)
    assert err.value.code == INVALID_ARGUMENT and "timeout" in err.value.message
    with pytest.raises(ferromq.MQTTError) as err:
        m.request(topic, "x", properties={"response_topic": "mine"})
    assert err.value.code == INVALID_ARGUMENT
    with pytest.raises(TypeError, match="MessageEvent"):
        m.respond("not a message", "x")  # type: ignore[arg-type]
    # None leaves a property out; the accepted forms of user properties.
    # (Beyond the stub's types, which keep to one spelling.)
    lenient: Any = {"content_type": None, "user_properties": (("a", "1"), ["b", "2"])}
    m.publish(topic, "ok", qos=1, properties=lenient)
    pump_for(m, 0.2)
    assert [e.message for e in outs.events] == ["ok"], "nothing refused was sent"
    assert outs.events[0].properties.user_properties == [("a", "1"), ("b", "2")]


# ---- manual_ack ----


def _consumer(make_client: Callable[[], ferromq.mqtt], client_id: str, manual: bool) -> ferromq.mqtt:
    """A consumer with a persistent session (5.0: a Session Expiry Interval)."""
    c = make_client()
    c.version = 1
    c.client_id = client_id
    c.clean_session = False
    c.config(f"ManualAck={'true' if manual else 'false'}")
    c.config("SessionExpInterval=300")
    return c


def scenario_manual_ack(make_client: Callable[[], ferromq.mqtt], broker: Broker) -> None:
    topic = unique("manual-ack")
    client_id = unique("manual-ack").replace("/", "-")
    first = _consumer(make_client, client_id, True)
    assert first.config("ManualAck").lower() == "true"
    got = record(first, "MessageIn")
    acks = record(first, "MessageAck")
    first.connect_to(broker.host, broker.port)
    first.subscribe(topic, 1)
    publisher = v5(make_client, broker)
    for i in range(10):
        publisher.publish(topic, f"m{i}", qos=1)
    pump_until(first, lambda: len(got.events) >= 10)
    assert [e.message for e in got.events] == [f"m{i}" for i in range(10)]
    pump_for(first, 0.2)
    assert not [a for a in acks.events if a.direction == 1], "nothing acknowledged before ack()"
    assert len(first.incoming_messages) == 10

    # Acknowledged out of order: they go out in the order the messages arrived.
    for e in reversed(got.events[:4]):
        first.ack(e.packet_id)
    pump_until(first, lambda: len([a for a in acks.events if a.direction == 1]) >= 4)
    assert [a.packet_id for a in acks.events if a.direction == 1] == [e.packet_id for e in got.events[:4]]
    for bad, code in (
        (got.events[0].packet_id, CODES["BAD_STATE"]),
        (0, INVALID_ARGUMENT),
        (1 << 40, INVALID_ARGUMENT),
    ):
        with pytest.raises(ferromq.MQTTError) as err:
            first.ack(bad)
        assert err.value.code == code, (bad, err.value)
    unknown = next(i for i in range(1, 65536) if i not in {e.packet_id for e in got.events})
    with pytest.raises(ferromq.MQTTError) as err:
        first.ack(unknown)
    assert err.value.code == CODES["BAD_STATE"]

    # Cut off with six unacknowledged: a new consumer with the same ClientId gets them again.
    first.disconnect()
    with pytest.raises(ferromq.MQTTError) as err:
        first.ack(got.events[4].packet_id)
    assert err.value.code == CODES["CONNECT_FIRST"]
    second = _consumer(make_client, client_id, False)
    again = record(second, "MessageIn")
    second.connect_to(broker.host, broker.port)
    pump_until(second, lambda: len(again.events) >= 6)
    pump_for(second, 0.5)
    assert [e.message for e in again.events] == [f"m{i}" for i in range(4, 10)], "the six, and none of the four"
    second.disconnect()


async def test_aio_manual_ack(
    make_aio: Callable[[], ferromq.aio.mqtt],  # noqa: F811 (the fixture)
    broker: Broker,
    topic: str,
) -> None:
    m = make_aio()
    m.version = 1
    m.config("ManualAck=true")
    got = record(m, "MessageIn")
    acks = record(m, "MessageAck")
    await m.connect_to(broker.host, broker.port)
    await m.subscribe(topic, 2)
    await m.publish(topic, "held", qos=2)
    await until(lambda: len(got.events) == 1)
    assert [e.packet_id for e in m.incoming_messages] == [got.events[0].packet_id]
    m.ack(got.events[0].packet_id)
    await until(lambda: any(a.direction == 1 for a in acks.events))
