"""Type stubs for ferromq.aio: the asyncio MQTT client."""

import asyncio
from typing import Optional, Union

from typing_extensions import Self

from ._native import Delivered, MessageEvent, MessageProperties, PublishProperties, _AioClient

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
    loop; an awaitable a handler returns runs as a task; handler exceptions go to
    ``loop.call_exception_handler``. Publishes keep the order they were called in.
    """

    def __init__(self) -> None: ...
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
    def subscribe(self, topic_filter: str, qos: int) -> asyncio.Future[None]: ...
    def unsubscribe(self, topic_filter: str) -> asyncio.Future[None]: ...
    def publish_message(self, topic: str, qos: int, message: str) -> asyncio.Future[None]: ...
    def publish_data(self, topic: str, qos: int, data: _Payload) -> asyncio.Future[None]: ...
    def publish(
        self,
        topic: str,
        payload: _AnyPayload,
        qos: int = 0,
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
        qos: int = 0,
        retain: bool = False,
        properties: Optional[_Properties] = None,
    ) -> asyncio.Future[MessageEvent]:
        """Send a request (MQTT 5.0); completes with the message that answers it (201 after
        `timeout` seconds)."""
    def respond(
        self,
        request: MessageEvent,
        payload: _AnyPayload,
        qos: int = 0,
        retain: bool = False,
        properties: Optional[_Properties] = None,
    ) -> asyncio.Future[Delivered]:
        """Answer a received request at its ResponseTopic with its CorrelationData."""
    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *exc: object) -> None: ...
