"""The cross-language scenarios (tests/scenarios.tsv) with the blocking class ferromq.mqtt."""

from __future__ import annotations

from typing import Callable, List

import pytest

import ferromq
from conftest import PAYLOADS, Broker, pump_for, pump_until


def _connect_and_close(m: ferromq.mqtt, broker: Broker) -> None:
    connected: List[ferromq.ConnectedEvent] = []
    disconnected: List[ferromq.DisconnectedEvent] = []
    m.on("Connected", connected.append)
    m.on("Disconnected", disconnected.append)

    m.connect_to(broker.host, broker.port)
    assert m.connected is True
    assert [e.status_code for e in connected] == [0]
    assert m.client_id != "", "an empty client id is generated for a clean session"

    m.disconnect()
    pump_until(m, lambda: len(disconnected) == 1)
    assert m.connected is False
    assert disconnected[0].status_code == 0


def scenario_connect_v311(client: ferromq.mqtt, broker: Broker) -> None:
    assert client.version == 0
    _connect_and_close(client, broker)


def scenario_connect_v5(client: ferromq.mqtt, broker: Broker) -> None:
    client.version = 1
    _connect_and_close(client, broker)


def _roundtrip(m: ferromq.mqtt, topic: str, qos: ferromq.QoS) -> None:
    ins: List[ferromq.MessageEvent] = []
    outs: List[ferromq.MessageEvent] = []
    acks: List[ferromq.MessageAckEvent] = []
    m.on("MessageIn", ins.append)
    m.on("MessageOut", outs.append)
    m.on("MessageAck", acks.append)
    m.subscribe(topic, qos)

    for p in PAYLOADS:
        m.publish_data(topic, qos, p)
    pump_until(m, lambda: len(ins) == len(PAYLOADS) and len(outs) == len(PAYLOADS))

    assert [e.message_b for e in ins] == PAYLOADS, "payloads arrive byte-identical and in order"
    assert all(e.topic == topic and e.qos == qos for e in ins)
    # MessageOut fires for every publish: once written (QoS 0) or once acknowledged.
    assert [e.message_b for e in outs] == PAYLOADS
    assert all(e.topic == topic and e.qos == qos for e in outs)
    if qos == 0:
        assert all(e.packet_id == -1 for e in ins + outs)
        assert acks == []
        return
    out_acks = [a for a in acks if a.direction == 0]
    in_acks = [a for a in acks if a.direction == 1]
    assert sorted(a.packet_id for a in out_acks) == sorted(e.packet_id for e in outs)
    if qos == 2:
        assert sorted(a.packet_id for a in in_acks) == sorted(e.packet_id for e in ins)
    assert all(a.response_code == 0 for a in acks)


def scenario_qos0_roundtrip(connected: ferromq.mqtt, topic: str) -> None:
    _roundtrip(connected, topic, 0)


def scenario_qos1_roundtrip(connected: ferromq.mqtt, topic: str) -> None:
    _roundtrip(connected, topic, 1)


def scenario_qos2_roundtrip(connected: ferromq.mqtt, topic: str) -> None:
    _roundtrip(connected, topic, 2)


def scenario_multi_filter_subscribe(connected: ferromq.mqtt, topic: str) -> None:
    m = connected
    subscribed: List[ferromq.SubscribedEvent] = []
    ins: List[ferromq.MessageEvent] = []
    m.on("Subscribed", subscribed.append)
    m.on("MessageIn", ins.append)
    filters = [f"{topic}/a/+/c", f"{topic}/b/#", f"{topic}/exact"]
    m.subscribe(",".join(filters), 1)
    assert [e.topic_filter for e in subscribed] == filters
    assert all(e.qos == 1 for e in subscribed)

    sent = [f"{topic}/a/x/c", f"{topic}/b/y/z", f"{topic}/exact"]
    for t in sent:
        m.publish_message(t, 1, t)
    pump_until(m, lambda: len(ins) == len(sent))
    assert sorted(e.topic for e in ins) == sorted(sent)
    assert all(e.message == e.topic for e in ins)


def scenario_unsubscribe_stops_delivery(connected: ferromq.mqtt, topic: str) -> None:
    m = connected
    ins: List[ferromq.MessageEvent] = []
    unsubscribed: List[ferromq.UnsubscribedEvent] = []
    m.on("MessageIn", ins.append)
    m.on("Unsubscribed", unsubscribed.append)
    m.subscribe(topic, 1)
    m.publish_message(topic, 1, "before")
    pump_until(m, lambda: len(ins) == 1)

    m.unsubscribe(topic)
    assert [e.topic_filters for e in unsubscribed] == [topic]
    m.publish_message(topic, 1, "after")
    pump_for(m, 0.5)
    assert [e.message for e in ins] == ["before"]


def scenario_wrong_password_refused(make_client: Callable[[], ferromq.mqtt], broker: Broker) -> None:
    m = make_client()
    m.user = broker.user
    m.password = broker.password + "-wrong"
    with pytest.raises(ferromq.MQTTError) as err:
        m.connect_to(broker.host, broker.auth_port)
    assert err.value.code == 500
    assert "5" in err.value.message or "not authorized" in err.value.message.lower()
    assert m.connected is False

    ok = make_client()
    ok.user = broker.user
    ok.password = broker.password
    ok.connect_to(broker.host, broker.auth_port)
    assert ok.connected is True


def scenario_closed_port_fails(client: ferromq.mqtt, broker: Broker) -> None:
    with pytest.raises(ferromq.MQTTError) as err:
        client.connect_to(broker.host, broker.closed_port)
    assert err.value.code == 10061
    assert f"{broker.host}:{broker.closed_port}" in err.value.message
    assert client.connected is False


def scenario_publish_wildcard_refused(connected: ferromq.mqtt, topic: str) -> None:
    m = connected
    outs: List[ferromq.MessageEvent] = []
    m.on("MessageOut", outs.append)
    for bad in (f"{topic}/+", f"{topic}/#"):
        with pytest.raises(ferromq.MQTTError) as err:
            m.publish_message(bad, 1, "nope")
        assert err.value.code == 502
    assert m.connected is True
    m.publish_message(topic, 1, "still up")
    pump_until(m, lambda: len(outs) == 1)
    assert outs[0].topic == topic


def scenario_publish_qos3_refused(connected: ferromq.mqtt, topic: str) -> None:
    m = connected
    outs: List[ferromq.MessageEvent] = []
    m.on("MessageOut", outs.append)
    with pytest.raises(ferromq.MQTTError) as err:
        m.publish_data(topic, 3, b"nope")  # type: ignore[arg-type]  # the run-time check
    assert err.value.code == 505
    assert m.connected is True
    m.publish_data(topic, 1, b"still up")
    pump_until(m, lambda: len(outs) == 1)
    assert outs[0].message_b == b"still up"
