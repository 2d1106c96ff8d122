#!/usr/bin/env python3
"""The benchmark harness of issue 6 (see bench/README.md). Started by bench/run.

Installs the peers, builds every face in release, starts ONE mosquitto with the fixed
config pinned to core 0, runs every scenario for every client (pinned to core 1) several
times, and writes the table: bench/results/latest.md and latest.csv (median, min–max, the
ratio of each face to its peer, throughput as a fraction of the raw ceiling).
--smoke (CI) runs the debug builds that `make test` has already made, with tiny counts, once:
it checks that every client and scenario still runs end to end, and measures nothing.
Only the standard library is used here, so any python3 can run it.
"""
from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
BUILD = BENCH / ".build"
VENV = BUILD / "venv"
CLIENTS_DIR = BENCH / "clients"

KIB, MIB = 1024, 1024 * 1024

# Every client of the bench, in table order, and the peer each face is compared with.
FACES = {
    "rust-ferromq": "rust-rumqttc",
    "c-ferromq": "c-mosquitto",
    "python-ferromq": "python-paho",
    "node-ferromq": "node-mqttjs",
}
CLIENT_ORDER = [
    "raw",
    "rust-ferromq", "rust-rumqttc",
    "c-ferromq", "c-mosquitto",
    "python-ferromq", "python-paho",
    "node-ferromq", "node-mqttjs",
]

# Messages per throughput run: about half a second at the broker's ceiling on the reference
# machine (2 cores); the slowest peers take a few seconds.
FULL_THR_COUNTS = {
    (0, 16): 100_000, (1, 16): 40_000, (2, 16): 20_000,
    (0, KIB): 60_000, (1, KIB): 30_000, (2, KIB): 20_000,
    (0, 64 * KIB): 8_000, (1, 64 * KIB): 6_000, (2, 64 * KIB): 4_000,
}
CEILING_NAPS_US = [0, 200, 1000]

# Memory after a burst: clients, messages each, QoS, payload (issue 15); smoke: tiny counts.
BURST = {"conns": 10, "count": 20_000, "qos": 1, "size": 16}
BURST_SMOKE = {"conns": 2, "count": 200}
# One burst run is C bursts in turn, each with a 120 s deadline of its own in the client; the
# slowest peers need well over the default per-run timeout for 10 × 20 000 QoS 1 messages.
BURST_TIMEOUT_S = 600

BROKER_CONF = """# bench/run: the one broker every client of a run talks to (issue 6's fixed config)
listener {port} 127.0.0.1
allow_anonymous true
persistence false
set_tcp_nodelay true
max_inflight_messages 100
max_queued_messages 1000000
log_dest file {log}
log_type error
log_type warning
"""


def log(msg: str) -> None:
    print(f"[bench] {msg}", flush=True)


def run(cmd, **kw) -> None:
    log("$ " + " ".join(str(c) for c in cmd))
    subprocess.run([str(c) for c in cmd], check=True, **kw)


# ---------------------------------------------------------------- install and build

def install() -> None:
    """The peers and tools, each only when missing (a second run skips all of it)."""
    apt = []
    if not (shutil.which("mosquitto") or Path("/usr/sbin/mosquitto").exists()):
        apt.append("mosquitto")
    if not Path("/usr/include/mosquitto.h").exists():
        apt.append("libmosquitto-dev")
    if not shutil.which("gcc"):
        apt.append("gcc")
    if apt:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run(["apt-get", "update", "-qq"], env=env)
        run(["apt-get", "install", "-y", "-qq", *apt], env=env)
    py = VENV / "bin" / "python"
    if not py.exists():
        run([sys.executable, "-m", "venv", VENV])
    probe = subprocess.run([py, "-c", "import paho.mqtt, maturin"], capture_output=True)
    if probe.returncode != 0:
        run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check",
             "paho-mqtt>=2.1,<3", "maturin>=1.5,<2"])
    if not (BENCH / "node_modules" / "mqtt").exists():
        run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=BENCH)


class Layout:
    """Where one profile's builds live.

    release (a measuring run): every face built with --release into bench/.build, a target
    dir of its own, so the debug builds the tests use are never touched.
    debug (--smoke): the workspace's own target/, whose debug libmqtt.so, Node addon and
    Python module the "build" stage of `make test` has just made, so a smoke in CI compiles
    only the bench crate (and its peers, once). The copies made from them (C binaries, the
    Node package, the Python package) go to bench/.build/debug/, so a later
    `bench/run --no-build` still finds the release ones.
    """

    def __init__(self, smoke: bool) -> None:
        self.release = not smoke
        # The debug builds are the workspace's own, wherever CARGO_TARGET_DIR puts them.
        debug = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
        self.target = BUILD / "target" if self.release else debug
        self.bin = self.target / ("release" if self.release else "debug")
        out = BUILD if self.release else BUILD / "debug"
        self.cbin = out / "c"
        self.node_pkg = out / "node" / "ferromq"
        self.wheels = out / "wheels"
        # release: the wheel is installed into the bench venv. debug: into this folder, put
        # on the clients' PYTHONPATH, so the venv keeps its release wheel.
        self.pypath = None if self.release else out / "python"

    def cargo(self) -> list[str]:
        return ["cargo", "build", "-q"] + (["--release"] if self.release else [])


