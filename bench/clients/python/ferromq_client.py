"""Bench client for ferromq's Python face, the blocking class ferromq.mqtt (handlers fire
on the thread inside a blocking call or do_events(); the subscriber gets a thread of its own).
The only setting changed: MaxInflight=100 (the 3.1.1 default is 20)."""
import gc
import os
import sys
import threading
import time

import ferromq
from common import args, emit_big, emit_burst, emit_cps, emit_lat, emit_mem, emit_thr, payload, rss

NAME = "python-ferromq"
A = args()
now = time.perf_counter


def client():
    m = ferromq.mqtt()
    m.config(f"MaxInflight={A.inflight}")
    return m


def thr():
    got = [0, 0.0]
    sub = client()

    def on_in(e):
        got[0] += 1
        got[1] = now()

    sub.on("MessageIn", on_in)
    sub.connect_to(A.host, A.port)
    sub.subscribe(A.topic, A.qos)
    pub = client()
    pub.connect_to(A.host, A.port)
    done = threading.Event()

    def reader():
        seen, since = 0, now()
        while got[0] < A.count:
            sub.do_events()
            if got[0] != seen:
                seen, since = got[0], now()
            elif now() - since > A.idle:
                break  # QoS 0 messages were lost
        done.set()

    t = threading.Thread(target=reader)
    t.start()
    data = payload(A.size)
    topic, qos, publish = A.topic, A.qos, pub.publish_data
    t0 = now()
    for _ in range(A.count):
        publish(topic, qos, data)
    while not done.is_set():
        pub.do_events()  # take the publisher's acknowledgements
    t.join()
    sub.disconnect()
    pub.disconnect()
    emit_thr(NAME, A, got[0], got[1] - t0)


def lat():
    m = client()
    flags = {"in": False, "out": False}
    m.on("MessageIn", lambda e: flags.__setitem__("in", True))
    m.on("MessageOut", lambda e: flags.__setitem__("out", True))
    m.connect_to(A.host, A.port)
    m.subscribe(A.topic, A.qos)
    data = payload(A.size)
    warm = min(A.count // 10, 1000)
    us = []
    for i in range(A.count + warm):
        flags["in"] = flags["out"] = False
        t = now()
        m.publish_data(A.topic, A.qos, data)
        while not flags["in"]:
            m.do_events()
        el = now() - t
        while not flags["out"]:
            m.do_events()
        if i >= warm:
            us.append(el * 1e6)
    m.disconnect()
    emit_lat(NAME, A, us)


def mem():
    first = client()
    first.connect_to(A.host, A.port)
    time.sleep(0.2)
    before = rss()
    keep = []
    for _ in range(A.conns):
        m = ferromq.mqtt()
        m.connect_to(A.host, A.port)
        keep.append(m)
    time.sleep(1)
    emit_mem(NAME, A.conns, before, rss())


def cps():
    m = ferromq.mqtt()
    t = now()
    for _ in range(A.count):
        m.connect_to(A.host, A.port)
        m.disconnect()
    emit_cps(NAME, A.count, now() - t)


def big():
    m = client()
    got = []
    m.on("MessageIn", lambda e: got.append(len(e.message_b)))
    m.connect_to(A.host, A.port)
    m.subscribe(A.topic, 0)
    data = payload(A.size)
    ms = []
    for _ in range(A.count):
        got.clear()
        t = now()
        m.publish_data(A.topic, 0, data)
        while not got:
            m.do_events()
            if now() - t > 30:
                sys.exit("the big message did not come back within 30 s")
        if got[0] != A.size:
            sys.exit("the big message came back with the wrong size")
        ms.append((now() - t) * 1e3)
    m.disconnect()
    emit_big(NAME, A.size, ms)


def burst():
    """Each of A.conns clients in turn subscribes to its own topic and publishes A.count
    messages to it as fast as publish_data accepts them, then fires its events until every
    one is received and acknowledged (MessageOut); the clients stay connected. RSS is read
    after they have all been idle a second, and again after they are disconnected, deleted
    and collected."""
    first = client()
    first.connect_to(A.host, A.port)
    time.sleep(0.2)
    before = rss()
    keep = []
    data = payload(A.size)
    for i in range(A.conns):
        m = client()
        tally = [0, 0]
        m.on("MessageIn", lambda e, t=tally: t.__setitem__(0, t[0] + 1))
        m.on("MessageOut", lambda e, t=tally: t.__setitem__(1, t[1] + 1))
        m.connect_to(A.host, A.port)
        topic, qos, publish = f"{A.topic}/{i}", A.qos, m.publish_data
        m.subscribe(topic, qos)
        for _ in range(A.count):
            publish(topic, qos, data)
        deadline = now() + 120
        while tally[0] < A.count or tally[1] < A.count:
            m.do_events()
            if now() > deadline:
                sys.exit("the burst did not come back within 120 s")
        keep.append(m)
    del m, publish
    time.sleep(1)
    after = rss()
    for m in keep:
        m.disconnect()
    del m, keep
    gc.collect()
    time.sleep(1)
    emit_burst(NAME, A, before, after, rss())


{"thr": thr, "lat": lat, "mem": mem, "cps": cps, "big": big, "burst": burst}[A.scenario]()
sys.stdout.flush()
os._exit(0)  # no waiting for network threads to notice the end
