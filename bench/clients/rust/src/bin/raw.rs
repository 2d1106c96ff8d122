//! The ceiling: a raw-socket generator and counter with no MQTT library. Packets are encoded
//! once before the clock starts (only the 2-byte packet id is patched per message); acks are
//! written as fixed 4-byte packets. What it measures is what the broker itself passes.
//!
//! Scenarios: thr, lat, cps, big as the clients; `loopback` measures loopback TCP
//! bandwidth (receiver thread moved to core 0, where the broker runs).
#[path = "../common.rs"]
mod common;

use common::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

const NAME: &str = "raw";

fn varint(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let mut b = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            b |= 0x80;
        }
        out.push(b);
        if n == 0 {
            break;
        }
    }
}

fn str16(s: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s);
}

fn packet(first: u8, body: &[u8]) -> Vec<u8> {
    let mut p = vec![first];
    varint(body.len(), &mut p);
    p.extend_from_slice(body);
    p
}

fn connect_pkt(id: &str) -> Vec<u8> {
    let mut b = Vec::new();
    str16(b"MQTT", &mut b);
    b.extend_from_slice(&[4, 0x02, 0, 60]); // 3.1.1, clean session, keep-alive 60 s
    str16(id.as_bytes(), &mut b);
    packet(0x10, &b)
}

/// A PUBLISH and the offset of its packet id (0 when QoS 0).
fn publish_pkt(topic: &str, qos: u8, payload: &[u8]) -> (Vec<u8>, usize) {
    let mut b = Vec::new();
    str16(topic.as_bytes(), &mut b);
    let id_at = b.len();
    if qos > 0 {
        b.extend_from_slice(&[0, 1]);
    }
    b.extend_from_slice(payload);
    let p = packet(0x30 | (qos << 1), &b);
    let off = p.len() - b.len() + id_at;
    (p, if qos > 0 { off } else { 0 })
}

fn subscribe_pkt(topic: &str, qos: u8) -> Vec<u8> {
    let mut b = vec![0, 1];
    str16(topic.as_bytes(), &mut b);
    b.push(qos);
    packet(0x82, &b)
}

fn ack(first: u8, id: [u8; 2]) -> [u8; 4] {
    [first, 2, id[0], id[1]]
}

fn id_of(seq: u64) -> [u8; 2] {
    (((seq % 65535) + 1) as u16).to_be_bytes()
}

/// Reads whole MQTT packets from a stream.
struct Reader {
    s: TcpStream,
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl Reader {
    fn new(s: TcpStream) -> Self {
        Reader { s, buf: vec![0; 1 << 20], start: 0, end: 0 }
    }

    /// The next whole packet as (first byte, start of body, end), reading as needed.
    /// None on timeout or EOF.
    fn next(&mut self) -> Option<(u8, usize, usize)> {
        loop {
            if let Some(p) = self.parse() {
                return Some(p);
            }
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.end == self.buf.len() {
                let n = self.buf.len() * 2;
                self.buf.resize(n, 0);
            }
            match self.s.read(&mut self.buf[self.end..]) {
                Ok(0) => return None,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => return None,
                Err(e) => die(&format!("read: {e}")),
            }
        }
    }

    /// One read() into the buffer (after moving what is left to its front).
    fn fill(&mut self) -> std::io::Result<usize> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            let n = self.buf.len() * 2;
            self.buf.resize(n, 0);
        }
        match self.s.read(&mut self.buf[self.end..]) {
            Ok(n) => {
                self.end += n;
                Ok(n)
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(usize::MAX),
            Err(e) => die(&format!("read: {e}")),
        }
    }

    fn peek(&self) -> Option<(usize, usize)> {
        let b = &self.buf[self.start..self.end];
        let (mut len, mut mul, mut i) = (0usize, 1usize, 1usize);
        loop {
            let c = *b.get(i)?;
            len += (c & 0x7f) as usize * mul;
            mul *= 128;
            i += 1;
            if c & 0x80 == 0 {
                break;
            }
        }
        if b.len() < i + len {
            if self.buf.len() < i + len {
                return None; // caller grows the buffer
            }
            return None;
        }
        Some((i, len))
    }

