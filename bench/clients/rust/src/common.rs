//! What every Rust bench program shares: the command line, RSS, percentiles, JSON output.
#![allow(dead_code)]

use std::collections::HashMap;
use std::time::Duration;

pub struct Args {
    pub scenario: String,
    pub host: String,
    pub port: u16,
    pub qos: u8,
    pub size: usize,
    pub count: u64,
    pub inflight: u16,
    pub conns: usize,
    pub topic: String,
    pub idle_secs: u64,
    pub bytes: u64,
    pub nap_us: u64,
}

/// `PROG SCENARIO --host H --port P --qos Q --size S --count N --inflight W --conns C --topic T`
pub fn args() -> Args {
    let mut it = std::env::args().skip(1);
    let scenario = it.next().unwrap_or_else(|| die("usage: PROG thr|lat|mem|cps|big|burst [--key value]..."));
    let mut kv = HashMap::new();
    while let Some(k) = it.next() {
        let k = k.trim_start_matches("--").to_string();
        let v = it.next().unwrap_or_else(|| die(&format!("--{k} needs a value")));
        kv.insert(k, v);
    }
    let get = |k: &str, d: &str| kv.get(k).cloned().unwrap_or_else(|| d.to_string());
    let num = |k: &str, d: &str| -> u64 {
        get(k, d).parse().unwrap_or_else(|_| die(&format!("--{k} must be a number")))
    };
    Args {
        scenario,
        host: get("host", "127.0.0.1"),
        port: num("port", "1883") as u16,
        qos: num("qos", "0") as u8,
        size: num("size", "16") as usize,
        count: num("count", "1000"),
        inflight: num("inflight", "100") as u16,
        conns: num("conns", "100") as usize,
        topic: get("topic", &format!("bench/{}", std::process::id())),
        idle_secs: num("idle", "3"),
        bytes: num("bytes", "1073741824"),
        nap_us: num("nap", "0"),
    }
}

pub fn die(msg: &str) -> ! {
    eprintln!("{msg}");
    std::process::exit(2)
}

/// Resident set size of this process, in bytes.
pub fn rss() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    for line in s.lines() {
        if let Some(v) = line.strip_prefix("VmRSS:") {
            let kb: u64 = v.trim().trim_end_matches("kB").trim().parse().unwrap_or(0);
            return kb * 1024;
        }
    }
    0
}

/// Nearest-rank percentile of sorted samples.
pub fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn payload(size: usize) -> Vec<u8> {
    (0..size).map(|i| b'a' + (i % 26) as u8).collect()
}

/// One JSON object on one line, from (key, already-encoded value) pairs.
pub fn emit(pairs: &[(&str, String)]) {
    let body: Vec<String> = pairs.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
    println!("{{{}}}", body.join(","));
}

pub fn s(v: &str) -> String {
    format!("\"{v}\"")
}
pub fn n<T: std::fmt::Display>(v: T) -> String {
    format!("{v}")
}
pub fn f(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.3}")
    } else {
        "null".into()
    }
}

/// Throughput result line (counted at the subscriber).
pub fn emit_thr(client: &str, a: &Args, received: u64, secs: f64) {
    emit(&[
        ("client", s(client)),
        ("scenario", s("thr")),
        ("qos", n(a.qos)),
        ("size", n(a.size)),
        ("sent", n(a.count)),
        ("received", n(received)),
        ("secs", f(secs)),
        ("msgs_per_s", f(received as f64 / secs)),
        ("mib_per_s", f(received as f64 * a.size as f64 / secs / 1048576.0)),
    ]);
}

pub fn emit_lat(client: &str, a: &Args, mut us: Vec<f64>) {
    us.sort_by(|x, y| x.partial_cmp(y).unwrap());
    emit(&[
        ("client", s(client)),
        ("scenario", s("lat")),
        ("qos", n(a.qos)),
        ("size", n(a.size)),
        ("n", n(us.len())),
        ("p50_us", f(pct(&us, 50.0))),
        ("p99_us", f(pct(&us, 99.0))),
        ("p999_us", f(pct(&us, 99.9))),
    ]);
}

pub fn emit_mem(client: &str, conns: usize, before: u64, after: u64) {
    emit(&[
        ("client", s(client)),
        ("scenario", s("mem")),
        ("conns", n(conns)),
        ("rss_before", n(before)),
        ("rss_after", n(after)),
        ("bytes_per_conn", f(after.saturating_sub(before) as f64 / conns as f64)),
    ]);
}

pub fn emit_cps(client: &str, count: u64, secs: f64) {
    emit(&[
        ("client", s(client)),
        ("scenario", s("cps")),
        ("n", n(count)),
        ("secs", f(secs)),
        ("conns_per_s", f(count as f64 / secs)),
    ]);
}

pub fn emit_big(client: &str, size: usize, mut ms: Vec<f64>) {
    ms.sort_by(|x, y| x.partial_cmp(y).unwrap());
    emit(&[
        ("client", s(client)),
        ("scenario", s("big")),
        ("size", n(size)),
        ("n", n(ms.len())),
        ("median_ms", f(pct(&ms, 50.0))),
        ("min_ms", f(ms[0])),
    ]);
}

pub fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Memory after a burst: RSS growth per client once every client has sent and received its
/// burst and gone idle (`after`), and once they are all disconnected and dropped (`closed`).
pub fn emit_burst(client: &str, a: &Args, before: u64, after: u64, closed: u64) {
    let per = |x: u64| f(x.saturating_sub(before) as f64 / a.conns as f64);
    emit(&[
        ("client", s(client)),
        ("scenario", s("burst")),
        ("qos", n(a.qos)),
        ("conns", n(a.conns)),
        ("count", n(a.count)),
        ("rss_before", n(before)),
        ("rss_after", n(after)),
        ("rss_closed", n(closed)),
        ("bytes_per_conn", per(after)),
        ("bytes_per_conn_closed", per(closed)),
    ]);
}
