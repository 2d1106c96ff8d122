"""The cross-language scenarios of the whole class, part 1 (tests/scenarios.tsv, from
properties_defaults on) with the blocking class ferromq.mqtt; asyncio variants of some are
in test_aio.py."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading
import time
import uuid
import weakref
from typing import Callable, Dict, List, Optional, Tuple, Type, Union

import pytest

import ferromq
import ferromq.aio
from conftest import Broker, GatedRelay, SilentListener, free_port, pump_for, pump_until, record, unique

# ---- properties ----

DEFAULTS = {
    "client_id": "",
    "clean_session": True,
    "keep_alive_interval": 0,
    "user": "",
    "password": "",
    "version": 0,
    "remote_host": "",
    "remote_port": 1883,
    "local_host": "",
    "local_port": 0,
    "timeout": 60,
    "connected": False,
    "ready_to_send": False,
    "incoming_messages": (),
    "outgoing_messages": (),
    "will_topic": "",
    "will_message": "",
}


def _properties(m: Union[ferromq.mqtt, ferromq.aio.mqtt]) -> Dict[str, object]:
    return {name: getattr(m, name) for name in DEFAULTS}


def _settings(m: Union[ferromq.mqtt, ferromq.aio.mqtt]) -> Dict[str, str]:
    """Every readable config setting of the registry, by name."""
    return {s.name: m.config(s.name) for s in ferromq.config_settings()}


@pytest.mark.parametrize("cls", [ferromq.mqtt, ferromq.aio.mqtt], ids=["mqtt", "aio.mqtt"])
def scenario_properties_defaults(cls: Union[Type[ferromq.mqtt], Type[ferromq.aio.mqtt]]) -> None:
    m = cls()
    got = _properties(m)
    assert got == DEFAULTS
    for name, value in DEFAULTS.items():
        assert type(got[name]) is type(value), name

    with pytest.raises(ferromq.MQTTError) as err:
        m.remote_port = 0
    assert err.value.code == 116

    for name, bad in [
        ("remote_port", 65536),
        ("remote_port", -7),
        ("local_port", 65536),
        ("local_port", -1),
        ("keep_alive_interval", 65536),
        ("keep_alive_interval", -3),
        ("version", 2),
        ("timeout", -1),
        ("remote_port", 2**40),
        ("local_port", 2**40),
    ]:
        with pytest.raises(ferromq.MQTTError) as err:
            setattr(m, name, bad)
        assert err.value.code == 10022, (name, bad)
        assert str(bad) in err.value.message, (name, bad, err.value.message)
        assert getattr(m, name) == DEFAULTS[name], "a refused value changes nothing"

    read_only = ["ready_to_send", "incoming_messages", "outgoing_messages"]
    if cls is ferromq.aio.mqtt:
        read_only.append("connected")  # the asyncio class connects with await connect()
    for name in read_only:
        with pytest.raises(AttributeError, match=f"{name} is read-only"):
            setattr(m, name, DEFAULTS[name])
        with pytest.raises(AttributeError):
            delattr(m, name)
    # The collections are tuples: nothing can be added to them either.
    assert not hasattr(m.incoming_messages, "append")
    assert _properties(m) == DEFAULTS


def scenario_properties_locked_while_connected(connected: ferromq.mqtt, broker: Broker) -> None:
    m = connected
    before = _properties(m)
    for name, value, code in [
        ("remote_port", 1884, 100),
        ("remote_host", "localhost", 101),
        ("local_port", 1, 106),
        ("local_host", "127.0.0.2", 107),
        ("client_id", "other", 211),
        ("clean_session", False, 211),
        ("keep_alive_interval", 5, 211),
        ("user", "u", 211),
        ("password", "p", 211),
        ("version", 1, 211),
        ("will_topic", "wills/x", 211),
        ("will_message", "w", 211),
    ]:
        with pytest.raises(ferromq.MQTTError) as err:
            setattr(m, name, value)
        assert err.value.code == code, (name, err.value)
    assert _properties(m) == before, "nothing changed while connected"
    assert m.connected

    m.disconnect()
    m.remote_port = 1884
    m.remote_host = "localhost"
    m.local_port = 1
    m.local_host = "127.0.0.2"
    m.client_id = "other"
    m.clean_session = False
    m.keep_alive_interval = 5
    m.user = "u"
    m.password = "p"
    m.version = 1
    m.will_topic = "wills/x"
    m.will_message = "w"
    assert (m.remote_port, m.remote_host, m.local_port, m.local_host) == (1884, "localhost", 1, "127.0.0.2")
    assert (m.client_id, m.clean_session, m.keep_alive_interval) == ("other", False, 5)
    assert (m.user, m.password, m.version, m.will_topic, m.will_message) == ("u", "p", 1, "wills/x", "w")


def scenario_local_host_and_port(
    make_client: Callable[[], ferromq.mqtt], broker: Broker, silent_listener: SilentListener
) -> None:
    # The address really used: the listener sees where the connection comes from.
    probe = make_client()
    probe.timeout = 1
    port = free_port()
    probe.local_host = "127.0.0.1"
    probe.local_port = port
    with pytest.raises(ferromq.MQTTError) as err:
        probe.connect_to("127.0.0.1", silent_listener.port)
    assert err.value.code == 201
    assert silent_listener.accepted == [("127.0.0.1", port)]

    m = make_client()
    port = free_port()
    m.local_host = "127.0.0.1"
    m.local_port = port
    m.connect_to(broker.host, broker.port)
    assert (m.local_host, m.local_port) == ("127.0.0.1", port)
    m.disconnect()
    assert (m.local_host, m.local_port) == ("127.0.0.1", port), "back to the configured values"

    # LocalPort 0: the system chooses, and local_port shows its choice while connected.
    auto = make_client()
    assert auto.local_port == 0
    auto.connect_to(broker.host, broker.port)
    chosen = auto.local_port
    assert 0 < chosen <= 65535
    assert auto.local_host == "127.0.0.1"
    auto.disconnect()
    assert (auto.local_host, auto.local_port) == ("", 0)


def scenario_connected_property(client: ferromq.mqtt, broker: Broker) -> None:
    m = client
    r = record(m, "Connected", "Disconnected")
    m.remote_host = broker.host
    m.remote_port = broker.port
    m.connected = True
    assert m.connected is True
    assert [(e.name, e.status_code) for e in r.events] == [("Connected", 0)]
    m.connected = False
    assert m.connected is False
    pump_until(m, lambda: len(r.named("Disconnected")) == 1)
    assert [(e.name, e.status_code) for e in r.events] == [("Connected", 0), ("Disconnected", 0)]


def scenario_timeout_expires(client: ferromq.mqtt, silent_listener: SilentListener) -> None:
    m = client
    m.timeout = 1
    started = time.monotonic()
    with pytest.raises(ferromq.MQTTError) as err:
        m.connect_to("127.0.0.1", silent_listener.port)
    took = time.monotonic() - started
    assert err.value.code == 201, err.value
    assert 0.9 <= took < 4, took
    assert len(silent_listener.accepted) == 1, "the TCP connection was made; CONNACK never came"
    assert m.connected is False


def scenario_timeout_zero_events(client: ferromq.mqtt, gated_relay: GatedRelay, topic: str) -> None:
    # Through a relay that holds the broker's answers until the test lets them pass, so
    # "returns at once" cannot be confused with "the answer was quick".
    m = client
    m.timeout = 0
    inside_do_events = threading.local()
    fired: List[Tuple[str, bool]] = []

    def note(e: Union[ferromq.ConnectedEvent, ferromq.SubscribedEvent]) -> None:
        fired.append((e.name, getattr(inside_do_events, "on", False)))

    m.on("Connected", note)
    m.on("Subscribed", note)

    def do_events_until(n: int) -> None:
        deadline = time.monotonic() + 10
        while len(fired) < n and time.monotonic() < deadline:
            inside_do_events.on = True
            try:
                m.do_events()
            finally:
                inside_do_events.on = False

    started = time.monotonic()
    m.connect_to("127.0.0.1", gated_relay.port)
    assert time.monotonic() - started < 0.5, "connect returned at once"
    do_events_until(1)  # nothing can come yet: CONNACK is held
    assert fired == [] and m.connected is False
    gated_relay.gate.set()
    do_events_until(1)
    assert fired == [("Connected", True)], "Connected fired later, from do_events"
    assert m.connected is True

    gated_relay.gate.clear()
    started = time.monotonic()
    m.subscribe(topic, 1)
    assert time.monotonic() - started < 0.5, "subscribe returned at once"
    assert fired == [("Connected", True)]
    gated_relay.gate.set()
    do_events_until(2)
    assert fired == [("Connected", True), ("Subscribed", True)]


def scenario_would_block_ready_to_send(connected: ferromq.mqtt, topic: str) -> None:
    m = connected
    r = record(m, "MessageIn", "MessageOut", "ReadyToSend")
    m.subscribe(topic, 1)
    assert m.ready_to_send is True
    m.timeout = 0
    big = bytes((i * 31 + 5) % 256 for i in range(8 << 20))
    with pytest.raises(ferromq.MQTTError) as err:
        m.publish_data(topic, 1, big)
    assert err.value.code == 135
    assert "accepted" in err.value.message and "not accepted" not in err.value.message
    assert m.ready_to_send is False
    pump_until(m, lambda: r.named("ReadyToSend") and r.named("MessageIn") and r.named("MessageOut"), 30)
    assert m.ready_to_send is True
    pump_for(m, 0.3)
    ins = r.named("MessageIn")
    assert len(ins) == 1 and len(r.named("MessageOut")) == 1, "published once, not again"
    assert ins[0].message_b == big


def scenario_interrupt_from_thread(client: ferromq.mqtt, silent_listener: SilentListener) -> None:
    m = client
    m.timeout = 30
    timer = threading.Timer(0.3, m.interrupt)
    timer.start()
    started = time.monotonic()
    with pytest.raises(ferromq.MQTTError) as err:
        m.connect_to("127.0.0.1", silent_listener.port)
    took = time.monotonic() - started
    timer.join()
    assert err.value.code == 301, err.value
    assert took < 2.5, took
    assert m.connected is False


def scenario_interrupt_from_handler(connected: ferromq.mqtt, topic: str) -> None:
    m = connected
    r = record(m, "Disconnected", "Subscribed")
    m.on("Subscribed", lambda e: m.interrupt())
    try:
        m.subscribe(topic, 1)
    except ferromq.MQTTError as e:
        # SUBACK completes the call and the interrupt ends it: either may come first.
        assert e.code == 301, e
    pump_until(m, lambda: len(r.named("Disconnected")) == 1)
    assert len(r.named("Subscribed")) == 1
    assert m.connected is False


def scenario_reset_defaults(client: ferromq.mqtt, broker: Broker) -> None:
    m = client
    fresh = ferromq.mqtt()
    fresh_settings = _settings(fresh)
    r = record(m, "Connected", "Disconnected")

    m.client_id = f"py-reset-{uuid.uuid4().hex[:8]}"
    m.keep_alive_interval = 30
    m.version = 1
    m.local_host = "127.0.0.1"
    m.will_topic = unique("reset-will")
    m.will_message = "bye"
    changed = [
        "AutoReconnect=true",
        "Retain=true",
        "Duplicate=yes",
        "LogLevel=3",
        "WillQOS=2",
        "WillRetain=1",
        "TopicDelimiter=;",
        "TopicQOSArray=1,2",
        "RepublishInterval=5",
        "SessionExpInterval=30",
        "SubscriptionIdentifier=7",
        "OutgoingUserPropCount=1",
        "OutgoingUserPropName[0]=k",
        "OutgoingUserPropValue[0]=v",
        'OutgoingMessageProperties={"ContentType":"text/plain"}',
    ]
    for setting in changed:
        assert m.config(setting) == "", setting
    m.connect_to(broker.host, broker.port)
    assert m.connected
    assert _settings(m) != fresh_settings

    m.reset()
    pump_until(m, lambda: len(r.named("Disconnected")) == 1)
    assert m.connected is False
    assert _properties(m) == DEFAULTS
    assert _settings(m) == fresh_settings
    assert _settings(m) == {s.name: s.default for s in ferromq.config_settings()}
    pump_for(m, 0.5)
    assert m.connected is False, "AutoReconnect went back to False with the rest"

    # Handlers are not properties: they stay registered.
    m.timeout = 10
    m.connect_to(broker.host, broker.port)
    assert [e.status_code for e in r.named("Connected")] == [0, 0]
    m.disconnect()


# ---- collections ----


def scenario_collections_in_message_ack(connected: ferromq.mqtt, topic: str) -> None:
    m = connected
    at_ack: List[Tuple[int, int, Optional[ferromq.MQTTMessage]]] = []
    listed_at_end: List[Tuple[str, int, List[int]]] = []

    @m.on("MessageAck")
    def ack(e: ferromq.MessageAckEvent) -> None:
        coll = m.outgoing_messages if e.direction == 0 else m.incoming_messages
        at_ack.append((e.direction, e.packet_id, coll[e.index] if 0 <= e.index < len(coll) else None))

    @m.on("MessageIn")
    def message_in(e: ferromq.MessageEvent) -> None:
        listed_at_end.append(("in", e.packet_id, [x.packet_id for x in m.incoming_messages]))

    @m.on("MessageOut")
    def message_out(e: ferromq.MessageEvent) -> None:
        listed_at_end.append(("out", e.packet_id, [x.packet_id for x in m.outgoing_messages]))

    m.subscribe(topic, 2)
    sent: Dict[ferromq.QoS, str] = {1: "at least once \u00e9", 2: "exactly once \u00e9"}
    for qos, text in sent.items():
        m.publish_message(topic, qos, text)
    pump_until(m, lambda: len(listed_at_end) == 4)

    by_direction: Dict[int, List[int]] = {0: [], 1: []}
    for direction, packet_id, msg in at_ack:
        assert msg is not None, f"message {packet_id} (direction {direction}) not at its index"
        assert isinstance(msg, ferromq.MQTTMessage)
        assert msg.packet_id == packet_id
        assert msg.topic == topic
        assert msg.state == (4 if direction == 0 else 9)
        assert msg.message == sent[msg.qos]
        assert msg.message_b == sent[msg.qos].encode()
        assert msg.retained is False
        # 3.1.1: the 5.0 fields are empty.
        assert (msg.content_type, msg.correlation_data, msg.response_topic, msg.subscription_identifiers) == (
            "",
            "",
            "",
            "",
        )
        assert (msg.message_exp_interval, msg.payload_format_indicator, msg.topic_alias) == (0, 0, 0)
        with pytest.raises(AttributeError):
            msg.topic = "x"  # type: ignore[misc]  # on purpose: the runtime must refuse it
        by_direction[direction].append(msg.qos)
    assert sorted(by_direction[0]) == [1, 2], "MessageAck for both our messages"
    assert 2 in by_direction[1], "MessageAck for the incoming QoS 2 message"
    for kind, packet_id, listed in listed_at_end:
        assert packet_id not in listed, f"{kind} message {packet_id} still listed"
    assert m.incoming_messages == () and m.outgoing_messages == ()


# ---- events and config ----


def scenario_events_fields(make_client: Callable[[], ferromq.mqtt], broker: Broker) -> None:
    m = make_client()
    m.config("LogLevel=3")
    r = record(m)
    m.connect_to(broker.host, broker.port)
    m.disconnect()
    pump_for(m, 0.1)

    status = [(e.connection_event, e.status_code) for e in r.named("ConnectionStatus")]
    assert status == [("Remote host connection complete", 0), ("Remote host disconnected", 0)]
    packets = [e for e in r.named("Log") if e.log_type == "Packet"]
    assert any("CONNECT" in e.message and "CONNACK" not in e.message for e in packets), packets
    assert any("CONNACK" in e.message for e in packets), packets
    assert all(isinstance(e.log_level, int) and 1 <= e.log_level <= 3 for e in r.named("Log"))
    assert [(e.status_code, e.description) for e in r.named("Connected")] == [(0, "OK")]
    assert [(e.status_code, e.description) for e in r.named("Disconnected")] == [(0, "OK")]

    # LogLevel 1: no packet lines; LogLevel 0: no Log events at all.
    for level, want_logs in (("1", True), ("0", False)):
        q = make_client()
        q.config(f"LogLevel={level}")
        logs = record(q, "Log")
        q.connect_to(broker.host, broker.port)
        q.disconnect()
        pump_for(q, 0.1)
        assert not [e for e in logs.events if e.log_type == "Packet"], level
        assert bool(logs.events) == want_logs, (level, logs.events)


def scenario_config_walk() -> None:
    m = ferromq.mqtt()
    group = ferromq.config_settings("mqtt")
    assert group, "the registry lists the mqtt group"
    assert all(s.group == "mqtt" for s in group)
    assert {"TopicDelimiter", "TopicQOSArray", "Retain", "Duplicate", "LogLevel", "SessionPresent"} <= {
        s.name for s in group
    }
    for s in group:
        # An indexed setting named with [i] reads as the whole array (JSON).
        value = m.config(s.name)
        assert isinstance(value, str), s.name
        assert value == s.default, (s.name, value, s.default)
        if s.indexed:
            assert value == "[]" and m.config(s.name.replace("[i]", "")) == value
        elif s.kind == "bool":
            assert value in ("True", "False"), (s.name, value)
        elif s.kind == "int":
            int(value)

    for bad in ("NoSuchSetting", "NoSuchSetting=1"):
        with pytest.raises(ferromq.MQTTError) as err:
            m.config(bad)
        assert err.value.code == 10022
        assert "NoSuchSetting" in err.value.message

    read_only = [s for s in group if s.read_only]
    assert "SessionPresent" in {s.name for s in read_only}
    for s in read_only:
        before = m.config(s.name)
        with pytest.raises(ferromq.MQTTError) as err:
            m.config(f"{s.name}=1")
        assert err.value.code == 10022
        assert s.name in err.value.message, err.value
        assert m.config(s.name) == before

    bools = [s for s in group if s.kind == "bool" and not s.read_only]
    assert "Retain" in {s.name for s in bools}
    for s in bools:
        for text, want in [
            ("True", "True"),
            ("false", "False"),
            ("1", "True"),
            ("0", "False"),
            ("YES", "True"),
            ("no", "False"),
            ("tRuE", "True"),
            ("No", "False"),
        ]:
            assert m.config(f"{s.name}={text}") == "", (s.name, text)
            assert m.config(s.name) == want, (s.name, text)
        with pytest.raises(ferromq.MQTTError) as err:
            m.config(f"{s.name}=perhaps")
        assert err.value.code == 10022 and "perhaps" in err.value.message, err.value

    for s in (s for s in group if s.kind == "int" and not s.read_only):
        before = m.config(s.name)
        with pytest.raises(ferromq.MQTTError) as err:
            m.config(f"{s.name}=twelve")
        assert "twelve" in err.value.message, (s.name, err.value)
        assert m.config(s.name) == before
    with pytest.raises(ferromq.MQTTError) as err:
        m.config("LogLevel=9")
    assert err.value.code == 10022 and "9" in err.value.message


def scenario_error_codes(make_client: Callable[[], ferromq.mqtt], broker: Broker) -> None:
    m = make_client()
    m.connect_to(broker.host, broker.port)
    with pytest.raises(ferromq.MQTTError) as err:
        m.connect_to(broker.host, broker.port)
    assert err.value.code == 104
    with pytest.raises(ferromq.MQTTError) as err:
        m.subscribe("a/#/b", 0)
    assert err.value.code == 503 and "a/#/b" in err.value.message
    with pytest.raises(ferromq.MQTTError) as err:
        m.subscribe("a/b", 3)  # type: ignore[arg-type]  # the run-time check
    assert err.value.code == 505 and "3" in err.value.message
    assert m.connected, "refused calls leave the connection up"
    m.disconnect()
    calls: List[Callable[[], None]] = [lambda: m.publish_message("a/b", 0, "x"), lambda: m.subscribe("a/b", 0)]
    for call in calls:
        with pytest.raises(ferromq.MQTTError) as err:
            call()
        assert err.value.code == 1117

    # MQTT 3.1.1: a second client with the same ClientId makes the server drop the first.
    client_id = f"py-takeover-{uuid.uuid4().hex[:10]}"
    first = make_client()
    first.client_id = client_id
    dropped = record(first, "Disconnected", "Error")
    first.connect_to(broker.host, broker.port)
    second = make_client()
    second.client_id = client_id
    second.connect_to(broker.host, broker.port)
    pump_until(first, lambda: len(dropped.named("Disconnected")) == 1)
    assert [e.status_code for e in dropped.named("Disconnected")] == [1120]
    assert [e.error_code for e in dropped.named("Error")] == [1120]
    assert first.connected is False and second.connected is True


def scenario_client_id_generation(
    make_client: Callable[[], ferromq.mqtt], broker: Broker, silent_listener: SilentListener
) -> None:
    ids = []
    for _ in range(2):
        m = make_client()
        m.connect_to(broker.host, broker.port)
        ids.append(m.client_id)
        assert m.client_id and m.client_id.isalnum() and len(m.client_id) <= 23, m.client_id
        assert m.config("SessionPresent") == "False"
        m.disconnect()
    assert ids[0] != ids[1]

    # CleanSession false without an id: refused before anything is sent.
    m = make_client()
    r = record(m)
    m.clean_session = False
    with pytest.raises(ferromq.MQTTError) as err:
        m.connect_to("127.0.0.1", silent_listener.port)
    assert err.value.code == 10022 and "ClientId" in err.value.message
    pump_for(m, 0.3)
    assert silent_listener.accepted == [], "no TCP connection was made"
    assert not r.named("ConnectionStatus") and not r.named("Connected")
    assert m.client_id == "" and m.connected is False


def scenario_password_without_user(
    make_client: Callable[[], ferromq.mqtt], broker: Broker, silent_listener: SilentListener
) -> None:
    m = make_client()
    m.password = "secret"
    with pytest.raises(ferromq.MQTTError) as err:
        m.connect_to("127.0.0.1", silent_listener.port)
    assert err.value.code == 10022 and "User" in err.value.message
    assert silent_listener.accepted == [], "refused before connecting"
    assert m.connected is False

    m.version = 1
    m.connect_to(broker.host, broker.port)
    assert m.connected is True


# ---- will, retain, duplicate ----


def scenario_will_on_cut(make_client: Callable[[], ferromq.mqtt], broker: Broker) -> None:
    topic = unique("will")
    watcher = make_client()
    wills = record(watcher, "MessageIn")
    watcher.connect_to(broker.host, broker.port)
    watcher.subscribe(topic, 1)

    polite = make_client()
    polite.will_topic = topic
    polite.will_message = "polite"
    polite.connect_to(broker.host, broker.port)
    polite.disconnect()

    # Not made by make_client: the fixture would keep it alive.
    rude = ferromq.mqtt()
    rude.timeout = 10
    rude.will_topic = topic
    rude.will_message = "cut off"
    rude.config("WillQOS=1")
    rude.config("WillRetain=true")
    rude.on("Connected", lambda e: rude.client_id)  # noqa: F821 - a cycle, as real handlers make; del rude below
    rude.connect_to(broker.host, broker.port)
    ref = weakref.ref(rude)
    del rude
    gc.collect()
    assert ref() is None

    pump_until(watcher, lambda: len(wills.events) == 1)
    pump_for(watcher, 0.3)
    assert [(e.topic, e.message, e.qos) for e in wills.events] == [(topic, "cut off", 1)], "only the cut client's will"

    # WillRetain: a later subscriber gets the will as a retained message.
    late = make_client()
    kept = record(late, "MessageIn")
    late.connect_to(broker.host, broker.port)
    late.subscribe(topic, 1)
    pump_until(late, lambda: len(kept.events) == 1)
    assert (kept.events[0].message, kept.events[0].retained) == ("cut off", True)

    watcher.config("Retain=true")
    watcher.publish_message(topic, 1, "")


def scenario_retain_and_clear(make_client: Callable[[], ferromq.mqtt], broker: Broker, topic: str) -> None:
    p = make_client()
    outs = record(p, "MessageOut")
    p.connect_to(broker.host, broker.port)
    p.config("Retain=true")
    p.publish_message(topic, 1, "kept")
    pump_until(p, lambda: len(outs.events) == 1)
    assert outs.events[0].retained is True

    late = make_client()
    got = record(late, "MessageIn")
    late.connect_to(broker.host, broker.port)
    late.subscribe(topic, 1)
    pump_until(late, lambda: len(got.events) == 1)
    assert (got.events[0].message, got.events[0].retained) == ("kept", True)

    p.publish_message(topic, 1, "")
    pump_until(p, lambda: len(outs.events) == 2)
    later = make_client()
    none = record(later, "MessageIn")
    later.connect_to(broker.host, broker.port)
    later.subscribe(topic, 1)
    pump_for(later, 0.5)
    assert none.events == [], "the empty retained message cleared it"


def scenario_duplicate_and_packet_id(connected: ferromq.mqtt, topic: str) -> None:
    m = connected
    outs = record(m, "MessageOut")
    assert m.config("Duplicate=true") == ""
    m.publish_message(topic, 1, "again")
    packet_id = int(m.config("OutgoingPacketId"))
    assert packet_id > 0
    pump_until(m, lambda: len(outs.events) == 1)
    assert outs.events[0].duplicate is True
    assert outs.events[0].packet_id == packet_id

    m.config("Duplicate=false")
    m.publish_message(topic, 1, "once")
    second = int(m.config("OutgoingPacketId"))
    pump_until(m, lambda: len(outs.events) == 2)
    assert outs.events[1].duplicate is False
    assert outs.events[1].packet_id == second != packet_id


def scenario_send_custom_packet(connected: ferromq.mqtt) -> None:
    m = connected
    logs = record(m, "Log")
    m.config("LogLevel=3")
    assert m.config("SendCustomPacket=C000") == ""
    pump_until(m, lambda: any(e.log_type == "Packet" and "PINGRESP" in e.message for e in logs.events))
    assert m.connected
    for bad in ("C00", "ZZ00", "C 000"):
        with pytest.raises(ferromq.MQTTError) as err:
            m.config(f"SendCustomPacket={bad}")
        assert err.value.code == 10022 and bad in err.value.message, err.value


# ---- handlers and threads ----


def scenario_reentrant_handlers(client: ferromq.mqtt, broker: Broker, topic: str) -> None:
    m = client
    echo = f"{topic}/echo"
    r = record(m, "MessageIn", "Disconnected", "Subscribed")

    @m.on("Connected")
    def connected(e: ferromq.ConnectedEvent) -> None:
        if e.status_code == 0:
            m.subscribe(f"{topic},{echo}", 1)

    @m.on("MessageIn")
    def message_in(e: ferromq.MessageEvent) -> None:
        if e.topic == topic:
            m.publish_data(echo, 1, e.message_b)

    @m.on("MessageAck")
    def message_ack(e: ferromq.MessageAckEvent) -> None:
        # The echo's own acknowledgement ends the conversation.
        if e.direction == 1 and m.connected and any(x.topic == echo for x in m.incoming_messages):
            m.disconnect()

    m.connect_to(broker.host, broker.port)
    assert len(r.named("Subscribed")) == 2, "subscribed from the Connected handler"
    m.publish_message(topic, 1, "ping")
    pump_until(m, lambda: len(r.named("Disconnected")) == 1)
    assert [(e.topic, e.message) for e in r.named("MessageIn")] == [(topic, "ping"), (echo, "ping")]
    assert m.connected is False


def scenario_threads_publish(connected: ferromq.mqtt, topic: str) -> None:
    m = connected
    ins = record(m, "MessageIn")
    m.subscribe(topic, 1)
    errors: List[BaseException] = []

    def worker(t: int) -> None:
        try:
            for i in range(50):
                m.publish_message(topic, 1, f"{t}-{i}")
        except BaseException as e:  # noqa: BLE001 - reported by the test
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    pump_until(m, lambda: len(ins.events) >= 200, 30)
    pump_for(m, 0.2)
    got = [e.message for e in ins.events]
    assert len(got) == 200 and sorted(got) == sorted(f"{t}-{i}" for t in range(4) for i in range(50))
    for n in range(4):
        mine = [int(x.split("-")[1]) for x in got if x.startswith(f"{n}-")]
        assert mine == list(range(50)), "each thread's messages keep their order"


DESTROY_SCRIPT = r"""
import gc, sys, weakref, ferromq
m = ferromq.mqtt()
m.timeout = 10
m.on("MessageOut", lambda e: m.client_id)
m.connect_to(sys.argv[1], int(sys.argv[2]))
for qos in (1, 2):
    for i in range(20):
        m.publish_message(sys.argv[3], qos, "x" * 1000)
