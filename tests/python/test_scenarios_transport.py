"""The transport scenarios (tests/scenarios.tsv, tls_connect ... socket_settings) with the
blocking class ferromq.mqtt, against the real servers of tests/harness/transports (mosquitto
TLS listeners, websockify, aedes, tinyproxy, dante, microsocks, a SOCKS4A server), plus the
asyncio class answering SSLServerAuthentication in push mode.

The servers' addresses come from the FERROMQ_* variables tests/harness/with-brokers exports.
"""

from __future__ import annotations

import asyncio
import os
import pathlib
import time
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

import pytest

import ferromq
import ferromq.aio
from conftest import Recorder, SilentListener, free_port, pump_until, record, unique

TLS_CERT_VERIFY = 280
TLS_HANDSHAKE = 276
TLS_STORE = 271
TLS_CERT_NOT_FOUND = 272
TLS_CREDENTIALS = 273
FIREWALL = 118
INVALID_ARGUMENT = 10022
HOST_NOT_FOUND = 11001
TIMEOUT = 201

Client = Tuple[ferromq.mqtt, Recorder]


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run with tests/harness/with-brokers (it starts tests/harness/transports)")
    return value


def port(name: str) -> int:
    return int(env(name))


def text(name: str) -> str:
    return pathlib.Path(env(name)).read_text()


@pytest.fixture
def new_client(make_client: Callable[[], ferromq.mqtt]) -> Callable[[], Client]:
    """A blocking client (timeout 10 s) that records every event it fires."""

    def make() -> Client:
        m = make_client()
        return m, record(m)

    return make


@pytest.fixture
def tls_client(new_client: Callable[[], Client]) -> Callable[[], Client]:
    """A client with TLS on that trusts the harness's test CA."""

    def make() -> Client:
        m, rec = new_client()
        m.ssl_enabled = True
        m.config(f"SSLServerCACerts={text('FERROMQ_CA_CERT')}")
        return m, rec

    return make


def messages_in(rec: Recorder, topic: str) -> List[ferromq.MessageEvent]:
    return [e for e in rec.named("MessageIn") if e.topic == topic]


def roundtrip(c: Client, payload: bytes) -> None:
    """Subscribe, publish at QoS 1 to our own subscription and see it come back whole."""
    m, rec = c
    topic = unique("transport")
    m.subscribe(topic, 1)
    m.publish_data(topic, 1, payload)
    pump_until(m, lambda: len(messages_in(rec, topic)) >= 1)
    got = messages_in(rec, topic)
    assert len(got) == 1, "the message came back once"
    assert got[0].message_b == payload


def refused(m: ferromq.mqtt, host: str, port_: int, code: int, words: Sequence[str] = ()) -> ferromq.MQTTError:
    with pytest.raises(ferromq.MQTTError) as err:
        m.connect_to(host, port_)
    assert err.value.code == code, str(err.value)
    for w in words:
        assert w in err.value.message, (w, str(err.value))
    assert not m.connected
    return err.value


def statuses(rec: Recorder) -> List[str]:
    return [e.connection_event for e in rec.named("ConnectionStatus")]


# ---- TLS ----


def scenario_tls_connect(tls_client: Callable[[], Client]) -> None:
    for version in (0, 1):
        m, rec = tls_client()
        m.version = version
        assert m.ssl_server_cert.is_empty()
        m.connect_to("localhost", port("FERROMQ_TLS_PORT"))
        auth = rec.named("SSLServerAuthentication")
        assert len(auth) == 1, "one SSLServerAuthentication"
        assert auth[0].status == "OK"
        assert auth[0].accept is True
        assert "localhost" in auth[0].cert_subject, repr(auth[0])
        assert rec.named("SSLStatus"), "SSLStatus fires during the handshake"
        assert statuses(rec) == ["SSL handshake complete", "Remote host connection complete"]
        cert = m.ssl_server_cert
        assert isinstance(cert, ferromq.Certificate)
        assert not cert.is_empty()
        assert cert.subject == auth[0].cert_subject
        assert cert.encoded_b == auth[0].cert_encoded_b
        assert cert.encoded == auth[0].cert_encoded
        assert len(cert.fingerprint_sha256) == 32 * 3 - 1
        assert "127.0.0.1" in cert.subject_alt_names
        assert cert.private_key_available is False
        assert m.config("SSLNegotiatedVersion") == "TLS1.3"
        assert m.config("SSLNegotiatedCipherSuite") != ""
        assert m.config("SSLNegotiatedKeyExchange") == "ECDHE"
        roundtrip((m, rec), b"over TLS")
        m.disconnect()
        # An IP address is checked against the certificate's IP names.
        m.connect_to("127.0.0.1", port("FERROMQ_TLS_PORT"))
        m.disconnect()


