"""The cross-language scenarios of issue 4 (tests/scenarios.tsv, from v5_connack_properties
on): MQTT 5.0 against the harness's mosquitto, shared subscriptions, the in-flight window,
and — against a mosquitto of the test's own, frozen, killed and restarted — sessions and
AutoReconnect. Mostly with the blocking class; shared_subscription and some variants use
ferromq.aio.mqtt."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import re
import time
import uuid
import weakref
from pathlib import Path
from typing import Callable, List, Sequence, Set, Tuple

import pytest

import ferromq
import ferromq.aio
from conftest import Broker, GatedRelay, PrivateBroker, pump_for, pump_until, record, unique
from test_aio import make_aio, until  # noqa: F401 - make_aio is a fixture

# ---- helpers ----


def v5_client(make_client: Callable[[], ferromq.mqtt], broker: Broker) -> ferromq.mqtt:
    m = make_client()
    m.version = 1
    m.connect_to(broker.host, broker.port)
    return m


def pump_all(clients: Sequence[ferromq.mqtt], cond: Callable[[], bool], timeout: float = 30.0) -> None:
    """Fire the events of several blocking clients in turn until cond() holds."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        for c in clients:
            c.do_events()


class InFlight:
    """Follows, from the "Packet" Log lines (LogLevel 3), which QoS 2 publishes are sent and
    not yet completed by PUBCOMP, and the most there ever were at once."""

    SENT = re.compile(r"^sent PUBLISH \(id (\d+), QoS 2\b")
    DONE = re.compile(r"^received PUBCOMP \(id (\d+)\b")

    def __init__(self, m: ferromq.mqtt) -> None:
        self.open: Set[int] = set()
        self.sent = 0
        self.most = 0
        m.config("LogLevel=3")
        m.on("Log", self)

    def __call__(self, e: ferromq.LogEvent) -> None:
        if e.log_type != "Packet":
            return
        sent = self.SENT.match(e.message)
        if sent:
            self.sent += 1
            self.open.add(int(sent.group(1)))
            self.most = max(self.most, len(self.open))
            return
        done = self.DONE.match(e.message)
        if done:
            self.open.discard(int(done.group(1)))


def qos2_burst(publisher: ferromq.mqtt, subscriber: ferromq.mqtt, topic: str, n: int) -> Tuple[List[str], InFlight]:
    """Publish n QoS 2 messages at once; return what the subscriber got, in order."""
    got = record(subscriber, "MessageIn")
    outs = record(publisher, "MessageOut")
    window = InFlight(publisher)
    subscriber.subscribe(topic, 2)
    for i in range(n):
        publisher.publish_message(topic, 2, str(i))
    pump_all([publisher, subscriber], lambda: len(got.events) >= n and len(outs.events) >= n)
    pump_for(subscriber, 0.2)  # nothing more (no duplicates) comes
    return [e.message for e in got.events], window


# ---- MQTT 5.0 ----


def scenario_v5_connack_properties(make_client: Callable[[], ferromq.mqtt], broker: Broker) -> None:
    m = make_client()
    m.version = 1
    assert m.client_id == ""
    m.connect_to(broker.host, broker.port)
    assigned = m.client_id
    assert assigned, "the server assigned an id and ClientId shows it"
    props = json.loads(m.config("ConnAckProperties"))
    assert props["AssignedClientIdentifier"] == assigned, props
    assert int(props["ReceiveMaximum"]) > 0, props
    m.disconnect()


def scenario_v5_will_reason_4(make_client: Callable[[], ferromq.mqtt], broker: Broker) -> None:
    topic = unique("will4")
    watcher = make_client()
    wills = record(watcher, "MessageIn")
    watcher.version = 1
    watcher.connect_to(broker.host, broker.port)
    watcher.subscribe(topic, 1)
    # Reason 0 (normal disconnection) discards the will; reason 4 asks for it.
    for reason, text in ((0, "discarded"), (4, "asked for")):
        m = make_client()
        m.version = 1
        m.will_topic = topic
        m.will_message = text
        m.connect_to(broker.host, broker.port)
        assert m.config(f"DisconnectReasonCode={reason}") == ""
        m.disconnect()
    pump_until(watcher, lambda: len(wills.events) >= 1)
    pump_for(watcher, 0.3)
    assert [(e.topic, e.message) for e in wills.events] == [(topic, "asked for")]


