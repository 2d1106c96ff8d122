"""ferromq: an MQTT 3.1.1 and 5.0 client with a Rust engine.

Two classes over the same engine:

* :class:`ferromq.mqtt` blocks: ``connect_to``, ``subscribe``, ``publish_*`` ... wait
  (up to ``timeout`` seconds) with the GIL released, and fire event handlers on the
  calling thread while they wait. Call ``do_events()`` to receive messages between calls.
* :class:`ferromq.aio.mqtt` is for asyncio: the same properties, awaitable methods, and
  handlers that run on the event loop.

Handlers are registered with ``on("MessageIn", fn)`` or ``@client.on("MessageIn")`` and
get one event object whose fields are snake_case (``topic``, ``qos``, ``message``,
``message_b`` ...). Every failure raises :class:`MQTTError` with the documented ``code``.

``incoming_messages`` / ``outgoing_messages`` list the QoS 1/2 messages still in flight as
tuples of read-only :class:`MQTTMessage`; :func:`config_settings` lists what ``config()``
answers.

Per message (MQTT 5.0): ``publish(topic, payload, qos=0, retain=False, properties=None)``
gives one message its own options and returns (or, asyncio, completes with) its
:class:`Delivered` acknowledgement; ``request()`` / ``respond()`` do request/response;
``MessageEvent.properties`` is the :class:`MessageProperties` of each received message.

Typing: ``on("MessageIn", fn)`` expects ``fn`` to take a :class:`MessageEvent` (each event
name its own class), ``version`` is ``Literal[0, 1]`` and a QoS is :data:`QoS`
(``Literal[0, 1, 2]``), so mypy catches a misspelt event field or ``version = 5``.

TLS and proxies: ``ssl_enabled``, ``ssl_cert``, ``ssl_accept_server_cert``,
``ssl_server_cert`` (values of :class:`Certificate`) and ``firewall`` (a
:class:`Firewall`).
"""

from __future__ import annotations

from typing import Literal

from . import aio
from ._error import MQTTError
from ._native import (
    CONFIG_SETTINGS,
    EVENT_NAMES,
    Certificate,
    ConfigSetting,
    ConnectedEvent,
    ConnectionStatusEvent,
    Delivered,
    DisconnectedEvent,
    ErrorEvent,
    Firewall,
    LogEvent,
    MessageAckEvent,
    MessageEvent,
    MessageProperties,
    MQTTMessage,
    PublishProperties,
    ReadyToSendEvent,
    SSLServerAuthenticationEvent,
    SSLStatusEvent,
    SubscribedEvent,
    UnsubscribedEvent,
    __version__,
    config_settings,
    mqtt,
)

QoS = Literal[0, 1, 2]
"""The type of a QoS level, as ``publish()``, ``subscribe()`` and ``MessageEvent.qos`` have it;
for annotating a variable that holds one (mypy then checks it; other values still raise
MQTTError 505 at run time)."""

__all__ = [
    "CONFIG_SETTINGS",
    "EVENT_NAMES",
    "Certificate",
    "ConfigSetting",
    "ConnectedEvent",
    "ConnectionStatusEvent",
    "Delivered",
    "DisconnectedEvent",
    "ErrorEvent",
    "Firewall",
    "LogEvent",
    "MQTTError",
    "MQTTMessage",
    "MessageAckEvent",
    "MessageEvent",
    "MessageProperties",
    "PublishProperties",
    "QoS",
    "ReadyToSendEvent",
    "SSLServerAuthenticationEvent",
    "SSLStatusEvent",
    "SubscribedEvent",
    "UnsubscribedEvent",
    "__version__",
    "aio",
    "config_settings",
    "mqtt",
]
