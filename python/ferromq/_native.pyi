"""Type stubs for ferromq._native, the Rust extension behind ferromq.mqtt and ferromq.aio.mqtt."""

import os
from typing import (
    Any,
    Awaitable,
    Callable,
    Dict,
    List,
    Literal,
    Optional,
    Sequence,
    Tuple,
    TypedDict,
    TypeVar,
    Union,
    final,
    overload,
)

from typing_extensions import Self

from ._error import MQTTError

__version__: str
EVENT_NAMES: List[_EventName]
"""The documented event names, as on() takes them."""
CONFIG_SETTINGS: List[str]
"""The name of every setting config() answers (see config_settings() for the details)."""

def _description() -> Dict[str, Any]:
    """The core's description of events, MQTTMessage fields and error codes, from which the
    event classes are built (tests check this stub against it)."""

def _interrupted_error(what: str) -> MQTTError:
    """The MQTTError 301 of a call that interrupt() ended, with the core's text."""

@final
class ConfigSetting:
    """One row of the config registry."""
    @property
    def name(self) -> str:
        """The name config() takes ("TopicDelimiter", ...)."""
    @property
    def group(self) -> str:
        """The documented group: "mqtt", "tcp", ..."""
    @property
    def kind(self) -> str:
        """ "bool", "int" or "string": the shape of the text config() reads and writes."""
    @property
    def read_only(self) -> bool:
        """Whether config("Name=Value") is refused."""
    @property
    def applies(self) -> str:
        """ "both", "3.1.1" or "5.0": the MQTT versions the setting means something under."""
    @property
    def default(self) -> str:
        """What config() reads on a new client, and after reset()."""
    @property
    def indexed(self) -> bool:
        """Whether the name ends in [i]: Name[2] is one element, Name[i] (or the bare name)
        the whole array as a JSON array of strings."""

def config_settings(group: Optional[str] = None) -> Tuple[ConfigSetting, ...]:
    """Every setting of the registry (only those of `group` when given), in registry order."""

_QoS = Literal[0, 1, 2]
"""A QoS level; others raise MQTTError 505 at run time."""
_Version = Literal[0, 1]
"""The MQTT version: 0 = 3.1.1, 1 = 5.0."""

@final
class MQTTMessage:
    """A QoS 1/2 message whose acknowledgement flow has not finished: an entry of
    incoming_messages / outgoing_messages. Read-only; a snapshot of when it was read.
    The MQTT 5.0 fields are empty / 0 under 3.1.1."""
    @property
    def packet_id(self) -> int: ...
    @property
    def topic(self) -> str: ...
    @property
    def qos(self) -> _QoS: ...
    @property
    def message(self) -> str:
        """The payload as text (invalid UTF-8 shows as U+FFFD)."""
    @property
    def message_b(self) -> bytes:
        """The payload, byte for byte."""
    @property
    def retained(self) -> bool: ...
    @property
    def duplicate(self) -> bool: ...
    @property
    def state(self) -> int:
        """0..4 for outgoing messages (4 = final acknowledgement received), 5..9 for
        incoming ones (9 = final acknowledgement sent)."""
    @property
    def content_type(self) -> str: ...
    @property
    def correlation_data(self) -> str:
        """Hex."""
    @property
    def message_exp_interval(self) -> int: ...
    @property
    def payload_format_indicator(self) -> int: ...
    @property
    def response_topic(self) -> str: ...
    @property
    def subscription_identifiers(self) -> str:
        """Comma-separated."""
    @property
    def topic_alias(self) -> int: ...

_Blob = Union[str, bytes, bytearray, memoryview]

