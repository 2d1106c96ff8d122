"""The Python face against the core's description (docs/description.md): the events and
MQTTMessage objects carry exactly the described fields, with values of the described kinds,
and the 301 of an interrupted call has the core's text."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Dict, List

import ferromq
import ferromq._native
from conftest import Broker, SilentListener, pump_until

DESCRIPTION = ferromq._native._description()
KINDS = {k["name"]: k for k in DESCRIPTION["events"]}
PY_TYPES = {"int": int, "long": int, "bool": bool, "text": str, "bytes": bytes, "properties": ferromq.MessageProperties}
PROPERTY_TYPES = {"int": int, "str": str, "bytes": bytes, "Tuple[str, str]": tuple}


def _check(obj: Any, fields: List[Dict[str, Any]], type_name: str) -> None:
    assert type(obj).__name__ == type_name
    public = {n for n in vars(type(obj)) if not n.startswith("_")}
    want = set()
    for f in fields:
        want.add(f["name"])
        if f["kind"] == "payload":
            assert isinstance(getattr(obj, f["name"]), str), f["name"]
            assert isinstance(getattr(obj, f["bytes_name"]), bytes), f["bytes_name"]
            want.add(f["bytes_name"])
        else:
            assert type(getattr(obj, f["name"])) is PY_TYPES[f["kind"]], f["name"]
        if f["kind"] == "properties":
            _check_properties(getattr(obj, f["name"]))
    assert public - {"name"} == want


def _check_properties(p: ferromq.MessageProperties) -> None:
    """Every described message property, None / a list of the described type."""
    for d in DESCRIPTION["message_properties"]:
        v = getattr(p, d["name"])
        if d["repeatable"]:
            assert isinstance(v, list), d["name"]
            assert all(type(x) is PROPERTY_TYPES[d["type"]] for x in v), d["name"]
        else:
            assert v is None or type(v) is PROPERTY_TYPES[d["type"]], d["name"]


def scenario_event_description(
    make_client: Callable[[], ferromq.mqtt], broker: Broker, topic: str, silent_listener: SilentListener
) -> None:
    m = make_client()
    seen: List[Any] = []
    listed: List[Any] = []
    for name in ferromq.EVENT_NAMES:
        m.on(name, seen.append)

    def in_flight(e: ferromq.MessageAckEvent) -> None:
        # While MessageAck's handler runs, its message is still in its collection.
        listed.extend(m.outgoing_messages if e.direction == 0 else m.incoming_messages)

    m.on("MessageAck", in_flight)
    m.connect_to(broker.host, broker.port)
    m.subscribe(topic, 1)
    m.publish_message(topic, 1, "described")
    pump_until(m, lambda: {"MessageIn", "MessageOut"} <= {e.name for e in seen})
    m.disconnect()
    names = {e.name for e in seen}
    assert {"Connected", "Subscribed", "MessageAck", "MessageIn", "MessageOut", "Disconnected"} <= names
    for e in seen:
        kind = KINDS[e.name]
        _check(e, kind["fields"], kind["type_name"])
    assert listed, "no in-flight message was listed"
    for msg in listed:
        _check(msg, DESCRIPTION["message_fields"], DESCRIPTION["message_type"])

    # The asyncio class's interrupted call carries the core's 301 text (it used to word
    # its own), as the blocking class's does.
    interrupted = next(c for c in DESCRIPTION["errors"] if c["name"] == "INTERRUPTED")

    async def interrupted_connect() -> ferromq.MQTTError:
        a = ferromq.aio.mqtt()
        a.timeout = 0  # no limit: only the interrupt ends the wait
        pending = asyncio.ensure_future(a.connect_to("127.0.0.1", silent_listener.port))
        deadline = asyncio.get_running_loop().time() + 10
        while not silent_listener.accepted:
            assert asyncio.get_running_loop().time() < deadline, "the TCP connection never came"
            await asyncio.sleep(0.01)
        a.interrupt()
        try:
            await pending
        except ferromq.MQTTError as e:
            return e
        raise AssertionError("the connect was not interrupted")

    err = asyncio.run(interrupted_connect())
    assert err.code == interrupted["code"]
    assert err.message == interrupted["text"].replace("{what}", "connecting")
