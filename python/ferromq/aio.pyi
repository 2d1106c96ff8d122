"""Type stubs for ferromq.aio: the asyncio MQTT client."""

import asyncio
from typing import Callable, Literal, Optional, Union, overload

from typing_extensions import Self

from ._native import (
    _R,
    ConnectedEvent,
    ConnectionStatusEvent,
    Delivered,
    DisconnectedEvent,
    ErrorEvent,
    LogEvent,
    MessageAckEvent,
    MessageEvent,
    MessageProperties,
    PublishProperties,
    ReadyToSendEvent,
    SSLServerAuthenticationEvent,
    SSLStatusEvent,
    SubscribedEvent,
    UnsubscribedEvent,
    _AioClient,
    _OnConnectedEvent,
    _OnConnectionStatusEvent,
    _OnDisconnectedEvent,
    _OnErrorEvent,
    _OnLogEvent,
    _OnMessageAckEvent,
    _OnMessageEvent,
    _OnReadyToSendEvent,
    _OnSSLServerAuthenticationEvent,
    _OnSSLStatusEvent,
    _OnSubscribedEvent,
    _OnUnsubscribedEvent,
    _QoS,
)

__all__ = ["mqtt"]

_Payload = Union[bytes, bytearray, memoryview]
_AnyPayload = Union[str, bytes, bytearray, memoryview]
_Properties = Union[PublishProperties, MessageProperties]