def scenario_tls_refusals(tls_client: Callable[[], Client], new_client: Callable[[], Client]) -> None:
    m, _ = tls_client()
    for _ in range(2):
        # Twice: a second attempt verifies again.
        refused(m, "localhost", port("FERROMQ_TLS_UNTRUSTED_PORT"), TLS_CERT_VERIFY, ["not signed by a trusted"])
    refused(m, "localhost", port("FERROMQ_TLS_WRONG_HOST_PORT"), TLS_CERT_VERIFY, ["not valid for the host name"])
    refused(m, "localhost", port("FERROMQ_TLS_EXPIRED_PORT"), TLS_CERT_VERIFY, ["expired"])
    refused(m, "127.0.0.1", port("FERROMQ_PLAIN_PORT"), TLS_HANDSHAKE)
    for mask, what in ((0x0C00, "TLS 1.2"), (0x3000, "TLS 1.3")):
        m.config(f"SSLEnabledProtocols={mask}")
        e = refused(m, "localhost", port("FERROMQ_TLS_CLIENT_CERT_PORT"), TLS_HANDSHAKE)
        assert "requires a client certificate" in e.message, (what, str(e))
    plain, _ = new_client()
    refused(plain, "127.0.0.1", port("FERROMQ_TLS_PORT"), 10054, ["enable SSL"])


def scenario_tls_accept_server_cert(tls_client: Callable[[], Client], make_client: Callable[[], ferromq.mqtt]) -> None:
    # Exactly the untrusted server's certificate, taken from a first refused attempt.
    m, rec = tls_client()
    refused(m, "localhost", port("FERROMQ_TLS_UNTRUSTED_PORT"), TLS_CERT_VERIFY)
    seen = rec.named("SSLServerAuthentication")
    assert len(seen) == 1
    assert seen[0].accept is False, "a failed certificate is not accepted by default"
    assert "not signed by a trusted" in seen[0].status, seen[0].status
    pinned = ferromq.Certificate.from_encoded(seen[0].cert_encoded_b)
    # The base64 text gives the same certificate as the DER bytes.
    assert ferromq.Certificate.from_encoded(seen[0].cert_encoded) == pinned
    m.ssl_accept_server_cert = pinned
    assert m.ssl_accept_server_cert == pinned
    m.connect_to("localhost", port("FERROMQ_TLS_UNTRUSTED_PORT"))
    assert m.ssl_server_cert.encoded_b == pinned.encoded_b
    m.disconnect()
    # A different pinned certificate does not open the door.
    m.ssl_accept_server_cert = ferromq.Certificate.from_file(env("FERROMQ_CA_CERT"))
    refused(m, "localhost", port("FERROMQ_TLS_UNTRUSTED_PORT"), TLS_CERT_VERIFY)

    # SSLAcceptAnyServerCert leaves the decision to the handler.
    h = make_client()
    h.ssl_enabled = True
    h.config("SSLAcceptAnyServerCert=True")
    refuse = [True]
    proposed: List[bool] = []

    @h.on("SSLServerAuthentication")
    def decide(e: ferromq.SSLServerAuthenticationEvent) -> None:
        proposed.append(e.accept)
        e.accept = not refuse[0]

    refused(h, "localhost", port("FERROMQ_TLS_UNTRUSTED_PORT"), TLS_CERT_VERIFY)
    assert proposed == [True], "allowed by SSLAcceptAnyServerCert, refused by the handler"
    refuse[0] = False
    h.connect_to("localhost", port("FERROMQ_TLS_UNTRUSTED_PORT"))
    assert h.connected
    h.disconnect()


