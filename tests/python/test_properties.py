"""Properties, config() and error codes of ferromq.mqtt that need no broker (or just one)."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Callable, List

import pytest

import ferromq


def test_property_defaults() -> None:
    m = ferromq.mqtt()
    assert m.client_id == ""
    assert m.clean_session is True
    assert m.keep_alive_interval == 0
    assert m.user == ""
    assert m.password == ""
    assert m.version == 0
    assert m.remote_host == ""
    assert m.remote_port == 1883
    assert m.timeout == 60
    assert m.connected is False
    assert m.will_topic == ""
    assert m.will_message == ""


def test_properties_round_trip() -> None:
    m = ferromq.mqtt()
    m.client_id = "py-client"
    m.clean_session = False
    m.keep_alive_interval = 65535
    m.user = "u"
    m.password = "p"
    m.version = 1
    m.remote_host = "localhost"
    m.remote_port = 8883
    m.timeout = 0
    m.will_topic = "wills/py"
    m.will_message = "gone"
    assert (m.client_id, m.clean_session, m.keep_alive_interval) == ("py-client", False, 65535)
    assert (m.user, m.password, m.version) == ("u", "p", 1)
    assert (m.remote_host, m.remote_port, m.timeout) == ("localhost", 8883, 0)
    assert (m.will_topic, m.will_message) == ("wills/py", "gone")


@pytest.mark.parametrize(
    "name, value, code",
    [
        ("keep_alive_interval", -1, 10022),
        ("keep_alive_interval", 65536, 10022),
        ("keep_alive_interval", 2**40, 10022),
        ("version", 2, 10022),
        ("version", -1, 10022),
        ("remote_port", 0, 116),
        ("remote_port", 65536, 10022),
        ("remote_port", -5, 10022),
        ("timeout", -1, 10022),
        ("will_topic", "wills/+", 502),
        ("will_topic", "wills/#", 502),
    ],
)
def test_property_checks(name: str, value: object, code: int) -> None:
    m = ferromq.mqtt()
    before = getattr(m, name)
    with pytest.raises(ferromq.MQTTError) as err:
        setattr(m, name, value)
    assert err.value.code == code
    assert err.value.message
    assert getattr(m, name) == before, "a refused value leaves the property as it was"


@pytest.mark.parametrize(
    "name, value",
    [("clean_session", "yes"), ("keep_alive_interval", "10"), ("client_id", 5), ("remote_port", 1.5)],
)
def test_property_types(name: str, value: object) -> None:
    with pytest.raises(TypeError):
        setattr(ferromq.mqtt(), name, value)


def test_properties_cannot_be_deleted() -> None:
    with pytest.raises((AttributeError, TypeError)):
        del ferromq.mqtt().client_id


def test_connected_is_read_only_on_the_base_of_aio() -> None:
    a = ferromq.aio.mqtt()
    with pytest.raises(AttributeError):
        a.connected = True  # type: ignore[misc]  # on purpose: the runtime must refuse it


# ---- config ----


def test_config_defaults_and_writes() -> None:
    m = ferromq.mqtt()
    assert m.config("TopicDelimiter") == ","
    assert m.config("Retain") == "False"
    assert m.config("Retain=true") == ""
    assert m.config("Retain") == "True"
    assert m.config("retain") == "True", "setting names ignore case"
    assert m.config("TopicQOSArray=1,2,0") == ""
    assert m.config("TopicQOSArray") == "1,2,0"
    assert m.config("WillQOS=2") == ""
    assert m.config("WillQOS") == "2"


@pytest.mark.parametrize(
    "setting, code",
    [
        ("NoSuchSetting", 10022),
        ("NoSuchSetting=1", 10022),
        ("Retain=maybe", 10022),
        ("LogLevel=9", 10022),
        ("WillQOS=3", 505),
        ("TopicQOSArray=0,3", 505),
        ("TopicDelimiter=", 10022),
        ("SessionPresent=true", 10022),
    ],
)
def test_config_errors(setting: str, code: int) -> None:
    with pytest.raises(ferromq.MQTTError) as err:
        ferromq.mqtt().config(setting)
    assert err.value.code == code


def test_every_registered_setting_answers() -> None:
    names = ferromq.CONFIG_SETTINGS
    assert {"TopicDelimiter", "TopicQOSArray", "Retain", "LogLevel", "WillQOS"} <= set(names)
    m = ferromq.mqtt()
    for name in names:
        value = m.config(name)
        assert isinstance(value, str)
        # Writing back what was read is accepted (read-only settings refuse any write).
        try:
            assert m.config(f"{name}={value}") == ""
        except ferromq.MQTTError as e:
            assert e.code == 10022 and "read-only" in e.message, (name, e)
        assert m.config(name) == value


# ---- errors ----


def test_mqtt_error_shape() -> None:
    e = ferromq.MQTTError(502, "bad topic")
    assert isinstance(e, Exception)
    assert (e.code, e.message) == (502, "bad topic")
    assert str(e) == "[502] bad topic"
    assert "502" in repr(e)
    again = pickle.loads(pickle.dumps(e))
    assert (again.code, again.message) == (502, "bad topic")


def test_methods_need_a_connection() -> None:
    m = ferromq.mqtt()
    calls: List[Callable[[], None]] = [
        lambda: m.subscribe("a/b", 0),
        lambda: m.unsubscribe("a/b"),
        lambda: m.publish_message("a/b", 0, "x"),
        lambda: m.publish_data("a/b", 0, b"x"),
    ]
    for call in calls:
        with pytest.raises(ferromq.MQTTError) as err:
            call()
        assert err.value.code == 1117


def test_disconnect_when_idle_is_harmless() -> None:
    m = ferromq.mqtt()
    m.disconnect()
    m.do_events()
    assert m.connected is False


def test_connect_without_host() -> None:
    with pytest.raises(ferromq.MQTTError) as err:
        ferromq.mqtt().connect()
    assert err.value.code == 102


def test_empty_client_id_needs_clean_session() -> None:
    m = ferromq.mqtt()
    m.clean_session = False
    m.remote_host = "127.0.0.1"
    with pytest.raises(ferromq.MQTTError) as err:
        m.connect()
    assert err.value.code == 10022


def test_bad_arguments_are_refused_before_sending() -> None:
    m = ferromq.mqtt()
    with pytest.raises(ferromq.MQTTError) as err:
        m.publish_message("a/b", 2**40, "x")  # type: ignore[arg-type]  # the run-time check
    assert err.value.code == 505
    with pytest.raises(ferromq.MQTTError) as err:
        m.connect_to("127.0.0.1", 0)
    assert err.value.code == 116
    with pytest.raises(TypeError, match="publish_message"):
        m.publish_data("a/b", 0, "text")  # type: ignore[arg-type]  # on purpose: the runtime must refuse it
    with pytest.raises(TypeError):
        m.publish_data("a/b", 0, [1, 2, 3])  # type: ignore[arg-type]  # on purpose: the runtime must refuse it


# ---- on() / off() ----


def test_on_validates_its_arguments() -> None:
    m = ferromq.mqtt()
    with pytest.raises(ValueError, match="MessageIn"):
        m.on("MessageInn", print)  # type: ignore[call-overload]  # on purpose: an unknown name
    with pytest.raises(TypeError):
        m.on("MessageIn", 42)  # type: ignore[call-overload]  # on purpose: not callable
    with pytest.raises(TypeError):
        m.on("MessageIn")(42)  # type: ignore[type-var]  # on purpose: not callable


def test_on_returns_the_handler_and_works_as_a_decorator() -> None:
    m = ferromq.mqtt()

    def plain(e: ferromq.MessageEvent) -> None:
        pass

    assert m.on("MessageIn", plain) is plain

    @m.on("Subscribed")
    def decorated(e: ferromq.SubscribedEvent) -> None:
        pass

    assert callable(decorated) and decorated.__name__ == "decorated"
    assert m.off("MessageIn", plain) == 1
    assert m.off("MessageIn", plain) == 0
    assert m.off("subscribed") == 1, "event names ignore case"  # type: ignore[call-overload]  # the stub asks for the exact case


def test_event_names_are_the_documented_ones() -> None:
    assert ferromq.EVENT_NAMES == [
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
    m = ferromq.mqtt()
    for name in ferromq.EVENT_NAMES:
        m.on(name, print)


def test_client_with_a_self_referencing_handler_is_collected() -> None:
    import gc
    import weakref

    m = ferromq.mqtt()
    m.on("MessageIn", lambda e: m.publish_message("x", 0, "y"))  # noqa: F821 - a handler that holds its client (a cycle); del m leaves only the cycle
    ref = weakref.ref(m)
    del m
    gc.collect()
    assert ref() is None


def test_stub_files_ship_with_the_package() -> None:
    pkg = Path(ferromq.__file__).parent
    for name in ("_native.pyi", "aio.pyi", "py.typed"):
        assert (pkg / name).exists(), name