    fn parse(&mut self) -> Option<(u8, usize, usize)> {
        let (hdr, len) = match self.peek() {
            Some(x) => x,
            None => {
                // Make sure a packet larger than the buffer can fit once read.
                let b = &self.buf[self.start..self.end];
                if b.len() >= 2 {
                    let (mut l, mut mul) = (0usize, 1usize);
                    for &c in b[1..].iter().take(4) {
                        l += (c & 0x7f) as usize * mul;
                        mul *= 128;
                        if c & 0x80 == 0 {
                            let need = l + 5;
                            if need > self.buf.len() {
                                let n = need.next_power_of_two();
                                self.buf.resize(n, 0);
                            }
                            break;
                        }
                    }
                }
                return None;
            }
        };
        let first = self.buf[self.start];
        let body = self.start + hdr;
        self.start = body + len;
        Some((first, body, body + len))
    }
}

fn open(a: &Args, id: &str) -> TcpStream {
    let mut s = TcpStream::connect((a.host.as_str(), a.port)).unwrap_or_else(|e| die(&format!("connect: {e}")));
    s.set_nodelay(true).unwrap();
    s.write_all(&connect_pkt(id)).unwrap();
    let mut ca = [0u8; 4];
    s.read_exact(&mut ca).unwrap_or_else(|e| die(&format!("CONNACK: {e}")));
    if ca[0] != 0x20 || ca[3] != 0 {
        die(&format!("CONNACK refused: {ca:?}"));
    }
    s
}

fn subscribe(s: &mut TcpStream, topic: &str, qos: u8) {
    s.write_all(&subscribe_pkt(topic, qos)).unwrap();
    let mut sa = [0u8; 5];
    s.read_exact(&mut sa).unwrap_or_else(|e| die(&format!("SUBACK: {e}")));
    if sa[0] != 0x90 || sa[4] != qos {
        die(&format!("SUBACK refused: {sa:?}"));
    }
}

fn main() {
    let a = args();
    match a.scenario.as_str() {
        "thr" => thr(&a),
        "lat" => lat(&a),
        "cps" => cps(&a),
        "big" => big(&a),
        "loopback" => loopback(&a),
        s => die(&format!("unknown scenario {s}")),
    }
}

/// Drain `out` into a non-blocking socket as far as it goes.
fn flush(s: &mut TcpStream, out: &mut Vec<u8>, at: &mut usize) {
    while *at < out.len() {
        match s.write(&out[*at..]) {
            Ok(n) => *at += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
            Err(e) => die(&format!("write: {e}")),
        }
    }
    out.clear();
    *at = 0;
}