def test_handler_cannot_accept_what_was_not_allowed(tls_client: Callable[[], Client]) -> None:
    """accept = True from a handler does not take an unverified server by itself."""
    m, _ = tls_client()
    m.on("SSLServerAuthentication", lambda e: setattr(e, "accept", True))
    refused(m, "localhost", port("FERROMQ_TLS_UNTRUSTED_PORT"), TLS_CERT_VERIFY, ["not signed by a trusted"])


def _client_certificates() -> List[Tuple[str, ferromq.Certificate]]:
    pw = env("FERROMQ_CLIENT_P12_PASSWORD")
    p12 = pathlib.Path(env("FERROMQ_CLIENT_P12")).read_bytes()
    return [
        ("PKCS#12 file", ferromq.Certificate.from_store(2, env("FERROMQ_CLIENT_P12"), pw, "*")),
        ("PKCS#12 file as a Path", ferromq.Certificate.from_store(2, pathlib.Path(env("FERROMQ_CLIENT_P12")), pw)),
        ("PKCS#12 blob", ferromq.Certificate.from_store(3, p12, pw, "")),
        ("PEM file", ferromq.Certificate.from_store(6, env("FERROMQ_CLIENT_PEM"), "", "")),
        (
            "PEM key blob with its certificate",
            ferromq.Certificate.from_store_encoded(
                7,
                pathlib.Path(env("FERROMQ_CLIENT_KEY")).read_bytes(),
                "",
                pathlib.Path(env("FERROMQ_CLIENT_CERT")).read_bytes(),
            ),
        ),
    ]


def scenario_tls_client_cert(tls_client: Callable[[], Client], make_client: Callable[[], ferromq.mqtt]) -> None:
    for what, cert in _client_certificates():
        assert cert.private_key_available, what
        assert cert.subject, what
        assert cert.thumbprint_sha1, what
        assert cert.private_key == "", "the key never leaves the engine"
        for mask in (0x0C00, 0x3000):
            m, rec = tls_client()
            m.ssl_cert = cert
            assert m.ssl_cert == cert
            m.config(f"SSLEnabledProtocols={mask}")
            try:
                m.connect_to("localhost", port("FERROMQ_TLS_CLIENT_CERT_PORT"))
            except ferromq.MQTTError as e:
                pytest.fail(f"{what}, protocols {mask:#x}: {e}")
            roundtrip((m, rec), what.encode())
            m.disconnect()
    # Bad stores are refused where the certificate is named.
    pw = env("FERROMQ_CLIENT_P12_PASSWORD")
    p12 = pathlib.Path(env("FERROMQ_CLIENT_P12")).read_bytes()
    for args, code in (
        ((3, p12, "wrong password", ""), TLS_STORE),
        ((1, "MY", "", ""), TLS_STORE),
        ((3, p12, pw, "CN=nobody-has-this"), TLS_CERT_NOT_FOUND),
    ):
        with pytest.raises(ferromq.MQTTError) as err:
            ferromq.Certificate.from_store(*args)
        assert err.value.code == code, (args[0], args[2:], str(err.value))
    # A certificate without its key cannot authenticate, and nothing changes.
    m = make_client()
    with pytest.raises(ferromq.MQTTError) as err:
        m.ssl_cert = ferromq.Certificate.from_file(env("FERROMQ_CLIENT_CERT"))
    assert err.value.code == TLS_CREDENTIALS, str(err.value)
    assert m.ssl_cert.is_empty()