def build(lay: Layout) -> None:
    """Every face in the layout's profile (see Layout)."""
    env = dict(os.environ, CARGO_TARGET_DIR=str(lay.target))
    if lay.release:
        run([*lay.cargo(), "-p", "ferromq-ffi", "-p", "ferromq-node"], cwd=ROOT, env=env)
    else:
        # One package per command, as `make build` does: built together, the two would
        # unify their dependencies' features into other artifacts than the tests' ones.
        for pkg in ("ferromq-ffi", "ferromq-node"):
            run([*lay.cargo(), "-p", pkg], cwd=ROOT, env=env)
    run([*lay.cargo(), "--manifest-path", CLIENTS_DIR / "rust" / "Cargo.toml"], env=env)
    build_c(lay)
    build_python(lay, env)
    build_node(lay)


def build_c(lay: Layout) -> None:
    lay.cbin.mkdir(parents=True, exist_ok=True)
    run(["gcc", "-O2", "-Wall", "-o", lay.cbin / "ferromq", CLIENTS_DIR / "c" / "ferromq.c",
         "-I", ROOT / "include", "-L", lay.bin, "-lmqtt", f"-Wl,-rpath,{lay.bin}", "-lpthread"])
    run(["gcc", "-O2", "-Wall", "-o", lay.cbin / "mosquitto", CLIENTS_DIR / "c" / "mosquitto.c",
         "-lmosquitto", "-lpthread"])


def wheel_venv(lay: Layout) -> Path:
    """The venv whose maturin and interpreter build the wheel. A debug build uses the
    project's .venv, the one python/develop builds with: another interpreter path
    (PYO3_PYTHON) would make cargo rebuild pyo3 and ferromq-python in target/debug, and the
    next python/develop rebuild them back. Both venvs come from the same python3."""
    project = ROOT / ".venv"
    if not lay.release and (project / "bin" / "maturin").exists():
        return project
    return VENV


def build_python(lay: Layout, env: dict) -> None:
    tools = wheel_venv(lay)
    shutil.rmtree(lay.wheels, ignore_errors=True)
    run([tools / "bin" / "maturin", "build", "-q", *(["--release"] if lay.release else []),
         "-m", ROOT / "python" / "Cargo.toml", "-i", tools / "bin" / "python",
         "-o", lay.wheels], env=env)
    wheel = next(lay.wheels.glob("ferromq-*.whl"))
    pip = [VENV / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check",
           "--no-deps"]
    if lay.pypath is None:
        run([*pip, "--force-reinstall", wheel])
    else:
        shutil.rmtree(lay.pypath, ignore_errors=True)
        run([*pip, "--target", lay.pypath, wheel])


def build_node(lay: Layout) -> None:
    lay.node_pkg.mkdir(parents=True, exist_ok=True)
    for f in ("index.js", "index.d.ts", "package.json"):
        shutil.copy2(ROOT / "node" / f, lay.node_pkg / f)
    tmp = lay.node_pkg / ".ferromq.node.tmp"
    shutil.copy2(lay.bin / "libferromq_node.so", tmp)
    tmp.replace(lay.node_pkg / "ferromq.node")


# ---------------------------------------------------------------- broker and cores

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cores:
    def __init__(self) -> None:
        cores = sorted(os.sched_getaffinity(0))
        self.pinned = len(cores) >= 2
        self.broker, self.clients = (cores[0], cores[1]) if self.pinned else (None, None)

    def wrap(self, cmd, which):
        core = self.broker if which == "broker" else self.clients
        return ["taskset", "-c", str(core), *cmd] if self.pinned else list(cmd)