/// One thread, one poll() loop over both sockets (the way an event-loop client works, so
/// the broker sees the same batching): the generator keeps `window` messages unacknowledged
/// and writes as many as the window and the socket take at once; the counter answers every
/// packet that needs it in one write per read.
fn thr(a: &Args) {
    use std::os::fd::AsRawFd;
    let pid = std::process::id();
    let mut sub = open(a, &format!("raw-{pid}-sub"));
    subscribe(&mut sub, &a.topic, a.qos);
    let mut publ = open(a, &format!("raw-{pid}-pub"));
    let (count, qos, window) = (a.count, a.qos, a.inflight as u64);
    sub.set_nonblocking(true).unwrap();
    publ.set_nonblocking(true).unwrap();
    let mut sr = Reader::new(sub.try_clone().unwrap());
    let mut pr = Reader::new(publ.try_clone().unwrap());
    let (tmpl, id_at) = publish_pkt(&a.topic, qos, &payload(a.size));
    let per_batch = ((256 * 1024) / tmpl.len()).max(16) as u64;
    let (mut pout, mut pat) = (Vec::with_capacity(tmpl.len() * per_batch as usize + 4096), 0usize);
    let (mut sout, mut sat) = (Vec::with_capacity(1 << 16), 0usize);
    let (mut sent, mut acked, mut got) = (0u64, 0u64, 0u64);
    let mut rels: Vec<u8> = Vec::new();
    let idle_ms = (a.idle_secs * 1000) as i32;
    // Napping between rounds makes each read take a bigger batch: the broker then wakes this
    // process less often and passes more (bench/README.md, "The ceiling").
    let nap = a.nap_us;
    let t0 = Instant::now();
    let mut last = t0;
    let mut idle_since = Instant::now();
    while got < count {
        // Refill the generator's buffer once the previous one is written.
        if pout.is_empty() {
            pout.extend_from_slice(&rels);
            rels.clear();
            let room = if qos > 0 { window - (sent - acked) } else { u64::MAX };
            let n = per_batch.min(count - sent).min(room);
            for i in 0..n {
                let at = pout.len();
                pout.extend_from_slice(&tmpl);
                if qos > 0 {
                    pout[at + id_at..at + id_at + 2].copy_from_slice(&id_of(sent + i));
                }
            }
            sent += n;
        }
        let mut fds = [
            libc::pollfd { fd: sub.as_raw_fd(), events: libc::POLLIN | if sout.is_empty() { 0 } else { libc::POLLOUT }, revents: 0 },
            libc::pollfd { fd: publ.as_raw_fd(), events: libc::POLLIN | if pout.is_empty() { 0 } else { libc::POLLOUT }, revents: 0 },
        ];
        let r = unsafe { libc::poll(fds.as_mut_ptr(), 2, 100) };
        if r == 0 {
            if idle_since.elapsed().as_millis() as i32 > idle_ms {
                break; // QoS 0 messages were lost: report what arrived
            }
            continue;
        }
        idle_since = Instant::now();
        if fds[1].revents & libc::POLLOUT != 0 {
            flush(&mut publ, &mut pout, &mut pat);
        }
        if fds[1].revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0 {
            if matches!(pr.fill(), Ok(0)) {
                die("the broker closed the publisher's connection");
            }
            while let Some((first, body, _)) = pr.parse() {
                match first >> 4 {
                    4 | 7 => acked += 1,
                    5 => rels.extend_from_slice(&ack(0x62, [pr.buf[body], pr.buf[body + 1]])),
                    _ => {}
                }
            }
        }
        if fds[0].revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0 {
            if matches!(sr.fill(), Ok(0)) {
                die("the broker closed the subscriber's connection");
            }
            let before = got;
            while let Some((first, body, _)) = sr.parse() {
                match first >> 4 {
                    3 => {
                        got += 1;
                        let q = (first >> 1) & 3;
                        if q > 0 {
                            let tl = u16::from_be_bytes([sr.buf[body], sr.buf[body + 1]]) as usize;
                            let id = [sr.buf[body + 2 + tl], sr.buf[body + 3 + tl]];
                            sout.extend_from_slice(&ack(if q == 1 { 0x40 } else { 0x50 }, id));
                        }
                    }
                    6 => sout.extend_from_slice(&ack(0x70, [sr.buf[body], sr.buf[body + 1]])),
                    _ => {}
                }
            }
            if got != before {
                last = Instant::now();
            }
        }
        if !sout.is_empty() {
            flush(&mut sub, &mut sout, &mut sat);
        }
        if nap > 0 {
            std::thread::sleep(Duration::from_micros(nap));
        }
        if !pout.is_empty() && fds[1].revents & libc::POLLOUT == 0 {
            flush(&mut publ, &mut pout, &mut pat);
        }
    }
    emit_thr(NAME, a, got, secs(last.saturating_duration_since(t0)));
}