def scenario_v5_server_disconnect_reason(make_client: Callable[[], ferromq.mqtt], broker: Broker) -> None:
    m = v5_client(make_client, broker)
    gone = record(m, "Disconnected")
    # A PUBLISH to "a/#" (a wildcard in a topic name), sent raw: mosquitto answers DISCONNECT.
    assert m.config("SendCustomPacket=3006 0003 612F23 00") == ""
    pump_until(m, lambda: len(gone.events) == 1)
    reason = int(m.config("DisconnectReasonCode"))
    assert reason >= 0x80, reason
    assert gone.events[0].status_code == 500
    assert f"0x{reason:02X}" in gone.events[0].description, gone.events[0].description
    assert m.connected is False


def scenario_v5_message_properties(make_client: Callable[[], ferromq.mqtt], broker: Broker, topic: str) -> None:
    m = v5_client(make_client, broker)
    m.config("SubscriptionIdentifier=77")
    m.subscribe(topic, 2)
    m.config("SubscriptionIdentifier=-1")
    at_ack: List[ferromq.MQTTMessage] = []

    @m.on("MessageAck")
    def ack(e: ferromq.MessageAckEvent) -> None:
        if e.direction == 1:
            at_ack.append(m.incoming_messages[e.index])

    ins = record(m, "MessageIn")
    m.config(
        'OutgoingMessageProperties={"ContentType":"text/plain","ResponseTopic":"reply/here",'
        '"CorrelationData":"c0ffee","MessageExpInterval":"300","PayloadFormatIndicator":"1",'
        '"UserProperty":"who:me"}'
    )
    m.publish_message(topic, 2, "with properties")
    pump_until(m, lambda: len(ins.events) == 1)
    assert len(at_ack) == 1, "the message was in incoming_messages during its MessageAck"
    msg = at_ack[0]
    assert (msg.topic, msg.message, msg.qos) == (topic, "with properties", 2)
    assert msg.subscription_identifiers == "77"
    assert msg.content_type == "text/plain"
    assert msg.response_topic == "reply/here"
    assert msg.correlation_data.lower() == "c0ffee"
    assert msg.payload_format_indicator == 1
    assert 0 < msg.message_exp_interval <= 300
    assert m.config("IncomingUserPropCount") == "1"
    assert m.config("IncomingUserPropName[0]") == "who"
    assert m.config("IncomingUserPropValue[0]") == "me"


def scenario_v5_subscription_options(make_client: Callable[[], ferromq.mqtt], broker: Broker, topic: str) -> None:
    m = v5_client(make_client, broker)
    other = v5_client(make_client, broker)
    ins = record(m, "MessageIn")
    outs = record(m, "MessageOut")
    m.config("Retain=true")
    m.publish_message(topic, 1, "retained")
    m.config("Retain=false")
    pump_until(m, lambda: len(outs.events) == 1)
    try:
        m.config("TopicNLArray=true")
        m.config("TopicRHArray=2")
        m.subscribe(topic, 1)
        m.publish_message(topic, 1, "own")
        other.publish_message(topic, 1, "from another client")
        pump_until(m, lambda: len(outs.events) == 2 and len(ins.events) >= 1)
        pump_for(m, 0.3)
        # The subscription works (another client's message arrives), but neither our own
        # publish nor the retained message comes through it.
        assert [(e.message, e.retained) for e in ins.events] == [("from another client", False)]

        # The retained message is there: a plain subscription gets it.
        late = v5_client(make_client, broker)
        kept = record(late, "MessageIn")
        late.subscribe(topic, 1)
        pump_until(late, lambda: len(kept.events) == 1)
        assert (kept.events[0].message, kept.events[0].retained) == ("retained", True)
    finally:
        m.config("Retain=true")
        m.publish_message(topic, 1, "")
        pump_until(m, lambda: len(outs.events) == 3)


