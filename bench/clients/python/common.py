"""What the Python bench clients share: the command line, RSS, percentiles, output."""
import json
import os
import sys


def args():
    if len(sys.argv) < 2:
        sys.exit("usage: PROG thr|lat|mem|cps|big|burst [--key value]...")
    a = {
        "scenario": sys.argv[1], "host": "127.0.0.1", "port": 1883, "qos": 0, "size": 16,
        "count": 1000, "inflight": 100, "conns": 100, "topic": f"bench/{os.getpid()}", "idle": 3,
    }
    rest = sys.argv[2:]
    for k, v in zip(rest[::2], rest[1::2]):
        k = k.lstrip("-")
        a[k] = v if isinstance(a.get(k), str) else int(v)
    return type("Args", (), a)


def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def payload(size):
    return bytes(ord("a") + i % 26 for i in range(size))


def pct(sorted_v, p):
    if not sorted_v:
        return 0.0
    rank = max(1, min(len(sorted_v), -(-int(p * len(sorted_v) * 1000) // 100000)))
    return sorted_v[rank - 1]


def emit(d):
    print(json.dumps(d), flush=True)


def emit_thr(client, a, got, secs):
    emit({"client": client, "scenario": "thr", "qos": a.qos, "size": a.size, "sent": a.count,
          "received": got, "secs": secs, "msgs_per_s": got / secs,
          "mib_per_s": got * a.size / secs / 1048576})


def emit_lat(client, a, us):
    us.sort()
    emit({"client": client, "scenario": "lat", "qos": a.qos, "size": a.size, "n": len(us),
          "p50_us": pct(us, 50), "p99_us": pct(us, 99), "p999_us": pct(us, 99.9)})


def emit_mem(client, conns, before, after):
    emit({"client": client, "scenario": "mem", "conns": conns, "rss_before": before,
          "rss_after": after, "bytes_per_conn": (after - before) / conns})


def emit_cps(client, n, secs):
    emit({"client": client, "scenario": "cps", "n": n, "secs": secs, "conns_per_s": n / secs})


def emit_big(client, size, ms):
    ms.sort()
    emit({"client": client, "scenario": "big", "size": size, "n": len(ms),
          "median_ms": pct(ms, 50), "min_ms": ms[0]})


def emit_burst(client, a, before, after, closed):
    """Memory after a burst: RSS growth per client once every client has sent and received
    its burst and gone idle (after), and once they are all disconnected and dropped (closed)."""
    def per(x):
        return max(0, x - before) / a.conns
    emit({"client": client, "scenario": "burst", "qos": a.qos, "conns": a.conns,
          "count": a.count, "rss_before": before, "rss_after": after, "rss_closed": closed,
          "bytes_per_conn": per(after), "bytes_per_conn_closed": per(closed)})