def scenario_tls_settings_checked(
    tls_client: Callable[[], Client], new_client: Callable[[], Client], tmp_path: Path
) -> None:
    m = ferromq.mqtt()
    for setting, words in (
        ("SSLEnabledProtocols=192", ["SSLEnabledProtocols", "192"]),
        ("SSLEnabledProtocols=768", ["768"]),
        ("SSLEnabledCipherSuites=TLS_BOGUS_SUITE", ["TLS_BOGUS_SUITE"]),
        ("TLS12SupportedGroups=ecdhe_bogus", ["ecdhe_bogus"]),
    ):
        with pytest.raises(ferromq.MQTTError) as err:
            m.config(setting)
        assert err.value.code == INVALID_ARGUMENT, (setting, str(err.value))
        for w in words:
            assert w in err.value.message, (setting, str(err.value))
    with pytest.raises(ferromq.MQTTError) as err:
        m.ssl_provider = 3
    assert err.value.code == INVALID_ARGUMENT
    assert m.ssl_provider == 0, "a refused value changes nothing"
    # Accepted, without effect: another TLS stack's settings.
    for s in (
        "OpenSSLCipherList=HIGH:!aNULL",
        "SSLSecurityFlags=128",
        "ReuseSSLSession=True",
        "SSLCipherStrength=256",
    ):
        assert m.config(s) == ""
    m.ssl_provider = 1
    assert m.ssl_provider == 1

    # A chosen suite is negotiated, TLS 1.2 when asked, and the key log is written.
    keylog = tmp_path / "keylog"
    c, _ = tls_client()
    c.config("SSLEnabledCipherSuites=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384")
    c.config("SSLEnabledProtocols=3072")
    c.config(f"SSLKeyLogFile={keylog}")
    c.connect_to("localhost", port("FERROMQ_TLS_PORT"))
    assert c.config("SSLNegotiatedVersion") == "TLS1.2"
    assert c.config("SSLNegotiatedCipherSuite") == "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
    assert c.config("SSLNegotiatedCipherStrength") == "256"
    c.disconnect()
    log = keylog.read_text()
    assert "CLIENT_RANDOM" in log, log
    # The trust file of the OpenSSL settings works as SSLServerCACerts does.
    o, _ = new_client()
    o.ssl_enabled = True
    o.config(f"OpenSSLCAFile={env('FERROMQ_CA_CERT')}")
    o.connect_to("localhost", port("FERROMQ_TLS_PORT"))
    o.disconnect()


# ---- WebSockets ----


def scenario_websocket_connect(tls_client: Callable[[], Client], new_client: Callable[[], Client]) -> None:
    big = bytes(i % 251 for i in range(300_000))
    for version in (0, 1):
        for url in (
            f"ws://127.0.0.1:{port('FERROMQ_WS_PORT')}/mqtt",
            f"wss://localhost:{port('FERROMQ_WSS_PORT')}/mqtt",
        ):
            m, rec = tls_client()
            # wss:// needs no ssl_enabled; ws:// ignores the TLS settings.
            m.ssl_enabled = False
            m.version = version
            m.remote_host = url
            try:
                m.connect()
            except ferromq.MQTTError as e:
                pytest.fail(f"{url}: {e}")
            assert "Remote host connection complete" in statuses(rec), url
            roundtrip((m, rec), b"small")
            # Far larger than one of websockify's frames: split across frames.
            roundtrip((m, rec), big)
            # A burst: several packets per frame.
            topic = unique("ws-burst")
            m.subscribe(topic, 0)
            for i in range(200):
                m.publish_message(topic, 0, str(i))
            pump_until(m, lambda: len(messages_in(rec, topic)) >= 200)  # noqa: B023 - called at once, in this iteration
            assert [e.message for e in messages_in(rec, topic)] == [str(i) for i in range(200)], url
            m.disconnect()
    # A second broker implementation behind ws://.
    a, rec = new_client()
    a.remote_host = f"ws://127.0.0.1:{port('FERROMQ_AEDES_WS_PORT')}"
    a.connect()
    roundtrip((a, rec), b"aedes")
    a.disconnect()
    with pytest.raises(ferromq.MQTTError) as err:
        ferromq.mqtt().connect_to("http://127.0.0.1/", 80)
    assert err.value.code == INVALID_ARGUMENT, str(err.value)


# ---- proxies ----


def with_proxy(m: ferromq.mqtt, fw_type: int, port_var: str, auth: bool) -> ferromq.Firewall:
    fw = ferromq.Firewall()
    fw.firewall_type = fw_type
    fw.host = "127.0.0.1"
    fw.port = port(port_var)
    if auth:
        fw.user = env("FERROMQ_PROXY_USER")
        fw.password = env("FERROMQ_PROXY_PASSWORD")
    m.firewall = fw
    assert m.firewall == fw
    assert m.config("FirewallType") == str(fw_type)
    return fw