ref = weakref.ref(m)
del m
gc.collect()
assert ref() is None
print("collected")
"""


def scenario_destroy_in_flight(broker: Broker, make_client: Callable[[], ferromq.mqtt], topic: str) -> None:
    for qos in (1, 2):
        # Through a relay that holds the broker's acknowledgements back: the messages are
        # certainly still in flight when the client goes.
        relay = GatedRelay(broker.host, broker.port)
        relay.gate.set()
        try:
            m = ferromq.mqtt()
            m.timeout = 10
            m.on("MessageOut", lambda e: m.client_id)  # noqa: B023, F821 - a cycle, as real handlers make; then del m
            m.connect_to("127.0.0.1", relay.port)
            relay.gate.clear()
            for i in range(20):
                m.publish_message(topic, qos, f"in flight {i}")
            m.do_events()
            in_flight = m.outgoing_messages
            assert [x.message for x in in_flight] == [f"in flight {i}" for i in range(20)]
            assert all(x.qos == qos and x.state == (0 if qos == 1 else 1) for x in in_flight)
            ref = weakref.ref(m)
            del m, in_flight
            gc.collect()
            assert ref() is None, "the client was collected"
        finally:
            relay.close()

    # The process is healthy: the next client works.
    c = make_client()
    ins = record(c, "MessageIn")
    c.connect_to(broker.host, broker.port)
    c.subscribe(topic + "/after", 1)
    c.publish_message(topic + "/after", 1, "still fine")
    pump_until(c, lambda: len(ins.events) == 1)

    # And a process that drops a client with messages in flight exits cleanly.
    done = subprocess.run(
        [sys.executable, "-c", DESTROY_SCRIPT, broker.host, str(broker.port), topic],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,  # the exit status is asserted below, with the child's stderr
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "collected" and done.stderr == ""