@final
class Certificate:
    """A certificate: the server's (ssl_server_cert), one to pin (ssl_accept_server_cert),
    or ours with its private key (ssl_cert). Certificate() is the empty certificate; the
    class methods build the others and raise MQTTError (271 store, 272 not found) when the
    certificate cannot be read. Read-only; equal when the same certificate and store."""

    def __init__(self) -> None: ...
    @classmethod
    def from_file(cls, path: Union[str, "os.PathLike[str]"]) -> "Certificate":
        """An X.509 certificate read from a file (PEM, base64 or DER)."""
    @classmethod
    def from_encoded(cls, encoded: _Blob) -> "Certificate":
        """An X.509 certificate from PEM/base64 text or DER bytes."""
    @classmethod
    def from_store(
        cls,
        store_type: int,
        store: Union[_Blob, "os.PathLike[str]"],
        store_password: str = "",
        subject: str = "",
    ) -> "Certificate":
        """A certificate with its private key from a store: store_type 2 PKCS#12 file,
        3 PKCS#12 blob, 6 PEM file, 7 PEM blob, 99 detect. `store` is the file name for
        file types and the content for blob types; `subject` "" or "*" takes the first
        certificate with a key, otherwise a (part of a) subject or "Thumbprint=HEX"."""
    @classmethod
    def from_store_encoded(
        cls,
        store_type: int,
        store: Union[_Blob, "os.PathLike[str]"],
        store_password: str,
        encoded: _Blob,
    ) -> "Certificate":
        """A store holding the private key, with its certificate given apart."""
    def is_empty(self) -> bool:
        """Whether this is the empty certificate."""
    @property
    def effective_date(self) -> str: ...
    @property
    def expiration_date(self) -> str: ...
    @property
    def extended_key_usage(self) -> str: ...
    @property
    def fingerprint(self) -> str:
        """MD5, hex pairs separated by colons."""
    @property
    def fingerprint_sha1(self) -> str: ...
    @property
    def fingerprint_sha256(self) -> str: ...
    @property
    def issuer(self) -> str: ...
    @property
    def key_password(self) -> str: ...
    @property
    def private_key(self) -> str:
        """Always "": the key never leaves the TLS stack."""
    @property
    def private_key_available(self) -> bool: ...
    @property
    def private_key_container(self) -> str: ...
    @property
    def public_key(self) -> str: ...
    @property
    def public_key_algorithm(self) -> str: ...
    @property
    def public_key_length(self) -> int: ...
    @property
    def serial_number(self) -> str: ...
    @property
    def signature_algorithm(self) -> str: ...
    @property
    def store(self) -> str:
        """The file name, or a blob store as text; "MY" when not from a store."""
    @property
    def store_b(self) -> bytes: ...
    @property
    def store_password(self) -> str: ...
    @property
    def store_type(self) -> int: ...
    @property
    def subject_alt_names(self) -> str: ...
    @property
    def thumbprint_md5(self) -> str: ...
    @property
    def thumbprint_sha1(self) -> str: ...
    @property
    def thumbprint_sha256(self) -> str: ...
    @property
    def usage(self) -> str: ...
    @property
    def usage_flags(self) -> int: ...
    @property
    def version(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def encoded(self) -> str:
        """Base64 (PEM without its armour lines)."""
    @property
    def encoded_b(self) -> bytes:
        """DER."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Firewall:
    """The proxy to connect through (assign to mqtt.firewall; reading it gives a copy).
    firewall_type: 0 none, 1 HTTP tunnel, 2 SOCKS4, 3 SOCKS5, 10 SOCKS4A; port 0 takes
    the type's usual port. Checked when assigned to the client (MQTTError 10022)."""

    def __init__(
        self,
        firewall_type: int = 0,
        host: str = "",
        port: int = 0,
        user: str = "",
        password: str = "",
        auto_detect: bool = False,
    ) -> None: ...
    auto_detect: bool
    firewall_type: int
    host: str
    password: str
    port: int
    user: str
    def __eq__(self, other: object) -> bool: ...

@final
class MessageProperties:
    """The MQTT 5.0 properties of one message (MessageEvent.properties): what the server
    sent for MessageIn, what we sent for MessageOut. Read-only; an absent property is None,
    a repeatable one a list (empty when absent). False when the message has none (every
    3.1.1 message). Pass it as a publish's ``properties`` to forward them (without the
    subscription identifiers and the topic alias, which belong to the connection it came
    on)."""
    @property
    def payload_format_indicator(self) -> Optional[int]:
        """0 unspecified bytes, 1 UTF-8 text."""
    @property
    def message_expiry_interval(self) -> Optional[int]:
        """Seconds left until the server drops the message."""
    @property
    def content_type(self) -> Optional[str]: ...
    @property
    def response_topic(self) -> Optional[str]: ...
    @property
    def correlation_data(self) -> Optional[bytes]: ...
    @property
    def subscription_identifiers(self) -> List[int]:
        """The identifiers of the subscriptions the message matched (received only)."""
    @property
    def topic_alias(self) -> Optional[int]: ...
    @property
    def user_properties(self) -> List[Tuple[str, str]]:
        """(name, value) pairs in the order they came; a name may repeat."""
    def to_dict(self) -> Dict[str, Any]:
        """Every property by name (None or [] when absent)."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...
    def __bool__(self) -> bool: ...

class PublishProperties(TypedDict, total=False):
    """The MQTT 5.0 properties one publish may be given (publish, request, respond). Values
    of the wrong Python type raise TypeError; an unknown name, or a value the property does
    not take, raises MQTTError 10022 naming it. None leaves a property out."""

    payload_format_indicator: int
    message_expiry_interval: int
    content_type: str
    response_topic: str
    correlation_data: Union[bytes, bytearray, memoryview, str]
    topic_alias: int
    user_properties: Union[Sequence[Tuple[str, str]], Dict[str, Union[str, List[str]]]]

_Properties = Union[PublishProperties, MessageProperties]
_AnyPayload = Union[str, bytes, bytearray, memoryview]

@final
class Delivered:
    """A publish that completed for its QoS: written (QoS 0), acknowledged by PUBACK (QoS 1)
    or PUBCOMP (QoS 2)."""
    def __init__(self, packet_id: int, reason_code: int) -> None: ...
    @property
    def packet_id(self) -> int:
        """-1 for QoS 0."""
    @property
    def reason_code(self) -> int:
        """0, or 16 (no matching subscribers): both successes. A refusal raises 506 instead."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

_EventName = Literal[
    "Connected",
    "ConnectionStatus",
    "Disconnected",
    "Error",
    "Log",
    "MessageAck",
    "MessageIn",
    "MessageOut",
    "ReadyToSend",
    "SSLServerAuthentication",
    "SSLStatus",
    "Subscribed",
    "Unsubscribed",
]

_Payload = Union[bytes, bytearray, memoryview]

@final
class ConnectedEvent:
    """Connected: the outcome of a connection attempt."""
    @property
    def name(self) -> str: ...
    @property
    def status_code(self) -> int:
        """0 on success, otherwise the error code of the failure."""
    @property
    def description(self) -> str: ...

@final
class ConnectionStatusEvent:
    """ConnectionStatus: a step of the connection."""
    @property
    def name(self) -> str: ...
    @property
    def connection_event(self) -> str: ...
    @property
    def status_code(self) -> int: ...
    @property
    def description(self) -> str: ...

@final
class DisconnectedEvent:
    """Disconnected: the connection ended."""
    @property
    def name(self) -> str: ...
    @property
    def status_code(self) -> int:
        """0 for a normal close, otherwise the error code."""
    @property
    def description(self) -> str: ...

@final
class ErrorEvent:
    """Error: a failure outside any method call."""
    @property
    def name(self) -> str: ...
    @property
    def error_code(self) -> int: ...
    @property
    def description(self) -> str: ...

@final
class LogEvent:
    """Log: a line of the engine's log (see config("LogLevel=N"))."""
    @property
    def name(self) -> str: ...
    @property
    def log_level(self) -> int:
        """1 info, 2 verbose, 3 debug."""
    @property
    def message(self) -> str: ...
    @property
    def log_type(self) -> str:
        """ "Info", "Packet", "Reconnect" or "Session"."""

@final
class MessageAckEvent:
    """MessageAck: a QoS 1/2 message completed its acknowledgement flow."""
    @property
    def name(self) -> str: ...
    @property
    def packet_id(self) -> int: ...
    @property
    def direction(self) -> int:
        """0: a message we published; 1: a message the server sent us."""
    @property
    def index(self) -> int: ...
    @property
    def response_code(self) -> int: ...

@final
class MessageEvent:
    """MessageIn (a message arrived) and MessageOut (our message is fully acknowledged)."""
    @property
    def name(self) -> str:
        """ "MessageIn" or "MessageOut"."""
    @property
    def packet_id(self) -> int:
        """-1 for QoS 0."""
    @property
    def topic(self) -> str: ...
    @property
    def qos(self) -> _QoS: ...
    @property
    def message(self) -> str:
        """The payload as text (invalid UTF-8 shows as U+FFFD)."""
    @property
    def message_b(self) -> bytes:
        """The payload, byte for byte."""
    @property
    def retained(self) -> bool: ...
    @property
    def duplicate(self) -> bool: ...
    @property
    def properties(self) -> MessageProperties:
        """The MQTT 5.0 properties of this very message (empty under 3.1.1)."""

@final
class ReadyToSendEvent:
    """ReadyToSend: the send buffer drained; publishing may go on."""
    @property
    def name(self) -> str: ...

@final
class SSLServerAuthenticationEvent:
    """SSLServerAuthentication: the server's certificate, which a handler may accept."""
    @property
    def name(self) -> str: ...
    @property
    def cert_encoded(self) -> str: ...
    @property
    def cert_encoded_b(self) -> bytes: ...
    @property
    def cert_subject(self) -> str: ...
    @property
    def cert_issuer(self) -> str: ...
    @property
    def status(self) -> str: ...
    accept: bool

@final
class SSLStatusEvent:
    """SSLStatus: progress of the TLS handshake."""
    @property
    def name(self) -> str: ...
    @property
    def message(self) -> str: ...

@final
class SubscribedEvent:
    """Subscribed: one per filter of a subscribe() call."""
    @property
    def name(self) -> str: ...
    @property
    def topic_filter(self) -> str: ...
    @property
    def qos(self) -> int:
        """The granted QoS, or -1 when the server refused the filter."""
    @property
    def response_code(self) -> int: ...

@final
class UnsubscribedEvent:
    """Unsubscribed: one per unsubscribe() call."""
    @property
    def name(self) -> str: ...
    @property
    def topic_filters(self) -> str: ...
    @property
    def response_code(self) -> int: ...

_Event = Union[
    ConnectedEvent,
    ConnectionStatusEvent,
    DisconnectedEvent,
    ErrorEvent,
    LogEvent,
    MessageAckEvent,
    MessageEvent,
    ReadyToSendEvent,
    SSLServerAuthenticationEvent,
    SSLStatusEvent,
    SubscribedEvent,
    UnsubscribedEvent,
]

# A handler of one event: on() maps each documented name to the class its handler gets, so
# mypy checks what a handler reads of its event (a lambda's parameter gets that class too).
_R = TypeVar("_R")
_OnConnectedEvent = TypeVar("_OnConnectedEvent", bound=Callable[[ConnectedEvent], object])
_OnConnectionStatusEvent = TypeVar("_OnConnectionStatusEvent", bound=Callable[[ConnectionStatusEvent], object])
_OnDisconnectedEvent = TypeVar("_OnDisconnectedEvent", bound=Callable[[DisconnectedEvent], object])
_OnErrorEvent = TypeVar("_OnErrorEvent", bound=Callable[[ErrorEvent], object])
_OnLogEvent = TypeVar("_OnLogEvent", bound=Callable[[LogEvent], object])
_OnMessageAckEvent = TypeVar("_OnMessageAckEvent", bound=Callable[[MessageAckEvent], object])
_OnMessageEvent = TypeVar("_OnMessageEvent", bound=Callable[[MessageEvent], object])
_OnReadyToSendEvent = TypeVar("_OnReadyToSendEvent", bound=Callable[[ReadyToSendEvent], object])
_OnSSLServerAuthenticationEvent = TypeVar(
    "_OnSSLServerAuthenticationEvent", bound=Callable[[SSLServerAuthenticationEvent], object]
)
_OnSSLStatusEvent = TypeVar("_OnSSLStatusEvent", bound=Callable[[SSLStatusEvent], object])
_OnSubscribedEvent = TypeVar("_OnSubscribedEvent", bound=Callable[[SubscribedEvent], object])
_OnUnsubscribedEvent = TypeVar("_OnUnsubscribedEvent", bound=Callable[[UnsubscribedEvent], object])

class _Client:
    """Properties, config() and on()/off(), shared by ferromq.mqtt and ferromq.aio.mqtt.

    Setting a property to a value it does not accept raises ferromq.MQTTError with the
    documented code; properties sent in CONNECT cannot change while connected. Writing a
    read-only property (ready_to_send, incoming_messages, outgoing_messages) raises
    AttributeError.
    """

    client_id: str
    """Identifies the client to the server; generated at connect when empty (clean session)."""
    clean_session: bool
    """Ask for a fresh session (MQTT 5: Clean Start). Default True."""
    keep_alive_interval: int
    """Seconds of idleness before a PINGREQ; 0 (default) disables keep-alive. 0..65535."""
    user: str
    password: str
    version: _Version
    """0 = MQTT 3.1.1 (default), 1 = MQTT 5.0 (others raise MQTTError 10022 at run time)."""
    remote_host: str
    remote_port: int
    """Default 1883."""
    timeout: int
    """Seconds a call may wait (default 60); 0 = return at once, outcomes come as events."""
    local_host: str
    """While connected, the connection's local address; otherwise the address to bind ("" = any)."""
    local_port: int
    """While connected, the connection's local port; otherwise the port to bind (0 = any)."""
    @property
    def connected(self) -> bool: ...
    @property
    def ready_to_send(self) -> bool:
        """True while connected and no publish waits for the send buffer (read-only)."""
    @property
    def incoming_messages(self) -> Tuple[MQTTMessage, ...]:
        """QoS 1/2 messages from the server still in their acknowledgement flow (read-only)."""
    @property
    def outgoing_messages(self) -> Tuple[MQTTMessage, ...]:
        """Our QoS 1/2 messages still in their acknowledgement flow (read-only)."""
    will_topic: str
    will_message: str
    ssl_enabled: bool
    """TLS over TCP (default False); a wss:// remote_host uses TLS regardless."""
    ssl_provider: int
    """0 automatic (default), 1 platform, 2 internal; others raise 10022."""
    ssl_cert: Certificate
    """Our certificate with its private key (273 without one); Certificate() = none."""
    ssl_accept_server_cert: Certificate
    """A server presenting exactly this certificate is accepted even if unverified."""
    @property
    def ssl_server_cert(self) -> Certificate:
        """The server's certificate from the last TLS handshake (read-only)."""
    firewall: Firewall
    """The proxy to connect through; reading gives a copy, assign a changed one back."""
    def interrupt(self) -> None:
        """End the blocking call in progress with MQTTError 301 and disconnect; returns at once."""
    def reset(self) -> None:
        """Disconnect without waiting; every property and config setting back to its default."""
    def save_session(self) -> str:
        """The client-side session (QoS 1/2 messages still in their acknowledgement flow, both
        ways) as text for restore_session(); also written to the SessionStateFile setting's
        file when set (302 if it cannot be). A plain method on both classes: it does not wait."""
    def restore_session(self, state: str) -> None:
        """Load a saved session into the next connect and set clean_session False. With
        SessionStateFile set, that file is read and `state` ignored. Bad text: 10022, nothing
        loaded; unreadable file: 302; while connected or connecting: 211. A plain method on
        both classes."""
    def ack(self, packet_id: int) -> None:
        """With config("ManualAck=true"): acknowledge incoming QoS 1/2 message `packet_id`
        (its MessageEvent.packet_id) once it is processed; acknowledgements go out in the
        order the messages arrived. A plain method on both classes: it does not wait. 211
        when no message with that id waits for it, 1117 when not connected."""
    def config(self, setting: str) -> str:
        """config("Name") reads a setting; config("Name=Value") writes it and returns ""."""
    @overload
    def on(
        self, event: Literal["Connected"], handler: Callable[[ConnectedEvent], _R]
    ) -> Callable[[ConnectedEvent], _R]: ...
    @overload
    def on(
        self, event: Literal["Connected"], handler: None = None
    ) -> Callable[[_OnConnectedEvent], _OnConnectedEvent]: ...
    @overload
    def on(
        self, event: Literal["ConnectionStatus"], handler: Callable[[ConnectionStatusEvent], _R]
    ) -> Callable[[ConnectionStatusEvent], _R]: ...
    @overload
    def on(
        self, event: Literal["ConnectionStatus"], handler: None = None
    ) -> Callable[[_OnConnectionStatusEvent], _OnConnectionStatusEvent]: ...
    @overload
    def on(
        self, event: Literal["Disconnected"], handler: Callable[[DisconnectedEvent], _R]
    ) -> Callable[[DisconnectedEvent], _R]: ...
    @overload
    def on(
        self, event: Literal["Disconnected"], handler: None = None
    ) -> Callable[[_OnDisconnectedEvent], _OnDisconnectedEvent]: ...
    @overload
    def on(self, event: Literal["Error"], handler: Callable[[ErrorEvent], _R]) -> Callable[[ErrorEvent], _R]: ...
    @overload
    def on(self, event: Literal["Error"], handler: None = None) -> Callable[[_OnErrorEvent], _OnErrorEvent]: ...
    @overload
    def on(self, event: Literal["Log"], handler: Callable[[LogEvent], _R]) -> Callable[[LogEvent], _R]: ...
    @overload
    def on(self, event: Literal["Log"], handler: None = None) -> Callable[[_OnLogEvent], _OnLogEvent]: ...
    @overload
    def on(
        self, event: Literal["MessageAck"], handler: Callable[[MessageAckEvent], _R]
    ) -> Callable[[MessageAckEvent], _R]: ...
    @overload
    def on(
        self, event: Literal["MessageAck"], handler: None = None
    ) -> Callable[[_OnMessageAckEvent], _OnMessageAckEvent]: ...
    @overload
    def on(
        self, event: Literal["MessageIn"], handler: Callable[[MessageEvent], _R]
    ) -> Callable[[MessageEvent], _R]: ...
    @overload
    def on(self, event: Literal["MessageIn"], handler: None = None) -> Callable[[_OnMessageEvent], _OnMessageEvent]: ...
    @overload
    def on(
        self, event: Literal["MessageOut"], handler: Callable[[MessageEvent], _R]
    ) -> Callable[[MessageEvent], _R]: ...
    @overload
    def on(
        self, event: Literal["MessageOut"], handler: None = None
    ) -> Callable[[_OnMessageEvent], _OnMessageEvent]: ...
    @overload
    def on(
        self, event: Literal["ReadyToSend"], handler: Callable[[ReadyToSendEvent], _R]
    ) -> Callable[[ReadyToSendEvent], _R]: ...
    @overload
    def on(
        self, event: Literal["ReadyToSend"], handler: None = None
    ) -> Callable[[_OnReadyToSendEvent], _OnReadyToSendEvent]: ...
    @overload
    def on(
        self, event: Literal["SSLServerAuthentication"], handler: Callable[[SSLServerAuthenticationEvent], _R]
    ) -> Callable[[SSLServerAuthenticationEvent], _R]: ...
    @overload
    def on(
        self, event: Literal["SSLServerAuthentication"], handler: None = None
    ) -> Callable[[_OnSSLServerAuthenticationEvent], _OnSSLServerAuthenticationEvent]: ...
    @overload
    def on(
        self, event: Literal["SSLStatus"], handler: Callable[[SSLStatusEvent], _R]
    ) -> Callable[[SSLStatusEvent], _R]: ...
    @overload
    def on(
        self, event: Literal["SSLStatus"], handler: None = None
    ) -> Callable[[_OnSSLStatusEvent], _OnSSLStatusEvent]: ...
    @overload
    def on(
        self, event: Literal["Subscribed"], handler: Callable[[SubscribedEvent], _R]
    ) -> Callable[[SubscribedEvent], _R]: ...
    @overload
    def on(
        self, event: Literal["Subscribed"], handler: None = None
    ) -> Callable[[_OnSubscribedEvent], _OnSubscribedEvent]: ...
    @overload
    def on(
        self, event: Literal["Unsubscribed"], handler: Callable[[UnsubscribedEvent], _R]
    ) -> Callable[[UnsubscribedEvent], _R]: ...
    @overload
    def on(
        self, event: Literal["Unsubscribed"], handler: None = None
    ) -> Callable[[_OnUnsubscribedEvent], _OnUnsubscribedEvent]: ...
    @overload
    def off(self, event: Literal["Connected"], handler: Optional[Callable[[ConnectedEvent], object]] = None) -> int: ...
    @overload
    def off(
        self, event: Literal["ConnectionStatus"], handler: Optional[Callable[[ConnectionStatusEvent], object]] = None
    ) -> int: ...
    @overload
    def off(
        self, event: Literal["Disconnected"], handler: Optional[Callable[[DisconnectedEvent], object]] = None
    ) -> int: ...
    @overload
    def off(self, event: Literal["Error"], handler: Optional[Callable[[ErrorEvent], object]] = None) -> int: ...
    @overload
    def off(self, event: Literal["Log"], handler: Optional[Callable[[LogEvent], object]] = None) -> int: ...
    @overload
    def off(
        self, event: Literal["MessageAck"], handler: Optional[Callable[[MessageAckEvent], object]] = None
    ) -> int: ...
    @overload
    def off(self, event: Literal["MessageIn"], handler: Optional[Callable[[MessageEvent], object]] = None) -> int: ...
    @overload
    def off(self, event: Literal["MessageOut"], handler: Optional[Callable[[MessageEvent], object]] = None) -> int: ...
    @overload
    def off(
        self, event: Literal["ReadyToSend"], handler: Optional[Callable[[ReadyToSendEvent], object]] = None
    ) -> int: ...
    @overload
    def off(
        self,
        event: Literal["SSLServerAuthentication"],
        handler: Optional[Callable[[SSLServerAuthenticationEvent], object]] = None,
    ) -> int: ...
    @overload
    def off(self, event: Literal["SSLStatus"], handler: Optional[Callable[[SSLStatusEvent], object]] = None) -> int: ...
    @overload
    def off(
        self, event: Literal["Subscribed"], handler: Optional[Callable[[SubscribedEvent], object]] = None
    ) -> int: ...
    @overload
    def off(
        self, event: Literal["Unsubscribed"], handler: Optional[Callable[[UnsubscribedEvent], object]] = None
    ) -> int: ...
    @overload
    def off(self, event: _EventName, handler: Optional[Callable[[_Event], object]] = None) -> int:
        """Remove one handler, or all of the event's; returns how many were removed."""

class mqtt(_Client):
    """The blocking MQTT client.

    Methods wait (up to ``timeout`` seconds) with the GIL released and fire event handlers
    on the calling thread while they wait; ``do_events()`` fires what arrived in between.
    A handler may call methods of the same client.

    If a handler raises, the remaining events are still delivered and the exception is
    raised from the method that fired it when that method returns (a second one in the
    same call goes to ``sys.unraisablehook``). If the method itself failed too, its
    MQTTError is raised with the handler's exception as ``__context__``.

    Ctrl-C during a wait on the main thread ends the wait within about 0.1 s: the call is
    interrupted (and disconnects, as ``interrupt()`` does) and KeyboardInterrupt is raised
    with the call's MQTTError 301 as ``__context__``. The same for whatever a signal
    handler of the program raises, and for a KeyboardInterrupt or SystemExit raised by an
    event handler. On other threads, call ``interrupt()`` to end a long wait early.
    """

    def __init__(self) -> None: ...
    @property
    def connected(self) -> bool: ...
    @connected.setter
    def connected(self, value: bool) -> None:
        """True connects (like connect()), False disconnects."""
    def connect(self) -> None:
        """Connect to remote_host:remote_port; returns at CONNACK."""
    def connect_to(self, host: str, port: int) -> None:
        """Set remote_host/remote_port and connect."""
    def disconnect(self) -> None: ...
    def subscribe(self, topic_filter: str, qos: _QoS) -> None:
        """Subscribe to filters separated by TopicDelimiter (","); returns at SUBACK."""
    def unsubscribe(self, topic_filter: str) -> None:
        """Unsubscribe from filters given as to subscribe(); returns at UNSUBACK."""
    def publish_message(self, topic: str, qos: _QoS, message: str) -> None:
        """Publish text; returns once the message is in the send buffer."""
    def publish_data(self, topic: str, qos: _QoS, data: _Payload) -> None:
        """Publish bytes/bytearray/memoryview; returns once in the send buffer."""
    @overload
    def publish(
        self,
        topic: str,
        payload: _AnyPayload,
        qos: _QoS = 0,
        retain: bool = False,
        properties: Optional[_Properties] = None,
        wait: Literal[True] = True,
    ) -> Delivered:
        """Publish one message with its own QoS, retain flag and MQTT 5.0 properties (the
        client-wide settings stay as they are); safe from many threads. Waits for the
        acknowledgement (PUBACK / PUBCOMP; written for QoS 0) and returns its Delivered;
        with wait=False returns None once accepted. 506 when the server refuses it."""
    @overload
    def publish(
        self,
        topic: str,
        payload: _AnyPayload,
        qos: _QoS = 0,
        retain: bool = False,
        properties: Optional[_Properties] = None,
        *,
        wait: Literal[False],
    ) -> None: ...
    @overload
    def publish(
        self,
        topic: str,
        payload: _AnyPayload,
        qos: _QoS = 0,
        retain: bool = False,
        properties: Optional[_Properties] = None,
        wait: bool = True,
    ) -> Optional[Delivered]: ...
    def request(
        self,
        topic: str,
        payload: _AnyPayload,
        timeout: float = 10.0,
        qos: _QoS = 0,
        retain: bool = False,
        properties: Optional[_Properties] = None,
    ) -> MessageEvent:
        """Send a request (MQTT 5.0) and return the message that answers it; 201 after
        `timeout` seconds. The properties must not set response_topic or correlation_data."""
    def respond(
        self,
        request: MessageEvent,
        payload: _AnyPayload,
        qos: _QoS = 0,
        retain: bool = False,
        properties: Optional[_Properties] = None,
    ) -> Delivered:
        """Answer a received request: publish to its ResponseTopic with its CorrelationData
        and wait for the acknowledgement. 10022 when it has no ResponseTopic."""
    def do_events(self) -> None:
        """Fire pending events; waits up to 0.1 s when none is pending."""
    def __enter__(self) -> Self: ...
    def __exit__(self, exc_type: object, exc: object, tb: object) -> bool: ...

class _AioClient(_Client):
    """The engine side of ferromq.aio.mqtt; use that class."""

    def __init__(self) -> None: ...
    def _start_push(self) -> int: ...
    def _stop_answers(self) -> None: ...
    def _pump(self, max_events: int, max_seconds: float) -> Tuple[List[BaseException], List[Awaitable[Any]], bool]: ...
    def _connect(self, fut: object) -> None: ...
    def _connect_to(self, fut: object, host: str, port: int) -> None: ...
    def _disconnect(self, fut: object) -> None: ...
    def _subscribe(self, fut: object, topic_filter: str, qos: _QoS) -> None: ...
    def _unsubscribe(self, fut: object, topic_filter: str) -> None: ...
    def _publish_message(self, fut: object, topic: str, qos: _QoS, message: str) -> None: ...
    def _publish_data(self, fut: object, topic: str, qos: _QoS, data: _Payload) -> None: ...
    def _publish(
        self,
        fut: object,
        topic: str,
        payload: _AnyPayload,
        qos: _QoS = 0,
        retain: bool = False,
        properties: Optional[_Properties] = None,
    ) -> None: ...
    def _request(
        self,
        fut: object,
        topic: str,
        payload: _AnyPayload,
        timeout: float = 10.0,
        qos: _QoS = 0,
        retain: bool = False,
        properties: Optional[_Properties] = None,
    ) -> None: ...
    def _respond(
        self,
        fut: object,
        request: MessageEvent,
        payload: _AnyPayload,
        qos: _QoS = 0,
        retain: bool = False,
        properties: Optional[_Properties] = None,
    ) -> None: ...