def scenario_proxy_connect(tls_client: Callable[[], Client], new_client: Callable[[], Client]) -> None:
    through = [
        (1, "FERROMQ_PROXY_HTTP_PORT", False),
        (1, "FERROMQ_PROXY_HTTP_AUTH_PORT", True),
        (2, "FERROMQ_PROXY_SOCKS_PORT", False),
        (3, "FERROMQ_PROXY_SOCKS_PORT", False),
        (3, "FERROMQ_PROXY_SOCKS5_AUTH_PORT", True),
        (10, "FERROMQ_PROXY_SOCKS4A_PORT", False),
    ]
    for fw_type, proxy, auth in through:
        for what, host, port_var, tls in (
            ("plain", "127.0.0.1", "FERROMQ_PLAIN_PORT", False),
            ("TLS", "localhost", "FERROMQ_TLS_PORT", True),
            ("wss", "", "FERROMQ_WSS_PORT", False),
        ):
            m, rec = tls_client()
            m.ssl_enabled = tls
            with_proxy(m, fw_type, proxy, auth)
            try:
                if host:
                    m.connect_to(host, port(port_var))
                else:
                    m.remote_host = f"wss://localhost:{port(port_var)}/"
                    m.connect()
            except ferromq.MQTTError as e:
                pytest.fail(f"{what} through type {fw_type} at {proxy}: {e}")
            assert "Firewall connection complete" in statuses(rec), f"{what} through {proxy}"
            roundtrip((m, rec), what.encode())
            m.disconnect()
    # "*" before the host: the SOCKS4A proxy resolves the name.
    m, _ = new_client()
    with_proxy(m, 10, "FERROMQ_PROXY_SOCKS4A_PORT", False)
    m.connect_to("*localhost", port("FERROMQ_PLAIN_PORT"))
    m.disconnect()
    log_file = pathlib.Path(env("FERROMQ_PROXY_SOCKS4A_LOG"))
    log = log_file.read_text() if log_file.exists() else ""
    assert f"v4 localhost {port('FERROMQ_PLAIN_PORT')}" in log, log
    # A host on the exceptions list is reached directly, even with a dead proxy.
    m, rec = new_client()
    with_proxy(m, 1, "FERROMQ_CLOSED_PORT", False)
    m.config("ProxyExceptionsList=example.com;127.0.0.1")
    m.connect_to("127.0.0.1", port("FERROMQ_PLAIN_PORT"))
    assert "Firewall connection complete" not in statuses(rec)
    m.disconnect()


def scenario_proxy_refusals(new_client: Callable[[], Client]) -> None:
    plain = port("FERROMQ_PLAIN_PORT")
    m, _ = new_client()
    with_proxy(m, 1, "FERROMQ_PROXY_HTTP_AUTH_PORT", False)
    refused(m, "127.0.0.1", plain, FIREWALL, ["407"])
    with_proxy(m, 1, "FERROMQ_PROXY_HTTP_AUTH_PORT", True)
    m.config("FirewallPassword=wrong")
    assert m.firewall.password == "wrong", "the property and the settings are one value"
    refused(m, "127.0.0.1", plain, FIREWALL, ["401"])
    with_proxy(m, 3, "FERROMQ_PROXY_SOCKS5_AUTH_PORT", True)
    m.config("FirewallPassword=wrong")
    refused(m, "127.0.0.1", plain, FIREWALL, ["SOCKS5"])
    with_proxy(m, 3, "FERROMQ_CLOSED_PORT", False)
    refused(m, "127.0.0.1", plain, FIREWALL, ["cannot reach"])
    with_proxy(m, 2, "FERROMQ_PROXY_SOCKS_PORT", False)
    refused(m, "127.0.0.1", port("FERROMQ_CLOSED_PORT"), FIREWALL, ["reply 91"])
    with pytest.raises(ferromq.MQTTError) as err:
        m.config("FirewallType=4")
    assert err.value.code == INVALID_ARGUMENT
    before = m.firewall
    for fw_type, fw_port, word in ((1, 70_000, "70000"), (4, 8080, "4")):
        with pytest.raises(ferromq.MQTTError) as err:
            m.firewall = ferromq.Firewall(firewall_type=fw_type, host="127.0.0.1", port=fw_port)
        assert err.value.code == INVALID_ARGUMENT
        assert word in err.value.message, str(err.value)
        assert m.firewall == before, "a refused Firewall changes nothing"
    with pytest.raises(TypeError):
        m.firewall = {"firewall_type": 1}  # type: ignore[assignment]  # on purpose: the runtime must refuse it


# ---- socket settings ----