def scenario_v5_topic_alias(make_client: Callable[[], ferromq.mqtt], broker: Broker, topic: str) -> None:
    m = v5_client(make_client, broker)
    sub = v5_client(make_client, broker)
    got = record(sub, "MessageIn")
    sub.subscribe(topic, 1)
    assert int(m.config("ServerTopicAliasMax")) > 0, "mosquitto accepts topic aliases"
    aliases: List[Tuple[str, int]] = []

    @m.on("MessageAck")
    def ack(e: ferromq.MessageAckEvent) -> None:
        msg = m.outgoing_messages[e.index]
        aliases.append((msg.topic, msg.topic_alias))

    m.config("TopicAlias=1")
    m.publish_message(topic, 1, "first")
    m.publish_message("", 1, "by alias")
    pump_until(sub, lambda: len(got.events) == 2)
    assert [(e.topic, e.message) for e in got.events] == [(topic, "first"), (topic, "by alias")]
    pump_until(m, lambda: len(aliases) == 2)
    assert aliases == [(topic, 1), (topic, 1)]
    assert m.connected


def scenario_v5_receive_maximum(make_client: Callable[[], ferromq.mqtt], broker: Broker, topic: str) -> None:
    p = v5_client(make_client, broker)
    s = v5_client(make_client, broker)
    receive_maximum = int(json.loads(p.config("ConnAckProperties"))["ReceiveMaximum"])
    got, window = qos2_burst(p, s, topic, 300)
    assert got == [str(i) for i in range(300)], "all 300, in order"
    assert p.connected and s.connected, "mosquitto disconnects a client that exceeds it"
    assert window.sent == 300
    assert 0 < window.most <= receive_maximum, (window.most, receive_maximum)


def scenario_v5_maximum_packet_size(make_client: Callable[[], ferromq.mqtt], broker: Broker, topic: str) -> None:
    c = make_client()
    c.version = 1
    c.config('ConnectProperties={"MaximumPacketSize":"1000"}')
    c.connect_to(broker.host, broker.port)
    got = record(c, "MessageIn")
    c.subscribe(topic, 1)
    p = v5_client(make_client, broker)
    outs = record(p, "MessageOut")
    p.publish_data(topic, 1, b"\x01" * 10)
    p.publish_data(topic, 1, b"\x02" * 5000)
    p.publish_data(topic, 1, b"\x03" * 10)
    pump_until(p, lambda: len(outs.events) == 3)
    pump_until(c, lambda: len(got.events) >= 2)
    pump_for(c, 0.3)
    assert [e.message_b for e in got.events] == [b"\x01" * 10, b"\x03" * 10]
    assert c.connected


def _appender(into: List[str]) -> Callable[[ferromq.MessageEvent], None]:
    """A MessageIn handler keeping each message's text."""
    return lambda e: into.append(e.message)


async def scenario_shared_subscription(make_aio: Callable[[], ferromq.aio.mqtt], broker: Broker) -> None:  # noqa: F811 (the fixture)
    group = f"g{uuid.uuid4().hex[:8]}"
    topic = unique("shared")
    members = [make_aio(), make_aio()]
    got: List[List[str]] = [[], []]
    for i, c in enumerate(members):
        c.version = 1
        c.on("MessageIn", _appender(got[i]))
        await c.connect_to(broker.host, broker.port)
        await c.subscribe(f"$share/{group}/{topic}", 1)
    p = make_aio()
    p.version = 1
    await p.connect_to(broker.host, broker.port)
    for i in range(40):
        await p.publish_message(topic, 1, str(i))
    await until(lambda: len(got[0]) + len(got[1]) >= 40)
    await asyncio.sleep(0.3)
    together = sorted(got[0] + got[1], key=int)
    assert together == [str(i) for i in range(40)], "all 40, none twice"
    assert got[0] and got[1], f"each member gets some: {len(got[0])} / {len(got[1])}"


def scenario_qos2_burst_311(make_client: Callable[[], ferromq.mqtt], broker: Broker, topic: str) -> None:
    p = make_client()
    s = make_client()
    p.connect_to(broker.host, broker.port)
    s.connect_to(broker.host, broker.port)
    assert p.config("MaxInflight") == "0", "automatic: 20 under 3.1.1"
    got, window = qos2_burst(p, s, topic, 300)
    assert got == [str(i) for i in range(300)], "all 300, in order"
    assert window.sent == 300
    assert 0 < window.most <= 20, window.most
    assert p.connected and s.connected