class Broker:
    def __init__(self, cores: Cores, workdir: Path) -> None:
        self.cores, self.dir = cores, workdir
        self.proc = None
        self.port = 0
        self.restarts = -1

    def start(self) -> None:
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.dir.mkdir(parents=True, exist_ok=True)
        for _ in range(20):
            self.port = free_port()
            conf = self.dir / "mosquitto.conf"
            conf.write_text(BROKER_CONF.format(port=self.port, log=self.dir / "mosquitto.log"))
            out = open(self.dir / "mosquitto.out", "ab")
            self.proc = subprocess.Popen(self.cores.wrap([exe, "-c", str(conf)], "broker"),
                                         stdout=out, stderr=subprocess.STDOUT)
            deadline = time.time() + 5
            while time.time() < deadline and self.proc.poll() is None:
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                    self.restarts += 1
                    return
                except OSError:
                    time.sleep(0.02)
            self.stop()
        raise SystemExit("bench: mosquitto did not start (see bench/.build/run/mosquitto.out)")

    def ensure(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            log("mosquitto is not running: starting it again")
            self.start()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def cpu_ticks(self) -> int:
        try:
            f = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return int(f[11]) + int(f[12])
        except (OSError, IndexError, ValueError):
            return 0


# ---------------------------------------------------------------- clients and plan

def client_cmds(lay: Layout) -> dict[str, list[str]]:
    rel = lay.bin
    py = [str(VENV / "bin" / "python"), "-X", "faulthandler"]
    node = ["node", "--expose-gc"]
    return {
        "raw": [str(rel / "raw")],
        "rust-ferromq": [str(rel / "ferromq")],
        "rust-rumqttc": [str(rel / "rumqttc")],
        "c-ferromq": [str(lay.cbin / "ferromq")],
        "c-mosquitto": [str(lay.cbin / "mosquitto")],
        "python-ferromq": [*py, str(CLIENTS_DIR / "python" / "ferromq_client.py")],
        "python-paho": [*py, str(CLIENTS_DIR / "python" / "paho_client.py")],
        "node-ferromq": [*node, str(CLIENTS_DIR / "node" / "ferromq.js")],
        "node-mqttjs": [*node, str(CLIENTS_DIR / "node" / "mqttjs.js")],
    }


def nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def conns_for(client: str, conns: int, fds: int) -> int:
    """libmosquitto holds 3 descriptors per client (its socket and a socketpair)."""
    if client == "c-mosquitto":
        return min(conns, (fds - 200) // 3)
    return min(conns, fds - 200)


def plan(smoke: bool) -> list[dict]:
    """Scenario configurations, in run order. Each is run for every client it lists."""
    jobs = []
    everyone = [c for c in CLIENT_ORDER]
    mqtt_clients = [c for c in CLIENT_ORDER if c != "raw"]
    for size in (16, KIB, 64 * KIB):
        for qos in (0, 1, 2):
            count = FULL_THR_COUNTS[(qos, size)]
            if smoke:
                count = max(200, count // 200)
            jobs.append({"scenario": "thr", "qos": qos, "size": size, "count": count,
                         "clients": everyone})
    for qos in (0, 1):
        jobs.append({"scenario": "lat", "qos": qos, "size": 16, "count": 100 if smoke else 5000,
                     "clients": everyone})
    for conns in ((100,) if smoke else (1000, 10000)):
        jobs.append({"scenario": "mem", "conns": conns, "clients": mqtt_clients})
    jobs.append({"scenario": "burst", **BURST, **(BURST_SMOKE if smoke else {}),
                 "timeout": BURST_TIMEOUT_S, "clients": mqtt_clients})
    jobs.append({"scenario": "cps", "count": 20 if smoke else 2000, "clients": everyone})
    jobs.append({"scenario": "loopback", "bytes": (64 if smoke else 1024) * MIB,
                 "clients": ["raw"]})
    jobs.append({"scenario": "big", "size": 16 * MIB, "count": 2 if smoke else 10,
                 "clients": everyone})
    return jobs


def job_key(job: dict) -> str:
    s = job["scenario"]
    if s == "thr":
        return f"thr qos{job['qos']} {fmt_size(job['size'])}"
    if s == "lat":
        return f"lat qos{job['qos']} {fmt_size(job['size'])}"
    if s == "mem":
        return f"mem {job['conns']}"
    return s


def fmt_size(n: int) -> str:
    if n >= MIB and n % MIB == 0:
        return f"{n // MIB} MiB"
    if n >= KIB and n % KIB == 0:
        return f"{n // KIB} KiB"
    return f"{n} B"


class Runner:
    def __init__(self, args, lay: Layout, cores: Cores, broker: Broker, outdir: Path) -> None:
        self.args, self.cores, self.broker = args, cores, broker
        self.cmds = client_cmds(lay)
        self.fds = nofile()
        self.records: list[dict] = []
        self.failures: list[str] = []
        self.naps: dict[tuple, list[int]] = {}
        self.raw_log = open(outdir / "runs.jsonl", "w")
        self.env = dict(os.environ, FERROMQ_NODE_PKG=str(lay.node_pkg),
                        NODE_PATH=str(BENCH / "node_modules"))
        if lay.pypath:
            self.env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(lay.pypath), os.environ.get("PYTHONPATH", "")) if p)

    def once(self, client: str, job: dict, rep: int, extra: dict | None = None) -> dict | None:
        self.broker.ensure()
        s = job["scenario"]
        argv = [s, "--host", "127.0.0.1", "--port", str(self.broker.port),
                "--topic", f"bench/{client}/{rep}/{time.time_ns()}", "--inflight", "100"]
        for k in ("qos", "size", "count", "bytes"):
            if k in job:
                argv += [f"--{k}", str(job[k])]
        if s == "mem":
            argv += ["--conns", str(conns_for(client, job["conns"], self.fds))]
        if s == "burst":
            argv += ["--conns", str(job["conns"])]
        for k, v in (extra or {}).items():
            argv += [f"--{k}", str(v)]
        cmd = self.cores.wrap(self.cmds[client] + argv, "clients")
        ticks = self.broker.cpu_ticks()
        t = time.time()
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=self.env)
        timeout = max(self.args.timeout, job.get("timeout", 0))
        try:
            out, err = p.communicate(timeout=timeout)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            # SIGABRT first: Python clients (run with -X faulthandler) then print every
            # thread's stack, which lands in the failure message.
            p.send_signal(signal.SIGABRT)
            try:
                out, err = p.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                out, err = p.communicate()
            err = f"timed out after {timeout} s; stacks:\n{err}"
            rc = -1
        wall = time.time() - t
        line = next((l for l in reversed(out.splitlines()) if l.startswith("{")), None)
        what = f"{client} {job_key(job)} run {rep + 1}"
        if rc != 0 or line is None:
            msg = f"{what}: exit {rc}: {(err or out).strip()[-3000:]}"
            log("FAILED " + msg)
            self.failures.append(msg)
            return None
        rec = json.loads(line)
        rec.update({"client": client, "key": job_key(job), "rep": rep, "wall_s": round(wall, 3),
                    "broker_cpu_s": (self.broker.cpu_ticks() - ticks) / os.sysconf("SC_CLK_TCK")})
        rec.update({f"arg_{k}": v for k, v in (extra or {}).items()})
        if s == "thr" and rec["received"] < rec["sent"]:
            log(f"note: {what} received {rec['received']} of {rec['sent']}")
        self.raw_log.write(json.dumps(rec) + "\n")
        self.raw_log.flush()
        return rec

    def ceiling(self, job: dict, rep: int) -> dict | None:
        """One round of the ceiling: the raw generator with each nap, keeping the best."""
        best = None
        for nap in ([200] if self.args.smoke else CEILING_NAPS_US):
            rec = self.once("raw", job, rep, {"nap": nap})
            if rec and (best is None or rec["msgs_per_s"] > best["msgs_per_s"]):
                best = rec
        if best:
            self.naps.setdefault((job["qos"], job["size"]), []).append(best["arg_nap"])
        return best

    def go(self, jobs: list[dict], runs: int, only: set[str] | None) -> None:
        total = sum(len(j["clients"]) for j in jobs) * runs
        done = 0
        t0 = time.time()
        for rep in range(runs):
            for job in jobs:
                clients = [c for c in job["clients"] if only is None or c in only]
                # Rotate the order each round so no client always runs right after another.
                shift = rep % max(1, len(clients))
                for client in clients[shift:] + clients[:shift]:
                    if client == "raw" and job["scenario"] == "thr":
                        rec = self.ceiling(job, rep)
                    else:
                        rec = self.once(client, job, rep)
                    if rec:
                        self.records.append(rec)
                    done += 1
                    if job["scenario"] in ("mem", "burst"):
                        time.sleep(0.2 if self.args.smoke else 1.0)  # the broker drops them
                log(f"round {rep + 1}/{runs}: {job_key(job)} done ({done}/{total}, "
                    f"{time.time() - t0:.0f} s)")


