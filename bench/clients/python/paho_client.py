"""Bench client for paho-mqtt 2.x (the peer of ferromq's Python face). Defaults changed, the
same for every client of the bench: max_inflight_messages_set(100) (default 20), TCP_NODELAY
on the socket after connect (paho leaves it off). Throughput, latency and the burst run
paho's own network thread (loop_start); the idle connections are read through a selector, since
paho's loop() uses select() and cannot watch descriptors past 1023."""
import gc
import os
import selectors
import socket
import sys
import threading
import time

import paho.mqtt.client as pm
from paho.mqtt.enums import CallbackAPIVersion
from common import args, emit_big, emit_burst, emit_cps, emit_lat, emit_mem, emit_thr, payload, rss

NAME = "python-paho"
A = args()
now = time.perf_counter
seq = [0]


def client(inflight=True):
    seq[0] += 1
    c = pm.Client(CallbackAPIVersion.VERSION2, client_id=f"paho-{A.scenario}-{seq[0]}-{time.time_ns()}",
                  protocol=pm.MQTTv311)
    if inflight:
        c.max_inflight_messages_set(A.inflight)
    return c


def nodelay(c):
    c.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def connect_wait(c, keepalive=60):
    """connect() and loop() on this thread until CONNACK (small descriptors only)."""
    ok = threading.Event()
    c.on_connect = lambda *a: ok.set()
    c.connect(A.host, A.port, keepalive)
    nodelay(c)
    while not ok.is_set():
        c.loop(1.0)


def subscribe_wait(c, qos, topic=None):
    ok = threading.Event()
    c.on_subscribe = lambda *a: ok.set()
    c.subscribe(topic or A.topic, qos)
    while not ok.is_set():
        c.loop(1.0)


def thr():
    got = [0, 0.0]
    done = threading.Event()
    sub = client()

    def on_message(c, u, msg):
        got[0] += 1
        got[1] = now()
        if got[0] >= A.count:
            done.set()

    sub.on_message = on_message
    connect_wait(sub)
    subscribe_wait(sub, A.qos)
    pub = client()
    connect_wait(pub)
    sub.loop_start()
    pub.loop_start()
    data = payload(A.size)
    topic, qos, publish = A.topic, A.qos, pub.publish
    t0 = now()
    for _ in range(A.count):
        publish(topic, data, qos)
    seen = -1
    while not done.is_set() and got[0] != seen:  # stop when arrivals stop (QoS 0 lost)
        seen = got[0]
        done.wait(A.idle)
    emit_thr(NAME, A, got[0], got[1] - t0)


def lat():
    c = client()
    ev_in, ev_out = threading.Event(), threading.Event()
    c.on_message = lambda *a: ev_in.set()
    c.on_publish = lambda *a: ev_out.set()
    connect_wait(c)
    subscribe_wait(c, A.qos)
    c.loop_start()
    data = payload(A.size)
    warm = min(A.count // 10, 1000)
    us = []
    for i in range(A.count + warm):
        ev_in.clear()
        ev_out.clear()
        t = now()
        c.publish(A.topic, data, A.qos)
        ev_in.wait(10)
        el = now() - t
        ev_out.wait(10)
        if i >= warm:
            us.append(el * 1e6)
    emit_lat(NAME, A, us)


def mem():
    sel = selectors.DefaultSelector()

    def open_one():
        c = client(inflight=False)
        ok = []
        c.on_connect = lambda *a: ok.append(1)
        c.connect(A.host, A.port, 600)
        s = c.socket()
        sel.register(s, selectors.EVENT_READ, c)
        while not ok:
            for key, _ in sel.select(5):
                key.data.loop_read()
        c.loop_misc()
        return c

    first = open_one()
    time.sleep(0.2)
    before = rss()
    keep = [open_one() for _ in range(A.conns)]
    time.sleep(1)
    emit_mem(NAME, A.conns, before, rss())
    del first, keep


def cps():
    t = now()
    for _ in range(A.count):
        c = client()
        connect_wait(c)
        c.disconnect()
    emit_cps(NAME, A.count, now() - t)


def big():
    c = client()
    got = []
    c.on_message = lambda cl, u, msg: got.append(len(msg.payload))
    connect_wait(c)
    subscribe_wait(c, 0)
    data = payload(A.size)
    ms = []
    for _ in range(A.count):
        got.clear()
        t = now()
        c.publish(A.topic, data, 0)
        while not got:
            c.loop(1.0)
            if now() - t > 30:
                sys.exit("the big message did not come back within 30 s")
        if got[0] != A.size:
            sys.exit("the big message came back with the wrong size")
        ms.append((now() - t) * 1e3)
    c.disconnect()
    emit_big(NAME, A.size, ms)


def burst():
    """Each of A.conns clients in turn subscribes to its own topic, starts its network thread
    and publishes A.count messages to it (publish() queues past the in-flight window), until
    every one is received and completed (on_publish: PUBACK, PUBCOMP, or written at QoS 0);
    the threads keep running, so the clients stay connected. RSS is read after a second idle,
    and again after each client is disconnected, its thread stopped, and all are deleted and
    collected."""
    first = client()
    connect_wait(first)
    first.loop_start()
    time.sleep(0.2)
    before = rss()
    keep = []
    data = payload(A.size)
    for i in range(A.conns):
        c = client()
        tally = [0, 0]
        done = threading.Event()

        def count(k, tally=tally, done=done):
            tally[k] += 1
            if tally[0] >= A.count and tally[1] >= A.count:
                done.set()

        c.on_message = lambda *a, count=count: count(0)
        c.on_publish = lambda *a, count=count: count(1)
        connect_wait(c)
        topic, qos = f"{A.topic}/{i}", A.qos
        subscribe_wait(c, qos, topic)
        c.loop_start()
        publish = c.publish
        for _ in range(A.count):
            publish(topic, data, qos)
        if not done.wait(120):
            sys.exit("the burst did not come back within 120 s")
        keep.append(c)
    del c, publish
    time.sleep(1)
    after = rss()
    for c in keep:
        c.disconnect()
        c.loop_stop()
    del c, keep
    gc.collect()
    time.sleep(1)
    emit_burst(NAME, A, before, after, rss())


{"thr": thr, "lat": lat, "mem": mem, "cps": cps, "big": big, "burst": burst}[A.scenario]()
sys.stdout.flush()
os._exit(0)  # no waiting for network threads to notice the end