# ---- sessions ----


def _unacknowledged(b: PrivateBroker, client_id: str, topic: str, qos: ferromq.QoS, file: str, n: int = 5) -> str:
    """Publish n messages to a frozen broker, save the session, drop the client."""
    m = ferromq.mqtt()
    m.timeout = 5
    m.client_id = client_id
    m.clean_session = False
    m.config(f"SessionStateFile={file}")
    m.connect_to("127.0.0.1", b.port)
    b.pause()
    for i in range(n):
        m.publish_message(topic, qos, f"m{i}")
    waiting = 0 if qos == 1 else 1  # PUBACK / PUBREC still to come
    assert [(x.message, x.qos, x.state) for x in m.outgoing_messages] == [(f"m{i}", qos, waiting) for i in range(n)]
    text = m.save_session()
    ref = weakref.ref(m)
    del m
    gc.collect()
    assert ref() is None
    return text


@pytest.mark.parametrize("qos", [1, 2])
def scenario_session_save_restore(
    private_broker: PrivateBroker, make_client: Callable[[], ferromq.mqtt], tmp_path: Path, qos: ferromq.QoS
) -> None:
    b = private_broker
    topic = unique("session")
    client_id = f"py-session-{uuid.uuid4().hex[:10]}"
    file = str(tmp_path / "session.json")
    text = _unacknowledged(b, client_id, topic, qos, file)
    assert isinstance(text, str) and text
    with open(file, encoding="utf-8") as f:
        assert f.read() == text, "the file holds the text save_session returned"
    b.restart()  # no persistence: the broker forgot the messages and the session

    watcher = make_client()
    got = record(watcher, "MessageIn")
    watcher.connect_to("127.0.0.1", b.port)
    watcher.subscribe(topic, 2)

    # A new object, as in a new process: it knows only the file.
    again = make_client()
    outs = record(again, "MessageOut")
    again.client_id = client_id
    again.config(f"SessionStateFile={file}")
    assert again.clean_session is True
    # The file is read; the text is ignored. (The stub declares None: checked at runtime here.)
    assert again.restore_session("") is None  # type: ignore[func-returns-value]
    assert again.clean_session is False
    assert [(x.message, x.qos) for x in again.outgoing_messages] == [(f"m{i}", qos) for i in range(5)]
    again.connect_to("127.0.0.1", b.port)
    pump_until(again, lambda: len(outs.events) == 5)
    assert again.outgoing_messages == ()
    pump_until(watcher, lambda: len(got.events) >= 5)
    pump_for(watcher, 0.3)
    assert sorted(e.message for e in got.events) == [f"m{i}" for i in range(5)]


def scenario_session_auto_save(
    private_broker: PrivateBroker, make_client: Callable[[], ferromq.mqtt], broker: Broker, tmp_path: Path
) -> None:
    m = make_client()
    with pytest.raises(ferromq.MQTTError) as err:
        m.config("SessionAutoSave=3")
    assert err.value.code == 10022, err.value
    assert "3" in err.value.message, err.value

    # On without a file: Connect says which setting is missing.
    m.timeout = 5
    m.config("SessionAutoSave=1")
    with pytest.raises(ferromq.MQTTError) as err:
        m.connect_to(broker.host, broker.port)
    assert err.value.code == 10022, err.value
    assert "SessionStateFile" in err.value.message, err.value

    # Every change is in the file, and so is the count of publishes.
    file = str(tmp_path / "autosave.json")
    client_id = f"py-autosave-{uuid.uuid4().hex[:10]}"
    m.client_id = client_id
    m.clean_session = False
    m.config(f"SessionStateFile={file}")
    m.connect_to(broker.host, broker.port)
    topic = unique("autosave")
    for i in range(3):
        m.publish_message(topic, 1, f"m{i}")
    m.do_events()
    pump_until(m, lambda: m.outgoing_messages == (), timeout=5)
    assert m.config("SessionPublishCount") == "3"
    with pytest.raises(ferromq.MQTTError) as err:
        m.config("SessionPublishCount=0")
    assert err.value.code == 10022, err.value
    m.disconnect()
    assert os.path.exists(file)

    # A new object, as in a new process: it knows only the file.
    again = make_client()
    again.config(f"SessionStateFile={file}")
    again.restore_session("")
    assert again.config("SessionPublishCount") == "3"
    assert again.outgoing_messages == ()

    # A file still holding unacknowledged messages is not overwritten unless restored.
    b = private_broker
    held = str(tmp_path / "autosave-held.json")
    _unacknowledged(b, client_id, topic, 1, held, n=2)
    b.resume()
    other = make_client()
    other.timeout = 5
    other.config(f"SessionStateFile={held}")
    other.config("SessionAutoSave=1")
    with pytest.raises(ferromq.MQTTError) as err:
        other.connect_to("127.0.0.1", b.port)
    assert err.value.code == 211, err.value
    assert "RestoreSession" in err.value.message, err.value
    for f in (file, held):
        os.remove(f)