# ---------------------------------------------------------------- the table

METRICS = {
    "thr": [("msgs_per_s", "msg/s")],
    "lat": [("p50_us", "p50 µs"), ("p99_us", "p99 µs"), ("p999_us", "p99.9 µs")],
    "mem": [("bytes_per_conn", "B/conn")],
    "burst": [("bytes_per_conn", "B/conn"), ("bytes_per_conn_closed", "B/conn closed")],
    "cps": [("conns_per_s", "conn/s")],
    "big": [("median_ms", "ms")],
    "loopback": [("mib_per_s", "MiB/s")],
}
LOWER_IS_BETTER = {"p50_us", "p99_us", "p999_us", "bytes_per_conn", "bytes_per_conn_closed",
                   "median_ms"}


def summarize(records: list[dict]) -> dict:
    """{(key, client, metric): {median, min, max, n}} plus per-key extras."""
    out: dict = {}
    groups: dict = {}
    for r in records:
        scen = r["scenario"]
        for metric, _ in METRICS.get(scen, []):
            v = r.get(metric)
            if v is None:
                continue
            groups.setdefault((r["key"], r["client"], metric), []).append(float(v))
        if scen == "thr":
            groups.setdefault((r["key"], r["client"], "lost"), []).append(r["sent"] - r["received"])
            groups.setdefault((r["key"], r["client"], "broker_cpu_s_per_msg"), []).append(
                r["broker_cpu_s"] / max(1, r["received"]))
        if scen == "mem":
            groups.setdefault((r["key"], r["client"], "conns"), []).append(r["conns"])
    for k, vals in groups.items():
        out[k] = {"median": statistics.median(vals), "min": min(vals), "max": max(vals),
                  "n": len(vals)}
    return out


