"""ferromq for asyncio: :class:`mqtt` with awaitable methods and handlers on the loop.

How events get here: the engine never takes the GIL. When it has news (events, or the
result of a method call) it writes one byte to a socket pair; the event loop watches the
other end with ``loop.add_reader`` and, on its own thread, fires the handlers and then
resolves the futures of finished calls. So handlers always run on the loop, in order, and
a ``Connected`` handler has run by the time ``await client.connect_to(...)`` returns.

The client binds to the running loop at its first method call; using it from another loop
afterwards raises RuntimeError.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import weakref
from typing import TYPE_CHECKING, Any, Awaitable, Callable, List, Optional, Union

from ._native import _AioClient, _interrupted_error

if TYPE_CHECKING:
    from typing_extensions import Self

    from ._native import Delivered, MessageEvent, MessageProperties, PublishProperties, _EventName, _QoS

__all__ = ["mqtt"]

# One loop callback fires at most this many events, for at most this long (a handler's own
# time aside), and then yields to the loop's other callbacks: under a flood the rest waits
# for the next round (call_soon), so timers and other tasks keep running.
_BATCH = 256
_SLICE = 0.05

Payload = Union[bytes, bytearray, memoryview]
# What the per-message calls take: text (sent as UTF-8) as well.
AnyPayload = Union[str, bytes, bytearray, memoryview]


def _unwatch(loop: asyncio.AbstractEventLoop, rsock: socket.socket) -> None:
    """Stop watching the wake-up socket and close it (on the loop's thread when possible)."""
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is not loop and not loop.is_closed():
        try:
            loop.call_soon_threadsafe(_unwatch_now, loop, rsock)
            return
        except RuntimeError:  # the loop closed in between
            pass
    _unwatch_now(loop, rsock)


def _unwatch_now(loop: asyncio.AbstractEventLoop, rsock: socket.socket) -> None:
    if rsock.fileno() < 0:
        return
    if not loop.is_closed():
        # A loop being torn down may refuse; the fd goes anyway.
        with contextlib.suppress(Exception):
            loop.remove_reader(rsock)
    rsock.close()


def _readable(ref: "weakref.ref[mqtt]", loop: asyncio.AbstractEventLoop, rsock: socket.socket) -> None:
    try:
        while rsock.recv(4096):
            pass
        # End of file: the engine side is gone, nothing more will come.
        _unwatch_now(loop, rsock)
        return
    except (BlockingIOError, InterruptedError):
        pass
    client = ref()
    if client is None:
        _unwatch_now(loop, rsock)
        return
    # A round already scheduled takes what this wake-up announced; a second chain of
    # rounds would only double the loop's time spent in dispatch.
    if client._next_round is None:
        client._dispatch()


class _Concurrent:
    """A handler registered with concurrent=True: an awaitable it returns becomes a task of
    its client at once, so the events after it do not wait for it. Equal to the function
    it wraps, so off(name, fn) finds it."""

    __slots__ = ("client", "fn")

    def __init__(self, client: "weakref.ref[mqtt]", fn: Callable[..., object]) -> None:
        # A weak reference: the client holds its handlers, the handler must not hold it.
        self.client = client
        self.fn = fn

    def __call__(self, event: object) -> None:
        result = self.fn(event)
        if hasattr(result, "__await__"):
            client = self.client()
            if client is not None:
                client._start_task(result)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Concurrent):
            return self.fn == other.fn
        return self.fn == other

    def __hash__(self) -> int:
        return hash(self.fn)


def _forget(pending: "dict[asyncio.Future[Any], str]", fut: "asyncio.Future[Any]") -> None:
    pending.pop(fut, None)