fn lat(a: &Args) {
    let mut s = open(a, &format!("raw-{}-lat", std::process::id()));
    subscribe(&mut s, &a.topic, a.qos);
    let (tmpl, id_at) = publish_pkt(&a.topic, a.qos, &payload(a.size));
    let mut pkt = tmpl.clone();
    let mut r = Reader::new(s.try_clone().unwrap());
    let warm = (a.count / 10).min(1000);
    let mut us = Vec::with_capacity(a.count as usize);
    for i in 0..a.count + warm {
        if a.qos > 0 {
            pkt[id_at..id_at + 2].copy_from_slice(&id_of(i));
        }
        let t = Instant::now();
        s.write_all(&pkt).unwrap();
        let (mut got_in, mut got_ack) = (false, a.qos == 0);
        let mut el = Duration::ZERO;
        let mut out = Vec::new();
        while !(got_in && got_ack) {
            let (first, body, _) = r.next().unwrap_or_else(|| die("lat: connection closed"));
            match first >> 4 {
                3 => {
                    el = t.elapsed();
                    got_in = true;
                    if (first >> 1) & 3 == 1 {
                        let tl = u16::from_be_bytes([r.buf[body], r.buf[body + 1]]) as usize;
                        out.extend_from_slice(&ack(0x40, [r.buf[body + 2 + tl], r.buf[body + 3 + tl]]));
                    }
                }
                4 => got_ack = true,
                _ => {}
            }
        }
        if !out.is_empty() {
            s.write_all(&out).unwrap();
        }
        if i >= warm {
            us.push(el.as_secs_f64() * 1e6);
        }
    }
    emit_lat(NAME, a, us);
}

fn cps(a: &Args) {
    let conn = connect_pkt(&format!("raw-{}-cps", std::process::id()));
    let t = Instant::now();
    for _ in 0..a.count {
        let mut s = TcpStream::connect((a.host.as_str(), a.port)).unwrap();
        s.set_nodelay(true).unwrap();
        s.write_all(&conn).unwrap();
        let mut ca = [0u8; 4];
        s.read_exact(&mut ca).unwrap();
        s.write_all(&[0xe0, 0]).unwrap();
        drop(s); // DISCONNECT, then close, as a client's disconnect does
    }
    emit_cps(NAME, a.count, secs(t.elapsed()));
}

fn big(a: &Args) {
    let mut s = open(a, &format!("raw-{}-big", std::process::id()));
    subscribe(&mut s, &a.topic, 0);
    let (pkt, _) = publish_pkt(&a.topic, 0, &payload(a.size));
    let mut r = Reader::new(s.try_clone().unwrap());
    let mut ms = Vec::new();
    for _ in 0..a.count {
        let t = Instant::now();
        s.write_all(&pkt).unwrap();
        loop {
            let (first, body, end) = r.next().unwrap_or_else(|| die("big: connection closed"));
            if first >> 4 == 3 {
                let tl = u16::from_be_bytes([r.buf[body], r.buf[body + 1]]) as usize;
                if end - body - 2 - tl != a.size {
                    die("the big message came back with the wrong size");
                }
                break;
            }
        }
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    emit_big(NAME, a.size, ms);
}

fn pin_to(core: usize) {
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(core, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// Loopback TCP bandwidth: the sender on this process's core, the receiver on core 0.
fn loopback(a: &Args) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let rx = std::thread::spawn(move || {
        pin_to(0);
        let (mut s, _) = l.accept().unwrap();
        let mut buf = vec![0u8; 1 << 20];
        let mut total = 0u64;
        loop {
            match s.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => total += n as u64,
                Err(e) => die(&format!("loopback read: {e}")),
            }
        }
        s.write_all(&[1]).unwrap();
        total
    });
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let chunk = vec![7u8; 1 << 20];
    let t = Instant::now();
    let mut sent = 0u64;
    while sent < a.bytes {
        let n = chunk.len().min((a.bytes - sent) as usize);
        s.write_all(&chunk[..n]).unwrap();
        sent += n as u64;
    }
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut one = [0u8; 1];
    s.read_exact(&mut one).unwrap();
    let el = t.elapsed();
    let total = rx.join().unwrap();
    emit(&[
        ("client", s_(NAME)),
        ("scenario", s_("loopback")),
        ("bytes", n(total)),
        ("secs", f(secs(el))),
        ("mib_per_s", f(total as f64 / secs(el) / 1048576.0)),
    ]);
}

fn s_(v: &str) -> String {
    s(v)
}