def scenario_socket_settings(new_client: Callable[[], Client]) -> None:
    plain = port("FERROMQ_PLAIN_PORT")
    # local_host/local_port: bound as asked, and read back while connected.
    m, rec = new_client()
    local = free_port()
    m.local_host = "127.0.0.1"
    m.local_port = local
    for s in (
        "TCPKeepAlive=True",
        "KeepAliveTime=30000",
        "KeepAliveInterval=5000",
        "Linger=False",
        "InBufferSize=65536",
        "OutBufferSize=65536",
        "TcpNoDelay=False",
    ):
        m.config(s)
    m.connect_to("127.0.0.1", plain)
    assert m.local_port == local
    assert m.config("LocalPort") == str(local)
    assert m.local_host == "127.0.0.1"
    for setting, code in (("LocalPort=0", 106), ("LocalHost=", 107), ("MaxLineLength=4096", 112)):
        with pytest.raises(ferromq.MQTTError) as err:
            m.config(setting)
        assert err.value.code == code, setting
    roundtrip((m, rec), b"socket options")
    m.disconnect()
    assert m.local_port == local, "the setting again once closed"

    # UseIPv6 against the [::1] listener.
    v6 = port("FERROMQ_V6_PORT")
    m, _ = new_client()
    m.config("UseIPv6=1")
    m.connect_to("::1", v6)
    assert m.local_host == "::1"
    m.disconnect()
    # IPv6 first, IPv4 after: both listeners are reachable by their address.
    m.config("UseIPv6=2")
    m.connect_to("::1", v6)
    m.disconnect()
    m.connect_to("127.0.0.1", plain)
    assert m.local_host == "127.0.0.1"
    m.disconnect()
    # IPv6 only cannot reach an IPv4 address, IPv4 only an IPv6 one.
    m.config("UseIPv6=1")
    refused(m, "127.0.0.1", plain, HOST_NOT_FOUND)
    m.config("UseIPv6=0")
    refused(m, "::1", v6, HOST_NOT_FOUND, ["UseIPv6"])
    with pytest.raises(ferromq.MQTTError) as err:
        m.config("UseIPv6=3")
    assert err.value.code == INVALID_ARGUMENT

    # MaxTransferRate: 64 KiB at 32 KiB/s cannot take much less than 2 s.
    c = new_client()
    c[0].config("MaxTransferRate=32768")
    c[0].connect_to("127.0.0.1", plain)
    started = time.monotonic()
    roundtrip(c, bytes([7]) * (64 * 1024))
    took = time.monotonic() - started
    assert took >= 1.5, took
    c[0].disconnect()

    # ConnectionTimeout bounds a connection that is never answered (the TCP handshake
    # completes, no CONNACK ever comes), well before the 10 s timeout.
    silent = SilentListener()
    try:
        q, _ = new_client()
        q.config("ConnectionTimeout=1")
        started = time.monotonic()
        refused(q, "127.0.0.1", silent.port, TIMEOUT)
        assert time.monotonic() - started < 5
        q.config("MaxLineLength=4096")
        assert q.config("MaxLineLength") == "4096"
    finally:
        silent.close()


# ---- the value types ----


def test_certificate_and_firewall_values() -> None:
    empty = ferromq.Certificate()
    assert empty.is_empty()
    assert (empty.store, empty.store_b, empty.store_type, empty.subject, empty.encoded_b) == ("MY", b"MY", 0, "", b"")
    assert empty == ferromq.Certificate() and hash(empty) == hash(ferromq.Certificate())
    assert empty != "MY"
    m = ferromq.mqtt()
    for name in ("ssl_cert", "ssl_accept_server_cert", "ssl_server_cert"):
        assert getattr(m, name).is_empty(), name
    assert (m.ssl_enabled, m.ssl_provider) == (False, 0)
    with pytest.raises(AttributeError, match="read-only"):
        m.ssl_server_cert = empty  # type: ignore[misc]  # on purpose: the runtime must refuse it
    with pytest.raises(TypeError, match="Certificate"):
        m.ssl_accept_server_cert = b"not a certificate"  # type: ignore[assignment]  # on purpose: the runtime must refuse it
    with pytest.raises(ferromq.MQTTError) as err:
        ferromq.Certificate.from_encoded(b"not a certificate")
    assert err.value.code == TLS_CERT_NOT_FOUND
    with pytest.raises(ferromq.MQTTError) as err:
        ferromq.Certificate.from_file("/nonexistent/ferromq.pem")
    assert err.value.code == TLS_STORE

    fw = m.firewall
    assert fw == ferromq.Firewall()
    assert (fw.auto_detect, fw.firewall_type, fw.host, fw.password, fw.port, fw.user) == (False, 0, "", "", 0, "")
    fw.firewall_type = 3
    fw.host = "proxy.example"
    assert m.firewall.firewall_type == 0, "a copy: nothing changes until it is assigned"
    m.firewall = fw
    # Port 0 takes the type's usual port.
    assert m.firewall == ferromq.Firewall(3, "proxy.example", 1080)
    assert (m.config("FirewallHost"), m.config("FirewallPort")) == ("proxy.example", "1080")
    m.config("FirewallUser=u")
    assert m.firewall.user == "u"
    with pytest.raises(TypeError):
        hash(fw)
    assert "secret" not in repr(ferromq.Firewall(password="secret"))
    m.reset()
    assert m.firewall == ferromq.Firewall()