class mqtt(_AioClient):
    """MQTT client for asyncio.

    Properties (``client_id``, ``clean_session``, ``keep_alive_interval``, ``user``,
    ``password``, ``version``, ``remote_host``, ``remote_port``, ``local_host``,
    ``local_port``, ``timeout``, ``connected`` (read-only here), ``ready_to_send``,
    ``incoming_messages``, ``outgoing_messages``, ``will_topic``, ``will_message``,
    ``ssl_enabled``, ``ssl_provider``, ``ssl_cert``, ``ssl_accept_server_cert``,
    ``ssl_server_cert``, ``firewall``),
    ``config()`` and ``on()``/``off()`` are those of :class:`ferromq.mqtt`.

    ``interrupt()`` and ``reset()`` are plain methods here: they act at once and fail the
    futures of the calls in progress with :class:`ferromq.MQTTError` 301.
    ``save_session()`` and ``restore_session()`` are plain methods too, as on
    :class:`ferromq.mqtt`: they only copy the client-side session to or from text (and
    the SessionStateFile), without waiting for the network. So is ``ack()`` (ManualAck).

    Per message (MQTT 5.0): ``publish()`` completes with the :class:`ferromq.Delivered` of
    the message's acknowledgement, ``request()`` with the answering MessageEvent, and
    ``respond()`` answers a received request.

    Methods return an :class:`asyncio.Future`: the operation starts when the method is
    called and the future completes when the blocking method would have returned (CONNACK,
    SUBACK, UNSUBACK, socket closed, message in the send buffer), or fails with
    :class:`ferromq.MQTTError`. ``timeout`` bounds each call (error 201). Cancelling the
    future does not undo the operation. Publishes reach the server in the order they were
    called, awaited or not.

    Handlers run on the event loop. A handler may return an awaitable (e.g. be an
    ``async def``): it is awaited to its end before the handlers of the next event start,
    so events are handled one at a time and in order (the events behind it wait in the
    engine's bounded queue, which holds the broker back). ``on(name, handler,
    concurrent=True)`` runs what that handler returns as a task instead, so later events
    do not wait for it. An exception raised by a handler, or by its awaitable, goes to
    ``loop.call_exception_handler`` and does not stop the other handlers or later events.
    """

    def __init__(self) -> None:
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._tasks: "set[asyncio.Future[Any]]" = set()
        # The futures of calls still running, with what each waits for (for interrupt()).
        self._pending: "dict[asyncio.Future[Any], str]" = {}
        self._finalizer: Optional[weakref.finalize[..., mqtt]] = None
        self._closed = False
        # The next round of dispatch when events were left over (see _dispatch).
        self._next_round: Optional[asyncio.Handle] = None
        # The task awaiting what the handlers of one event returned; events wait for it.
        self._in_order: Optional[asyncio.Future[None]] = None

    # ---- loop binding and delivery ----

    def _bind(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._closed:
            raise RuntimeError("this ferromq.aio.mqtt is closed")
        if self._loop is None:
            fd = self._start_push()
            rsock = socket.socket(fileno=fd)
            rsock.setblocking(False)
            # A weak reference: the loop's watch must not keep a dropped client alive.
            loop.add_reader(rsock, _readable, weakref.ref(self), loop, rsock)
            self._finalizer = weakref.finalize(self, _unwatch, loop, rsock)
            self._loop = loop
        elif self._loop is not loop:
            raise RuntimeError("this ferromq.aio.mqtt is bound to another event loop")
        return loop

    def _dispatch(self) -> None:
        self._next_round = None
        loop = self._loop
        if loop is None:
            return
        # While a handler's awaitable runs, no event is fired, but finished calls still get
        # their results: the awaitable may itself be waiting for one.
        held = self._in_order is not None
        errors, awaitables, more = self._pump(0 if held else _BATCH, _SLICE)
        for exc in errors:
            self._report(exc, "exception in a ferromq event handler")
        if awaitables:
            task = asyncio.ensure_future(self._run_in_order(awaitables))
            self._in_order = task
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        if more and not held and self._next_round is None:
            self._next_round = loop.call_soon(self._dispatch)

    async def _run_in_order(self, awaitables: "List[Awaitable[Any]]") -> None:
        """Await what the handlers of one event returned, one after the other, then let the
        next events through."""
        try:
            for i, aw in enumerate(awaitables):
                try:
                    await aw
                except asyncio.CancelledError:
                    # Cancelled (the loop is shutting down): the rest will never run.
                    for rest in awaitables[i + 1 :]:
                        if asyncio.iscoroutine(rest):
                            rest.close()
                    raise
                except Exception as exc:  # noqa: BLE001 - reported, as a plain handler's is
                    self._report(exc, "exception in a ferromq event handler task")
        finally:
            self._in_order = None
            loop = self._loop
            if not self._closed and loop is not None and not loop.is_closed() and self._next_round is None:
                self._next_round = loop.call_soon(self._dispatch)

    def _start_task(self, aw: "Awaitable[Any]") -> None:
        """Run a concurrent handler's awaitable as a task; its exception is reported."""
        task = asyncio.ensure_future(aw)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _report(self, exc: BaseException, message: str) -> None:
        if self._loop is not None:
            self._loop.call_exception_handler({"message": message, "exception": exc, "client": self})

    def _task_done(self, task: "asyncio.Future[Any]") -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._report(task.exception(), "exception in a ferromq event handler task")  # type: ignore[arg-type]

    # ---- handlers ----

    def on(
        self,
        event: "_EventName",
        handler: Optional[Callable[..., object]] = None,
        *,
        concurrent: bool = False,
    ) -> Any:
        """Register ``handler`` for ``event`` and return it; without a handler, return a
        decorator that registers the function it decorates. An awaitable the handler returns
        is awaited before the next event's handlers start; with ``concurrent=True`` it runs
        as a task instead, so later events do not wait for it. ``off(event, handler)``
        removes it either way."""
        if handler is None:

            def register(fn: Callable[..., object]) -> Callable[..., object]:
                self.on(event, fn, concurrent=concurrent)
                return fn

            # Checks the name now, as the blocking class's decorator form does.
            super().on(event, None)
            return register
        if concurrent and callable(handler):
            super().on(event, _Concurrent(weakref.ref(self), handler))
            return handler
        return super().on(event, handler)

    def _call(self, what: str, op: Callable[..., None], *args: Any) -> "asyncio.Future[Any]":
        fut = self._bind().create_future()
        op(fut, *args)
        self._pending[fut] = what
        # Not a bound method: a call still running must not keep the client alive.
        fut.add_done_callback(functools.partial(_forget, self._pending))
        return fut

    def _fail_pending(self, pending: "list[tuple[asyncio.Future[Any], str]]") -> None:
        for fut, what in pending:
            if not fut.done():
                fut.set_exception(_interrupted_error(what))

    def _end_pending(self) -> None:
        """Fail the futures of the calls running now with 301, on the loop's thread."""
        # One C-level copy under the GIL: a snapshot even if the loop's thread is adding.
        pending = list(self._pending.items())
        loop = self._loop
        if not pending or loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._fail_pending(pending)
            return
        try:
            loop.call_soon_threadsafe(self._fail_pending, pending)
        except RuntimeError:  # the loop closed in between: nobody awaits these any more
            pass

    def interrupt(self) -> None:
        """End every call in progress: its future fails with MQTTError 301, and the client
        disconnects (the Disconnected event follows on the loop). Returns at once; may be
        called from any thread and from a handler."""
        # Futures first: the engine's own answer to the interrupted calls (a closed
        # connection) must not reach the loop before the 301 does.
        self._end_pending()
        super().interrupt()

    def reset(self) -> None:
        """Disconnect without waiting and put every property and config setting back to
        its default; handlers stay registered. Calls in progress fail with 301, as with
        interrupt(). May be called from any thread."""
        self._end_pending()
        super().reset()

    def close(self) -> None:
        """Stop delivering events and results to the loop; later calls raise RuntimeError.

        The connection is not closed by this (await ``disconnect()`` first); it ends when
        the client is garbage-collected.
        """
        self._closed = True
        # Nobody fires handlers any more: a TLS handshake must not wait for their answer.
        self._stop_answers()
        if self._finalizer is not None:
            self._finalizer()

    # ---- methods ----

    def connect(self) -> "asyncio.Future[None]":
        """Connect to ``remote_host``:``remote_port``; completes at CONNACK."""
        return self._call("connecting", self._connect)

    def connect_to(self, host: str, port: int) -> "asyncio.Future[None]":
        """Set ``remote_host`` and ``remote_port``, then connect."""
        return self._call("connecting", self._connect_to, host, port)

    def disconnect(self) -> "asyncio.Future[None]":
        """Close the connection; completes once the socket is closed."""
        return self._call("disconnecting", self._disconnect)

    def subscribe(self, topic_filter: str, qos: "_QoS") -> "asyncio.Future[None]":
        """Subscribe to one or more filters (separated by TopicDelimiter); completes at SUBACK."""
        return self._call("waiting for SUBACK", self._subscribe, topic_filter, qos)

    def unsubscribe(self, topic_filter: str) -> "asyncio.Future[None]":
        """Unsubscribe from filters given as to subscribe(); completes at UNSUBACK."""
        return self._call("waiting for UNSUBACK", self._unsubscribe, topic_filter)

    def publish_message(self, topic: str, qos: "_QoS", message: str) -> "asyncio.Future[None]":
        """Publish text (UTF-8); completes once the message is in the send buffer."""
        return self._call("publishing", self._publish_message, topic, qos, message)

    def publish_data(self, topic: str, qos: "_QoS", data: Payload) -> "asyncio.Future[None]":
        """Publish bytes, bytearray or memoryview; completes once in the send buffer."""
        return self._call("publishing", self._publish_data, topic, qos, data)

    def publish(
        self,
        topic: str,
        payload: AnyPayload,
        qos: "_QoS" = 0,
        retain: bool = False,
        properties: "Optional[Union[PublishProperties, MessageProperties]]" = None,
    ) -> "asyncio.Future[Delivered]":
        """Publish one message with its own QoS, retain flag and MQTT 5.0 properties (the
        client-wide settings are neither read nor changed); completes with its
        :class:`ferromq.Delivered` once it is complete for its QoS (written, PUBACK,
        PUBCOMP), or fails with MQTTError (506 when the server refuses it)."""
        return self._call(
            "waiting for the publish's acknowledgement", self._publish, topic, payload, qos, retain, properties
        )

    def request(
        self,
        topic: str,
        payload: AnyPayload,
        timeout: float = 10.0,
        qos: "_QoS" = 0,
        retain: bool = False,
        properties: "Optional[Union[PublishProperties, MessageProperties]]" = None,
    ) -> "asyncio.Future[MessageEvent]":
        """Send a request (MQTT 5.0) and complete with the MessageEvent that answers it;
        MQTTError 201 after ``timeout`` seconds. Many may be in flight at once."""
        return self._call(
            "waiting for the response to a request",
            self._request,
            topic,
            payload,
            timeout,
            qos,
            retain,
            properties,
        )

    def respond(
        self,
        request: "MessageEvent",
        payload: AnyPayload,
        qos: "_QoS" = 0,
        retain: bool = False,
        properties: "Optional[Union[PublishProperties, MessageProperties]]" = None,
    ) -> "asyncio.Future[Delivered]":
        """Answer a received request: publish to its ResponseTopic with its CorrelationData;
        completes with the Delivered of that publish."""
        return self._call(
            "waiting for the publish's acknowledgement", self._respond, request, payload, qos, retain, properties
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Leaving ``async with`` disconnects if still connected."""
        if self.connected:
            await self.disconnect()
