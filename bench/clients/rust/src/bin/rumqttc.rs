//! Bench client for rumqttc (the peer of ferromq's Rust face), on a current-thread tokio
//! runtime (its best case on the one core the clients get). Defaults changed, the same for
//! every client of the bench: in-flight window 100 (rumqttc's default already), TCP_NODELAY on
//! (default off), max packet size 32 MiB both ways (default 10 KiB), request channel 1000.
#[path = "../common.rs"]
mod common;

use bytes::Bytes;
use common::*;
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, NetworkOptions, Outgoing, Packet, QoS};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

const NAME: &str = "rust-rumqttc";
const CAP: usize = 1000;

fn qos(q: u8) -> QoS {
    match q {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

fn new_client(a: &Args, id: String, keep_alive: u64) -> (AsyncClient, EventLoop) {
    let mut o = MqttOptions::new(id, a.host.clone(), a.port);
    o.set_inflight(a.inflight);
    o.set_keep_alive(Duration::from_secs(keep_alive));
    o.set_max_packet_size(32 << 20, 32 << 20);
    let (c, mut el) = AsyncClient::new(o, CAP);
    let mut net = NetworkOptions::new();
    net.set_tcp_nodelay(true);
    el.set_network_options(net);
    (c, el)
}

fn cid(tag: &str, i: usize) -> String {
    format!("rq-{}-{tag}-{i}", std::process::id())
}

async fn until_connack(el: &mut EventLoop) {
    loop {
        match el.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => return,
            Ok(_) => {}
            Err(e) => die(&format!("connect: {e}")),
        }
    }
}

async fn until_suback(el: &mut EventLoop) {
    loop {
        match el.poll().await {
            Ok(Event::Incoming(Packet::SubAck(_))) => return,
            Ok(_) => {}
            Err(e) => die(&format!("subscribe: {e}")),
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let a = args();
    match a.scenario.as_str() {
        "thr" => thr(&a).await,
        "lat" => lat(&a).await,
        "mem" => mem(&a).await,
        "cps" => cps(&a).await,
        "big" => big(&a).await,
        "burst" => burst(&a).await,
        s => die(&format!("unknown scenario {s}")),
    }
}

async fn thr(a: &Args) {
    let (sub, mut sub_el) = new_client(a, cid("sub", 0), 60);
    until_connack(&mut sub_el).await;
    sub.subscribe(a.topic.clone(), qos(a.qos)).await.unwrap();
    until_suback(&mut sub_el).await;
    let (publ, mut pub_el) = new_client(a, cid("pub", 0), 60);
    until_connack(&mut pub_el).await;
    let pub_task = tokio::spawn(async move {
        loop {
            if pub_el.poll().await.is_err() {
                return;
            }
        }
    });
    let (count, idle) = (a.count, Duration::from_secs(a.idle_secs));
    let sub_task = tokio::spawn(async move {
        let mut got = 0u64;
        let mut last = Instant::now();
        while got < count {
            match tokio::time::timeout(idle, sub_el.poll()).await {
                Ok(Ok(Event::Incoming(Packet::Publish(_)))) => {
                    got += 1;
                    last = Instant::now();
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => die(&format!("subscriber: {e}")),
                Err(_) => break, // QoS 0 messages were lost: report what arrived
            }
        }
        (got, last)
    });
    let payload = Bytes::from(payload(a.size));
    let t0 = Instant::now();
    for _ in 0..a.count {
        publ.publish_bytes(a.topic.clone(), qos(a.qos), false, payload.clone())
            .await
            .unwrap_or_else(|e| die(&format!("publish: {e}")));
    }
    let (got, last) = sub_task.await.unwrap();
    pub_task.abort();
    emit_thr(NAME, a, got, secs(last.saturating_duration_since(t0)));
}

async fn lat(a: &Args) {
    let (c, mut el) = new_client(a, cid("lat", 0), 60);
    until_connack(&mut el).await;
    c.subscribe(a.topic.clone(), qos(a.qos)).await.unwrap();
    until_suback(&mut el).await;
    let payload = Bytes::from(payload(a.size));
    let warm = (a.count / 10).min(1000);
    let mut us = Vec::with_capacity(a.count as usize);
    for i in 0..a.count + warm {
        let t = Instant::now();
        c.publish_bytes(a.topic.clone(), qos(a.qos), false, payload.clone()).await.unwrap();
        let (mut got_in, mut got_ack) = (false, a.qos == 0);
        let mut el_t = None;
        while !(got_in && got_ack) {
            match el.poll().await {
                Ok(Event::Incoming(Packet::Publish(_))) => {
                    got_in = true;
                    el_t = Some(t.elapsed());
                }
                Ok(Event::Incoming(Packet::PubAck(_))) => got_ack = true,
                Ok(_) => {}
                Err(e) => die(&format!("lat: {e}")),
            }
        }
        if i >= warm {
            us.push(el_t.unwrap().as_secs_f64() * 1e6);
        }
    }
    emit_lat(NAME, a, us);
}

async fn mem(a: &Args) {
    let (_c0, mut el0) = new_client(a, cid("mem", 0), 600);
    until_connack(&mut el0).await;
    tokio::spawn(async move { while el0.poll().await.is_ok() {} });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = rss();
    let mut all = Vec::with_capacity(a.conns);
    for i in 0..a.conns {
        let (c, mut el) = new_client(a, cid("mem", i + 1), 600);
        until_connack(&mut el).await;
        // An idle connection still needs its event loop polled (keep-alive, incoming).
        tokio::spawn(async move { while el.poll().await.is_ok() {} });
        all.push(c);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = rss();
    emit_mem(NAME, a.conns, before, after);
    std::process::exit(0);
}

async fn cps(a: &Args) {
    let t = Instant::now();
    for i in 0..a.count as usize {
        let (c, mut el) = new_client(a, cid("cps", i), 60);
        until_connack(&mut el).await;
        c.disconnect().await.unwrap();
        loop {
            match el.poll().await {
                Ok(Event::Outgoing(Outgoing::Disconnect)) => break,
                Ok(_) => {}
                Err(e) => die(&format!("disconnect: {e}")),
            }
        }
    }
    emit_cps(NAME, a.count, secs(t.elapsed()));
}

async fn big(a: &Args) {
    let (c, mut el) = new_client(a, cid("big", 0), 60);
    until_connack(&mut el).await;
    c.subscribe(a.topic.clone(), QoS::AtMostOnce).await.unwrap();
    until_suback(&mut el).await;
    let payload = Bytes::from(payload(a.size));
    let mut ms = Vec::new();
    for _ in 0..a.count {
        let t = Instant::now();
        c.publish_bytes(a.topic.clone(), QoS::AtMostOnce, false, payload.clone()).await.unwrap();
        loop {
            match tokio::time::timeout(Duration::from_secs(30), el.poll()).await {
                Ok(Ok(Event::Incoming(Packet::Publish(p)))) => {
                    if p.payload.len() != a.size {
                        die("the big message came back with the wrong size");
                    }
                    break;
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => die(&format!("big: {e}")),
                Err(_) => die("the big message did not come back within 30 s"),
            }
        }
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    emit_big(NAME, a.size, ms);
}

/// Each of `conns` clients in turn subscribes to its own topic and publishes `count`
/// messages to it as fast as the request channel takes them, while a task polls its event
/// loop, until every one is received and completed (PUBACK, PUBCOMP, or written at QoS 0).
/// The event loops keep running, so the clients stay connected; RSS is read after a second
/// idle, and again once each client has disconnected and its event loop has ended.
async fn burst(a: &Args) {
    let (_c0, mut el0) = new_client(a, cid("burst", 0), 60);
    until_connack(&mut el0).await;
    tokio::spawn(async move { while el0.poll().await.is_ok() {} });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = rss();
    let mut all = Vec::with_capacity(a.conns);
    let payload = Bytes::from(payload(a.size));
    let (count, q) = (a.count, a.qos);
    for i in 0..a.conns {
        let (c, mut el) = new_client(a, cid("burst", i + 1), 60);
        until_connack(&mut el).await;
        let topic = format!("{}/{i}", a.topic);
        c.subscribe(topic.clone(), qos(q)).await.unwrap();
        until_suback(&mut el).await;
        let done = Arc::new(Notify::new());
        let (got, completed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let task = {
            let (done, got, completed) = (done.clone(), got.clone(), completed.clone());
            tokio::spawn(async move {
                loop {
                    let (g, d) = match el.poll().await {
                        Ok(Event::Incoming(Packet::Publish(_))) => (1, 0),
                        Ok(Event::Incoming(Packet::PubAck(_))) if q == 1 => (0, 1),
                        Ok(Event::Incoming(Packet::PubComp(_))) if q == 2 => (0, 1),
                        Ok(Event::Outgoing(Outgoing::Publish(_))) if q == 0 => (0, 1),
                        Ok(Event::Outgoing(Outgoing::Disconnect)) => return,
                        Ok(_) => (0, 0),
                        Err(e) => die(&format!("burst: {e}")),
                    };
                    let g = got.fetch_add(g, Ordering::Relaxed) + g;
                    let d = completed.fetch_add(d, Ordering::Relaxed) + d;
                    if g >= count && d >= count {
                        done.notify_one();
                    }
                }
            })
        };
        for _ in 0..a.count {
            c.publish_bytes(topic.clone(), qos(q), false, payload.clone())
                .await
                .unwrap_or_else(|e| die(&format!("publish: {e}")));
        }
        let left = |x: &AtomicU64| x.load(Ordering::Relaxed) < count;
        if left(&got) || left(&completed) {
            tokio::time::timeout(Duration::from_secs(120), done.notified())
                .await
                .unwrap_or_else(|_| die("the burst did not come back within 120 s"));
        }
        all.push((c, task));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = rss();
    for (c, task) in all {
        c.disconnect().await.unwrap_or_else(|e| die(&format!("disconnect: {e}")));
        drop(c);
        task.await.unwrap();
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    emit_burst(NAME, a, before, after, rss());
    std::process::exit(0);
}