def scenario_session_errors(
    make_client: Callable[[], ferromq.mqtt], broker: Broker, gated_relay: GatedRelay, tmp_path: Path, topic: str
) -> None:
    # A real session with two unacknowledged messages: the relay holds the broker's PUBACKs.
    src = make_client()
    gated_relay.gate.set()
    src.connect_to("127.0.0.1", gated_relay.port)
    gated_relay.gate.clear()
    src.publish_message(topic, 1, "a")
    src.publish_message(topic, 1, "b")
    assert len(src.outgoing_messages) == 2
    text = src.save_session()
    gated_relay.gate.set()
    src.disconnect()

    m = make_client()
    for bad in ["", text[: len(text) // 2], text.replace('"qos":1', '"qos":2', 1), "{}"]:
        assert bad != text
        with pytest.raises(ferromq.MQTTError) as err:
            m.restore_session(bad)
        assert err.value.code == 10022, err.value
        assert "nothing was loaded" in err.value.message, err.value
        assert m.clean_session is True and m.outgoing_messages == (), "a refused restore changes nothing"

    missing = str(tmp_path / "missing.json")
    m.config(f"SessionStateFile={missing}")
    with pytest.raises(ferromq.MQTTError) as err:
        m.restore_session(text)  # the file wins over the text
    assert err.value.code == 302, err.value
    assert missing in err.value.message
    assert m.clean_session is True and m.outgoing_messages == ()

    # The same text is good once the setting no longer names a file.
    m.config("SessionStateFile=")
    m.restore_session(text)
    assert m.clean_session is False
    assert [x.message for x in m.outgoing_messages] == ["a", "b"]

    c = make_client()
    c.connect_to(broker.host, broker.port)
    with pytest.raises(ferromq.MQTTError) as err:
        c.restore_session(text)
    assert err.value.code == 211, err.value
    assert c.clean_session is True and c.outgoing_messages == ()
    assert c.connected


async def test_aio_session_methods_are_plain_and_restore_from_text(
    private_broker: PrivateBroker,
    make_aio: Callable[[], ferromq.aio.mqtt],  # noqa: F811 (the fixture)
) -> None:
    """On the asyncio class save_session() and restore_session() are plain methods; the
    session travels as text (no SessionStateFile)."""
    b = private_broker
    topic = unique("aio-session")
    client_id = f"py-aio-session-{uuid.uuid4().hex[:10]}"
    first = ferromq.aio.mqtt()
    first.timeout = 5
    first.client_id = client_id
    first.clean_session = False
    await first.connect_to("127.0.0.1", b.port)
    b.pause()
    for i in range(3):
        await first.publish_message(topic, 1, f"t{i}")
    assert len(first.outgoing_messages) == 3
    text = first.save_session()
    assert isinstance(text, str) and client_id in text
    first.close()
    del first
    gc.collect()
    b.restart()

    watcher = make_aio()
    got: List[str] = []
    watcher.on("MessageIn", lambda e: got.append(e.message))
    await watcher.connect_to("127.0.0.1", b.port)
    await watcher.subscribe(topic, 1)

    again = make_aio()
    again.client_id = client_id
    assert again.restore_session(text) is None  # type: ignore[func-returns-value]  # checked at runtime
    assert again.clean_session is False
    assert [x.message for x in again.outgoing_messages] == ["t0", "t1", "t2"]
    await again.connect_to("127.0.0.1", b.port)
    with pytest.raises(ferromq.MQTTError) as err:
        again.restore_session(text)
    assert err.value.code == 211
    await until(lambda: len(got) >= 3)
    await until(lambda: again.outgoing_messages == ())
    assert sorted(got) == ["t0", "t1", "t2"]


# ---- AutoReconnect ----


def scenario_auto_reconnect(private_broker: PrivateBroker, make_client: Callable[[], ferromq.mqtt]) -> None:
    b = private_broker
    m = make_client()
    r = record(m, "Connected", "Disconnected", "Log", "Subscribed", "MessageIn", "Error")
    for setting in ("AutoReconnect=true", "ReconnectMinDelay=100", "ReconnectMaxDelay=400"):
        assert m.config(setting) == ""
    m.connect_to("127.0.0.1", b.port)
    topic = unique("reconnect")
    m.subscribe(topic, 1)

    b.kill()
    pump_until(m, lambda: len(r.named("Disconnected")) == 1)
    assert m.connected is False
    assert r.named("Disconnected")[0].status_code != 0
    for i in range(3):
        m.publish_message(topic, 1, f"while away {i}")  # kept until the connection is back
    b.restart()

    # The broker lost the subscription (no persistence): it is made again, and the three
    # messages come back through it.
    pump_until(m, lambda: len(r.named("MessageIn")) == 3)
    assert [e.message for e in r.named("MessageIn")] == [f"while away {i}" for i in range(3)]
    assert m.connected is True
    assert [e.status_code for e in r.named("Connected") if e.status_code == 0] == [0, 0], "connected again"
    assert r.named("Connected")[-1].status_code == 0
    reconnect_logs = [e.message for e in r.named("Log") if e.log_type == "Reconnect"]
    assert any("reconnecting" in x for x in reconnect_logs), reconnect_logs
    assert any("subscribing again" in x for x in reconnect_logs), reconnect_logs
    assert [e.topic_filter for e in r.named("Subscribed")] == [topic, topic]

    # OfflineQueueLimit bounds what waits for the connection.
    m.config("OfflineQueueLimit=2")
    b.kill()
    pump_until(m, lambda: len(r.named("Disconnected")) == 2)
    m.publish_message(topic, 1, "queued a")
    m.publish_message(topic, 1, "queued b")
    with pytest.raises(ferromq.MQTTError) as err:
        m.publish_message(topic, 1, "one too many")
    assert err.value.code == 212, err.value
    assert "OfflineQueueLimit" in err.value.message, err.value
    # Giving up (our own Disconnect) says how many queued messages were not sent.
    m.disconnect()
    pump_until(m, lambda: any("discarded" in e.description for e in r.named("Error")))
    said = [e.description for e in r.named("Error") if "discarded" in e.description]
    assert any("2 message" in x for x in said), said
    assert m.connected is False


async def test_aio_auto_reconnect(private_broker: PrivateBroker, make_aio: Callable[[], ferromq.aio.mqtt]) -> None:  # noqa: F811 (the fixture)
    """AutoReconnect with the asyncio class: the events reach the loop across the outage and
    a publish awaited while disconnected goes out once the connection is back."""
    b = private_broker
    m = make_aio()
    for setting in ("AutoReconnect=true", "ReconnectMinDelay=100", "ReconnectMaxDelay=400"):
        m.config(setting)
    connected: List[int] = []
    disconnected: List[int] = []
    got: List[str] = []
    m.on("Connected", lambda e: connected.append(e.status_code))
    m.on("Disconnected", lambda e: disconnected.append(e.status_code))
    m.on("MessageIn", lambda e: got.append(e.message))
    await m.connect_to("127.0.0.1", b.port)
    topic = unique("aio-reconnect")
    await m.subscribe(topic, 1)
    b.kill()
    await until(lambda: len(disconnected) == 1)
    await m.publish_message(topic, 1, "while away")
    b.restart()
    await until(lambda: got == ["while away"])
    assert m.connected and connected[0] == 0 and connected[-1] == 0