def num(v: float, metric: str = "") -> str:
    if v is None:
        return "—"
    if metric in ("p50_us", "p99_us", "p999_us", "median_ms"):
        return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.2f}" if abs(v) < 10 else f"{v:.1f}"


def cell(s: dict, key: str, client: str, metric: str, spread: bool = True) -> str:
    x = s.get((key, client, metric))
    if not x:
        return "—"
    if not spread or x["n"] == 1:
        return num(x["median"], metric)
    return f"{num(x['median'], metric)} ({num(x['min'], metric)}–{num(x['max'], metric)})"


def med(s: dict, key: str, client: str, metric: str):
    x = s.get((key, client, metric))
    return x["median"] if x else None


def ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


def fmt_ratio(r) -> str:
    return "—" if r is None else f"{r:.2f}×"


def fmt_pct(r) -> str:
    return "—" if r is None else f"{100 * r:.0f}%"


def write_results(records, jobs, outdir: Path, meta: dict, failures: list[str]) -> list[dict]:
    s = summarize(records)
    keys = []
    for j in jobs:
        if job_key(j) not in keys:
            keys.append(job_key(j))
    runs = meta["runs"]
    md = [f"# ferromq bench — {meta['date']}", ""]
    md += [f"`{meta['command']}` · commit `{meta['commit']}` · {meta['machine']} · "
           f"mosquitto {meta['mosquitto']} (core {meta['broker_core']}), clients on core "
           f"{meta['client_core']} · median of {runs} run(s), (min–max) · peers: "
           f"{meta['peers']}", ""]
    if meta.get("smoke"):
        md += ["**Smoke run**: debug builds, tiny counts, one run. It shows that every client "
               "and scenario runs end to end; its numbers measure nothing.", ""]
    if failures:
        md += ["**Failed runs:**", ""] + [f"- {f}" for f in failures] + [""]
    rows_csv = []

    def csv_row(section, key, client, metric, extra=None):
        x = s.get((key, client, metric))
        if not x:
            return
        row = {"section": section, "config": key, "client": client, "metric": metric,
               "median": round(x["median"], 3), "min": round(x["min"], 3),
               "max": round(x["max"], 3), "runs": x["n"], "peer": "", "ratio_to_peer": "",
               "fraction_of_ceiling": ""}
        row.update(extra or {})
        rows_csv.append(row)

    # Throughput
    md += ["## Throughput: messages/s counted at the subscriber", "",
           "One publisher and one subscriber in one process, in-flight window 100. "
           "`ceil` = the share of the raw generator's rate (the broker's ceiling).", ""]
    for size in (16, KIB, 64 * KIB):
        sk = fmt_size(size)
        md += [f"### {sk} payload", "",
               "| client | QoS 0 | ceil | QoS 1 | ceil | QoS 2 | ceil |",
               "|---|---|---|---|---|---|---|"]
        for c in CLIENT_ORDER:
            line = [c]
            for q in (0, 1, 2):
                key = f"thr qos{q} {sk}"
                frac = ratio(med(s, key, c, "msgs_per_s"), med(s, key, "raw", "msgs_per_s"))
                lost = med(s, key, c, "lost")
                txt = cell(s, key, c, "msgs_per_s")
                if lost:
                    txt += f" ⚠ lost {lost:.0f}"
                line += [txt, fmt_pct(frac) if c != "raw" else "100%"]
                peer = FACES.get(c)
                csv_row("throughput", key, c, "msgs_per_s", {
                    "peer": peer or "",
                    "ratio_to_peer": round(ratio(med(s, key, c, "msgs_per_s"),
                                                 med(s, key, peer, "msgs_per_s")) or 0, 3) if peer else "",
                    "fraction_of_ceiling": round(frac, 3) if frac else ""})
                csv_row("throughput", key, c, "broker_cpu_s_per_msg")
            md.append("| " + " | ".join(line) + " |")
        md.append("")
    md += ["### Face ÷ peer (throughput; > 1 means the ferromq face is faster)", "",
           "| face ÷ peer | " + " | ".join(f"Q{q} {fmt_size(z)}" for z in (16, KIB, 64 * KIB)
                                            for q in (0, 1, 2)) + " |",
           "|---|" + "---|" * 9]
    for face, peer in FACES.items():
        cells = []
        for z in (16, KIB, 64 * KIB):
            for q in (0, 1, 2):
                key = f"thr qos{q} {fmt_size(z)}"
                cells.append(fmt_ratio(ratio(med(s, key, face, "msgs_per_s"),
                                             med(s, key, peer, "msgs_per_s"))))
        md.append(f"| {face} ÷ {peer} | " + " | ".join(cells) + " |")
    md.append("")

    # Latency
    md += ["## Round-trip latency, 16 B, one message in flight (µs)", "",
           "Publish to the client's own subscription; time from the publish call to the "
           "message handler.", "",
           "| client | QoS 0 p50 | p99 | p99.9 | QoS 1 p50 | p99 | p99.9 |",
           "|---|---|---|---|---|---|---|"]
    for c in CLIENT_ORDER:
        line = [c]
        for q in (0, 1):
            key = f"lat qos{q} 16 B"
            for m in ("p50_us", "p99_us", "p999_us"):
                line.append(cell(s, key, c, m, spread=(m == "p50_us")))
                peer = FACES.get(c)
                csv_row("latency", key, c, m, {
                    "peer": peer or "",
                    "ratio_to_peer": round(ratio(med(s, key, c, m), med(s, key, peer, m)) or 0, 3)
                    if peer else ""})
        md.append("| " + " | ".join(line) + " |")
    md.append("")

    # Memory
    md += ["## Memory per idle connection (bytes of RSS)", "",
           "RSS growth of one process holding N connected, idle clients, divided by N "
           "(baseline: after the first connection).", "",
           "| client | 1 000 connections | 10 000 connections |", "|---|---|---|"]
    for c in CLIENT_ORDER[1:]:
        line = [c]
        for n in (1000, 10000):
            key = f"mem {n}"
            txt = cell(s, key, c, "bytes_per_conn")
            got = med(s, key, c, "conns")
            if got is not None and got != n:
                txt += f" (at {got:,.0f} ¹)"
            line.append(txt)
            peer = FACES.get(c)
            csv_row("memory", key, c, "bytes_per_conn", {
                "peer": peer or "",
                "ratio_to_peer": round(ratio(med(s, key, c, "bytes_per_conn"),
                                             med(s, key, peer, "bytes_per_conn")) or 0, 3)
                if peer else ""})
        md.append("| " + " | ".join(line) + " |")
    md += ["", "¹ libmosquitto holds three descriptors per client (its socket and a "
           "socketpair); 10 000 of them do not fit this machine's hard limit of "
           f"{meta['nofile']} open files, so it is measured at the count shown.", ""]

    # Memory after a burst
    bj = next((j for j in jobs if j["scenario"] == "burst"), {**BURST, "scenario": "burst"})
    md += ["## Memory after a burst (bytes of RSS per client)", "",
           f"{bj['conns']} clients in one process, one after the other, each publish "
           f"{bj['count']:,} QoS {bj['qos']} messages of {fmt_size(bj['size'])} to their own "
           "subscription as fast as the library takes them, until every one has come back and "
           "been acknowledged; then they stay connected. RSS growth over the baseline (one "
           f"idle connection) divided by {bj['conns']}: a second after the last burst (every "
           "client idle and connected), and a second after every client was disconnected and "
           "dropped (freed, destroyed; Node and Python collect garbage first). Compare with "
           "an idle connection above.", "",
           "| client | after the burst (idle, connected) | after close |", "|---|---|---|"]
    for c in CLIENT_ORDER[1:]:
        md.append(f"| {c} | {cell(s, 'burst', c, 'bytes_per_conn')} "
                  f"| {cell(s, 'burst', c, 'bytes_per_conn_closed')} |")
        peer = FACES.get(c)
        for m in ("bytes_per_conn", "bytes_per_conn_closed"):
            csv_row("memory after a burst", "burst", c, m, {
                "peer": peer or "",
                "ratio_to_peer": round(ratio(med(s, "burst", c, m), med(s, "burst", peer, m)) or 0, 3)
                if peer else ""})
    md.append("")

    # Connections per second and the big message
    lb = med(s, "loopback", "raw", "mib_per_s")
    bound_ms = 2 * 16 / lb * 1000 if lb else None
    md += ["## Connections per second and the 16 MiB round trip", "",
           f"Loopback TCP bandwidth in this run: {num(lb)} MiB/s "
           f"({cell(s, 'loopback', 'raw', 'mib_per_s')}); a 16 MiB message crosses loopback "
           f"twice (to the broker and back), so the bound is {num(bound_ms)} ms.", "",
           "| client | CONNECT→CONNACK→DISCONNECT /s | 16 MiB round trip (ms) | bound ÷ time |",
           "|---|---|---|---|"]
    for c in CLIENT_ORDER:
        bt = med(s, "big", c, "median_ms")
        md.append(f"| {c} | {cell(s, 'cps', c, 'conns_per_s')} | {cell(s, 'big', c, 'median_ms')} "
                  f"| {fmt_pct(ratio(bound_ms, bt))} |")
        peer = FACES.get(c)
        for key, m in (("cps", "conns_per_s"), ("big", "median_ms")):
            csv_row("connections" if key == "cps" else "big message", key, c, m, {
                "peer": peer or "",
                "ratio_to_peer": round(ratio(med(s, key, c, m), med(s, key, peer, m)) or 0, 3)
                if peer else "",
                "fraction_of_ceiling": round(ratio(bound_ms, bt), 3)
                if key == "big" and bt and bound_ms else ""})
    csv_row("loopback", "loopback", "raw", "mib_per_s")
    md.append("")

    # Targets
    targets = check_targets(s)
    md += ["## Issue 6 targets", "", "| target | measured | met |", "|---|---|---|"]
    for t in targets:
        md.append(f"| {t['target']} | {t['measured']} | {'yes' if t['met'] else '**no**'} |")
    md.append("")
    naps = meta.get("naps")
    if naps:
        md += ["The ceiling's best nap in each round (µs between poll rounds; see README): " +
               "; ".join(f"Q{q} {fmt_size(z)}: {'/'.join(map(str, n))}"
                         for (q, z), n in sorted(naps.items())), ""]
    (outdir / "latest.md").write_text("\n".join(md) + "\n")
    with open(outdir / "latest.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows_csv[0].keys()) if rows_csv else ["section"])
        w.writeheader()
        w.writerows(rows_csv)
    return targets


def check_targets(s: dict) -> list[dict]:
    out = []

    def add(target, measured, met):
        out.append({"target": target, "measured": measured, "met": bool(met)})

    for face in FACES:
        for q in (0, 1):
            key = f"thr qos{q} 16 B"
            f = ratio(med(s, key, face, "msgs_per_s"), med(s, key, "raw", "msgs_per_s"))
            add(f"{face} ≥ 90% of the ceiling, QoS {q} 16 B", fmt_pct(f), f is not None and f >= 0.9)
    thr_keys = [f"thr qos{q} {fmt_size(z)}" for z in (16, KIB, 64 * KIB) for q in (0, 1, 2)]

    def ratios(face, keys):
        return [(k, ratio(med(s, k, face, "msgs_per_s"), med(s, k, FACES[face], "msgs_per_s")))
                for k in keys]

    def span(rs):
        vals = [r for _, r in rs if r is not None]
        if not vals:
            return "—", None
        lo = min(rs, key=lambda kr: kr[1] if kr[1] is not None else 1e18)
        return f"{min(vals):.2f}× (at {lo[0][4:]}) … {max(vals):.2f}×", min(vals)

    txt, lo = span(ratios("python-ferromq", thr_keys))
    add("python-ferromq ≥ 4× paho-mqtt (throughput, every configuration)", txt, lo and lo >= 4)
    q0 = [k for k in thr_keys if "qos0" in k]
    q12 = [k for k in thr_keys if "qos0" not in k]
    txt, lo = span(ratios("node-ferromq", q0))
    add("node-ferromq ≥ 1.5× MQTT.js at QoS 0", txt, lo and lo >= 1.5)
    txt, lo = span(ratios("node-ferromq", q12))
    add("node-ferromq ≥ 4× MQTT.js at QoS 1 and 2", txt, lo and lo >= 4)
    txt, lo = span(ratios("c-ferromq", thr_keys))
    add("c-ferromq ≥ libmosquitto (throughput)", txt, lo and lo >= 1)
    txt, lo = span(ratios("rust-ferromq", thr_keys))
    add("rust-ferromq ≥ rumqttc (throughput)", txt, lo and lo >= 1)
    for face in FACES:
        for q in (0, 1):
            key = f"lat qos{q} 16 B"
            a, b = med(s, key, face, "p50_us"), med(s, key, "c-mosquitto", "p50_us")
            add(f"{face} p50 latency ≤ libmosquitto's, QoS {q}",
                f"{num(a, 'p50_us')} vs {num(b, 'p50_us')} µs", a is not None and b and a <= b)
    for face in ("rust-ferromq", "c-ferromq"):
        for n in (1000, 10000):
            v = med(s, f"mem {n}", face, "bytes_per_conn")
            add(f"{face} ≤ 16 KiB per idle connection ({n:,})",
                f"{num(v)} B" if v is not None else "—", v is not None and v <= 16 * KIB)
    return out


# ---------------------------------------------------------------- main

def describe(cores: Cores, args, runs: int) -> dict:
    def out(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT).stdout.strip()
        except OSError:
            return ""
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    lock = (CLIENTS_DIR / "rust" / "Cargo.lock").read_text() if (CLIENTS_DIR / "rust" / "Cargo.lock").exists() else ""
    rumqttc = ""
    if 'name = "rumqttc"' in lock:
        rumqttc = lock.split('name = "rumqttc"', 1)[1].split('version = "', 1)[1].split('"', 1)[0]
    paho = out([str(VENV / "bin" / "python"), "-c", "import paho.mqtt; print(paho.mqtt.__version__)"])
    mqttjs = json.loads((BENCH / "node_modules" / "mqtt" / "package.json").read_text())["version"] \
        if (BENCH / "node_modules" / "mqtt" / "package.json").exists() else ""
    libmosq = out(["dpkg-query", "-W", "-f=${Version}", "libmosquitto1"])
    return {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "command": "bench/run" + (" --smoke" if args.smoke else "") +
                   (f" --runs {args.runs}" if args.runs else ""),
        "commit": out(["git", "rev-parse", "--short", "HEAD"]) +
                  ("+dirty" if out(["git", "status", "--porcelain", "--", "core", "ffi-c", "python", "node"]) else ""),
        "machine": f"{os.cpu_count()} × {model}, Linux {os.uname().release}",
        "mosquitto": out(["dpkg-query", "-W", "-f=${Version}", "mosquitto"]),
        "broker_core": cores.broker, "client_core": cores.clients, "runs": runs,
        "peers": f"rumqttc {rumqttc}, libmosquitto {libmosq}, paho-mqtt {paho}, MQTT.js {mqttjs}",
        "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[1],
        "smoke": args.smoke,
    }


def main() -> int:
    ap = argparse.ArgumentParser(prog="bench/run", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true",
                    help="every client and scenario with tiny counts, once (CI); results go "
                         "to bench/.build/smoke/, not bench/results/")
    ap.add_argument("--runs", type=int, default=0, help="runs per measurement (default 5; smoke 1)")
    ap.add_argument("--only", default="", help="comma-separated clients (raw, rust-ferromq, ...)")
    ap.add_argument("--scenarios", default="", help="comma-separated: thr,lat,mem,burst,cps,big,loopback")
    ap.add_argument("--no-build", action="store_true", help="skip installing and building")
    ap.add_argument("--timeout", type=int, default=60, help="seconds one client run may take")
    ap.add_argument("--out", default="", help="results folder (default bench/results)")
    args = ap.parse_args()

    runs = args.runs or (1 if args.smoke else 5)
    outdir = Path(args.out) if args.out else (BUILD / "smoke" if args.smoke else BENCH / "results")
    outdir.mkdir(parents=True, exist_ok=True)
    lay = Layout(args.smoke)
    t0 = time.time()
    if not args.no_build:
        install()
        build(lay)
        log(f"install and build: {time.time() - t0:.0f} s")
    cores = Cores()
    if not cores.pinned:
        log("warning: fewer than 2 cores available: the broker and the clients are not pinned")
    broker = Broker(cores, BUILD / "run")
    broker.start()
    log(f"mosquitto on 127.0.0.1:{broker.port} (core {cores.broker}); clients on core {cores.clients}")
    jobs = plan(args.smoke)
    if args.scenarios:
        wanted = set(args.scenarios.split(","))
        jobs = [j for j in jobs if j["scenario"] in wanted]
    only = set(args.only.split(",")) if args.only else None
    runner = Runner(args, lay, cores, broker, outdir)
    t1 = time.time()
    try:
        runner.go(jobs, runs, only)
    finally:
        broker.stop()
    meta = describe(cores, args, runs)
    meta["naps"] = runner.naps
    targets = write_results(runner.records, jobs, outdir, meta, runner.failures)
    log(f"measured in {time.time() - t1:.0f} s; wrote {outdir / 'latest.md'} and latest.csv")
    if not args.smoke:
        for t in targets:
            log(f"target {'met   ' if t['met'] else 'MISSED'} {t['target']}: {t['measured']}")
    if runner.failures:
        log(f"{len(runner.failures)} client run(s) failed:")
        for f in runner.failures:
            log("  " + f)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
