"""The scenario connect_setter_race (tests/scenarios.tsv): a connect-time setter racing
connect() on another thread is either refused with 211 or carried by the connection (the
client id the CONNECT used, read from the Log event that announces it)."""

from __future__ import annotations

import os
import re
import threading
import time
from typing import List, Optional

import pytest

import ferromq
from conftest import Broker

SENT = re.compile(r'^sending CONNECT .*client id "([^"]*)"')


def _round(broker: Broker, i: int) -> tuple[str, str]:
    """Thread B sets client_id again and again until refused while this thread connects.
    Returns (the id B last set successfully, the id the CONNECT carried)."""
    m = ferromq.mqtt()
    m.timeout = 10
    m.remote_host = broker.host
    m.remote_port = broker.port
    first = f"race{i}-start"
    m.client_id = first
    sent: List[str] = []

    def on_log(e: ferromq.LogEvent) -> None:
        found = SENT.match(e.message)
        if found:
            sent.append(found.group(1))

    m.on("Log", on_log)
    go = threading.Barrier(2)
    stop = threading.Event()
    last_ok: List[Optional[str]] = [None]
    refused: List[int] = []

    def setter() -> None:
        go.wait()
        k = 0
        while not stop.is_set():
            candidate = f"race{i}-{k}"
            k += 1
            try:
                m.client_id = candidate
            except ferromq.MQTTError as e:
                refused.append(e.code)
                return
            last_ok[0] = candidate

    t = threading.Thread(target=setter)
    t.start()
    go.wait()
    try:
        m.connect()
    finally:
        stop.set()
        t.join()
    assert refused in ([], [211]), refused
    deadline = time.monotonic() + 10
    while not sent and time.monotonic() < deadline:
        m.do_events()
    assert sent, "no Log event announced the CONNECT"
    m.disconnect()
    return (last_ok[0] or first, sent[0])


@pytest.mark.timeout(240)
def scenario_connect_setter_race(broker: Broker) -> None:
    rounds = int(os.environ.get("FERROMQ_RACE_ROUNDS", "300"))
    lost = []
    for i in range(rounds):
        was_set, carried = _round(broker, i)
        if was_set != carried:
            lost.append(f"round {i}: client_id {was_set!r} was accepted, the CONNECT carried {carried!r}")
    assert not lost, f"{len(lost)} of {rounds} rounds lost a setter's value:\n" + "\n".join(lost)
