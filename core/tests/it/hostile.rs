//! A scripted peer sends broken or hostile bytes (no broker can be made to): the client must
//! end the connection cleanly with an error event, never hang, panic or grow without bound.

use crate::common;

use common::Client;
use ferromq::{code, Event};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;
use std::time::Duration;

/// Accept one connection, read the CONNECT, then write `script` and keep the socket open
/// for a while (so the client, not the peer, has to end it).
fn peer(script: &'static [u8]) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    thread::spawn(move || {
        if let Ok((mut s, _)) = l.accept() {
            let mut buf = [0u8; 512];
            let _ = s.read(&mut buf);
            let _ = s.write_all(script);
            thread::sleep(Duration::from_secs(3));
        }
    });
    port
}

const CONNACK_OK: &[u8] = &[0x20, 0x02, 0x00, 0x00];

fn connect_then(script: &'static [u8]) -> (Client, Vec<Event>) {
    let c = Client::new();
    c.mqtt.set_timeout(5).unwrap();
    c.mqtt.connect_to("127.0.0.1", peer(script) as i32).unwrap();
    c.wait_for(1, |e| matches!(e, Event::Disconnected(_)).then_some(()));
    let ev = c.take();
    (c, ev)
}

fn disconnected_code(ev: &[Event]) -> i32 {
    ev.iter()
        .find_map(|e| match e {
            Event::Disconnected(d) => Some(d.status_code),
            _ => None,
        })
        .expect("no Disconnected event")
}

fn error_event(ev: &[Event]) -> (i32, String) {
    ev.iter()
        .find_map(|e| match e {
            Event::Error(x) => Some((x.error_code, x.description.clone())),
            _ => None,
        })
        .expect("no Error event")
}

#[test]
fn remaining_length_of_five_bytes_is_a_clean_error() {
    static S: [u8; 10] = [0x20, 0x02, 0x00, 0x00, 0x30, 0xff, 0xff, 0xff, 0xff, 0x7f];
    let (c, ev) = connect_then(&S);
    assert!(!c.mqtt.connected());
    assert_eq!(disconnected_code(&ev), code::MALFORMED);
    let (code_, text) = error_event(&ev);
    assert_eq!(code_, code::MALFORMED);
    assert!(text.to_lowercase().contains("remaining length"), "{text}");
}

#[test]
fn qos_3_from_the_server_is_a_protocol_error() {
    static S: [u8; 11] = [
        0x20, 0x02, 0x00, 0x00, 0x36, 0x05, 0x00, 0x01, b'a', 0x00, 0x01,
    ];
    let (_c, ev) = connect_then(&S);
    assert_ne!(disconnected_code(&ev), 0);
    let (_, text) = error_event(&ev);
    assert!(text.contains("QoS"), "{text}");
}

#[test]
fn a_packet_before_connack_is_a_protocol_error() {
    static S: [u8; 2] = [0xd0, 0x00];
    let c = Client::new();
    c.mqtt.set_timeout(5).unwrap();
    let e = c.mqtt.connect_to("127.0.0.1", peer(&S) as i32).unwrap_err();
    assert_eq!(e.code, code::PROTOCOL, "{e}");
}

#[test]
fn a_server_that_never_answers_times_out() {
    static S: [u8; 0] = [];
    let c = Client::new();
    c.mqtt.set_timeout(1).unwrap();
    let e = c.mqtt.connect_to("127.0.0.1", peer(&S) as i32).unwrap_err();
    assert_eq!(e.code, code::TIMEOUT, "{e}");
    assert!(!c.mqtt.connected());
}

#[test]
fn a_server_that_hangs_up_is_reported() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let mut buf = [0u8; 512];
        let _ = s.read(&mut buf);
        let _ = s.write_all(CONNACK_OK);
        thread::sleep(Duration::from_millis(200));
    });
    let c = Client::new();
    c.mqtt.set_timeout(5).unwrap();
    c.mqtt.connect_to("127.0.0.1", port as i32).unwrap();
    c.wait_for(1, |e| matches!(e, Event::Disconnected(_)).then_some(()));
    let ev = c.take();
    assert_eq!(disconnected_code(&ev), code::DROPPED);
    assert_eq!(error_event(&ev).0, code::DROPPED);
}