# ---- asyncio: push mode ----


async def test_aio_tls_connect() -> None:
    async with ferromq.aio.mqtt() as m:
        m.timeout = 10
        m.ssl_enabled = True
        m.config(f"SSLServerCACerts={text('FERROMQ_CA_CERT')}")
        rec = record(m)
        await m.connect_to("localhost", port("FERROMQ_TLS_PORT"))
        assert m.connected
        auth = rec.named("SSLServerAuthentication")
        assert len(auth) == 1 and auth[0].status == "OK" and auth[0].accept is True
        assert statuses(rec) == ["SSL handshake complete", "Remote host connection complete"]
        assert m.ssl_server_cert.subject == auth[0].cert_subject
        assert m.config("SSLNegotiatedVersion") == "TLS1.3"
        topic = unique("aio-tls")
        await m.subscribe(topic, 1)
        await m.publish_data(topic, 1, b"over TLS from asyncio")
        deadline = time.monotonic() + 10
        while not messages_in(rec, topic) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert [e.message_b for e in messages_in(rec, topic)] == [b"over TLS from asyncio"]
        await m.disconnect()


@pytest.mark.parametrize(
    "accept_any, handler, connects",
    [
        (True, "refuse", False),  # the handler's refusal is the answer
        (True, "accept", True),
        (True, None, True),  # nobody listens: the engine's own verdict is the answer
        (True, "raise", True),  # a handler that raises leaves accept as it was
        (False, "accept", False),  # a handler cannot take what was not allowed
    ],
    ids=["any-refused", "any-accepted", "any-no-handler", "any-raises", "strict-accept"],
)
async def test_aio_answers_server_authentication(accept_any: bool, handler: Optional[str], connects: bool) -> None:
    """Push mode: the handler runs on the loop and its accept is the handshake's answer."""
    loop = asyncio.get_running_loop()
    raised: List[Optional[BaseException]] = []
    loop.set_exception_handler(lambda _l, ctx: raised.append(ctx.get("exception")))
    m = ferromq.aio.mqtt()
    try:
        m.timeout = 10
        m.ssl_enabled = True
        if accept_any:
            m.config("SSLAcceptAnyServerCert=True")
        proposed: List[bool] = []

        def decide(e: ferromq.SSLServerAuthenticationEvent) -> None:
            proposed.append(e.accept)
            if handler == "raise":
                raise RuntimeError("handler failed")
            e.accept = handler == "accept"

        if handler is not None:
            m.on("SSLServerAuthentication", decide)
        started = time.monotonic()
        if connects:
            await m.connect_to("localhost", port("FERROMQ_TLS_UNTRUSTED_PORT"))
            assert m.connected
            await m.disconnect()
        else:
            with pytest.raises(ferromq.MQTTError) as err:
                await m.connect_to("localhost", port("FERROMQ_TLS_UNTRUSTED_PORT"))
            assert err.value.code == TLS_CERT_VERIFY, str(err.value)
            assert not m.connected
        # Answered at once, not at the end of the timeout.
        assert time.monotonic() - started < 5
        if handler is not None:
            assert proposed == [accept_any], "the engine's verdict before the handler"
        assert [type(e) for e in raised] == ([RuntimeError] if handler == "raise" else [])
    finally:
        m.close()
        loop.set_exception_handler(None)