class mqtt(_AioClient):
    """MQTT client for asyncio.

    Same properties, config() and on()/off() as ferromq.mqtt (``connected`` is read-only).
    interrupt(), reset(), save_session(), restore_session() and ack() are plain (not
    awaitable) methods: none of them waits for the network.
    Each method starts the operation at once and returns a future that completes when the
    blocking method would return, or fails with ferromq.MQTTError. Handlers run on the
    loop. A handler may be an ``async def`` (or return another awaitable): it is awaited to
    its end before the handlers of the next event start, so events are handled one at a
    time, in order; ``on(name, handler, concurrent=True)`` runs that handler's awaitables as
    tasks instead. Handler exceptions go to ``loop.call_exception_handler`` and do not stop
    later events. Publishes keep the order they were called in.
    """

    def __init__(self) -> None: ...
    @overload
    def on(
        self, event: Literal["Connected"], handler: Callable[[ConnectedEvent], _R], *, concurrent: bool = False
    ) -> Callable[[ConnectedEvent], _R]:
        """Register `handler` for the event (or, without it, return a decorator that does).
        An awaitable the handler returns is awaited before the next event's handlers start;
        with concurrent=True it runs as a task instead, alongside later events."""
    @overload
    def on(
        self, event: Literal["Connected"], handler: None = None, *, concurrent: bool = False
    ) -> Callable[[_OnConnectedEvent], _OnConnectedEvent]: ...
    @overload
    def on(
        self,
        event: Literal["ConnectionStatus"],
        handler: Callable[[ConnectionStatusEvent], _R],
        *,
        concurrent: bool = False,
    ) -> Callable[[ConnectionStatusEvent], _R]: ...
    @overload
    def on(
        self, event: Literal["ConnectionStatus"], handler: None = None, *, concurrent: bool = False
    ) -> Callable[[_OnConnectionStatusEvent], _OnConnectionStatusEvent]: ...
    @overload
    def on(
        self, event: Literal["Disconnected"], handler: Callable[[DisconnectedEvent], _R], *, concurrent: bool = False
    ) -> Callable[[DisconnectedEvent], _R]: ...
    @overload
    def on(
        self, event: Literal["Disconnected"], handler: None = None, *, concurrent: bool = False
    ) -> Callable[[_OnDisconnectedEvent], _OnDisconnectedEvent]: ...
    @overload
    def on(
        self, event: Literal["Error"], handler: Callable[[ErrorEvent], _R], *, concurrent: bool = False
    ) -> Callable[[ErrorEvent], _R]: ...
    @overload
    def on(
        self, event: Literal["Error"], handler: None = None, *, concurrent: bool = False
    ) -> Callable[[_OnErrorEvent], _OnErrorEvent]: ...
    @overload
    def on(
        self, event: Literal["Log"], handler: Callable[[LogEvent], _R], *, concurrent: bool = False
    ) -> Callable[[LogEvent], _R]: ...
    @overload
    def on(
        self, event: Literal["Log"], handler: None = None, *, concurrent: bool = False
    ) -> Callable[[_OnLogEvent], _OnLogEvent]: ...
    @overload
    def on(
        self, event: Literal["MessageAck"], handler: Callable[[MessageAckEvent], _R], *, concurrent: bool = False
    ) -> Callable[[MessageAckEvent], _R]: ...
    @overload
    def on(
        self, event: Literal["MessageAck"], handler: None = None, *, concurrent: bool = False
    ) -> Callable[[_OnMessageAckEvent], _OnMessageAckEvent]: ...
    @overload
    def on(
        self, event: Literal["MessageIn"], handler: Callable[[MessageEvent], _R], *, concurrent: bool = False
    ) -> Callable[[MessageEvent], _R]: ...
    @overload
    def on(
        self, event: Literal["MessageIn"], handler: None = None, *, concurrent: bool = False
    ) -> Callable[[_OnMessageEvent], _OnMessageEvent]: ...
    @overload
    def on(
        self, event: Literal["MessageOut"], handler: Callable[[MessageEvent], _R], *, concurrent: bool = False
    ) -> Callable[[MessageEvent], _R]: ...
    @overload
    def on(
        self, event: Literal["MessageOut"], handler: None = None, *, concurrent: bool = False
    ) -> Callable[[_OnMessageEvent], _OnMessageEvent]: ...
    @overload
    def on(
        self, event: Literal["ReadyToSend"], handler: Callable[[ReadyToSendEvent], _R], *, concurrent: bool = False
    ) -> Callable[[ReadyToSendEvent], _R]: ...
    @overload
    def on(
        self, event: Literal["ReadyToSend"], handler: None = None, *, concurrent: bool = False
    ) -> Callable[[_OnReadyToSendEvent], _OnReadyToSendEvent]: ...
    @overload
    def on(
        self,
        event: Literal["SSLServerAuthentication"],
        handler: Callable[[SSLServerAuthenticationEvent], _R],
        *,
        concurrent: bool = False,
    ) -> Callable[[SSLServerAuthenticationEvent], _R]: ...
    @overload
    def on(
        self, event: Literal["SSLServerAuthentication"], handler: None = None, *, concurrent: bool = False
    ) -> Callable[[_OnSSLServerAuthenticationEvent], _OnSSLServerAuthenticationEvent]: ...
    @overload
    def on(
        self, event: Literal["SSLStatus"], handler: Callable[[SSLStatusEvent], _R], *, concurrent: bool = False
    ) -> Callable[[SSLStatusEvent], _R]: ...
    @overload
    def on(
        self, event: Literal["SSLStatus"], handler: None = None, *, concurrent: bool = False
    ) -> Callable[[_OnSSLStatusEvent], _OnSSLStatusEvent]: ...
    @overload
    def on(
        self, event: Literal["Subscribed"], handler: Callable[[SubscribedEvent], _R], *, concurrent: bool = False
    ) -> Callable[[SubscribedEvent], _R]: ...
    @overload
    def on(
        self, event: Literal["Subscribed"], handler: None = None, *, concurrent: bool = False
    ) -> Callable[[_OnSubscribedEvent], _OnSubscribedEvent]: ...
    @overload
    def on(
        self, event: Literal["Unsubscribed"], handler: Callable[[UnsubscribedEvent], _R], *, concurrent: bool = False
    ) -> Callable[[UnsubscribedEvent], _R]: ...
    @overload
    def on(
        self, event: Literal["Unsubscribed"], handler: None = None, *, concurrent: bool = False
    ) -> Callable[[_OnUnsubscribedEvent], _OnUnsubscribedEvent]: ...
    def close(self) -> None:
        """Stop delivering events and results to the loop; later calls raise RuntimeError."""
    def interrupt(self) -> None:
        """Fail the futures of the calls in progress with MQTTError 301 and disconnect.
        Returns at once; callable from any thread and from a handler."""
    def reset(self) -> None:
        """Disconnect, restore every property and config default (handlers stay) and fail
        the calls in progress with 301, like interrupt()."""
    def connect(self) -> asyncio.Future[None]: ...
    def connect_to(self, host: str, port: int) -> asyncio.Future[None]: ...
    def disconnect(self) -> asyncio.Future[None]: ...
    def subscribe(self, topic_filter: str, qos: _QoS) -> asyncio.Future[None]: ...
    def unsubscribe(self, topic_filter: str) -> asyncio.Future[None]: ...
    def publish_message(self, topic: str, qos: _QoS, message: str) -> asyncio.Future[None]: ...
    def publish_data(self, topic: str, qos: _QoS, data: _Payload) -> asyncio.Future[None]: ...
    def publish(
        self,
        topic: str,
        payload: _AnyPayload,
        qos: _QoS = 0,
        retain: bool = False,
        properties: Optional[_Properties] = None,
    ) -> asyncio.Future[Delivered]:
        """Publish one message with its own QoS, retain flag and MQTT 5.0 properties;
        completes with its Delivered at the acknowledgement (written for QoS 0, PUBACK,
        PUBCOMP); 506 when the server refuses it."""
    def request(
        self,
        topic: str,
        payload: _AnyPayload,
        timeout: float = 10.0,
        qos: _QoS = 0,
        retain: bool = False,
        properties: Optional[_Properties] = None,
    ) -> asyncio.Future[MessageEvent]:
        """Send a request (MQTT 5.0); completes with the message that answers it (201 after
        `timeout` seconds)."""
    def respond(
        self,
        request: MessageEvent,
        payload: _AnyPayload,
        qos: _QoS = 0,
        retain: bool = False,
        properties: Optional[_Properties] = None,
    ) -> asyncio.Future[Delivered]:
        """Answer a received request at its ResponseTopic with its CorrelationData."""
    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *exc: object) -> None: ...
