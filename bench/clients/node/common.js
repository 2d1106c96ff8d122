'use strict';
// What the Node bench clients share: the command line, RSS, percentiles, output.
const { performance } = require('node:perf_hooks');

function args() {
  const argv = process.argv.slice(2);
  if (argv.length < 1) fail('usage: PROG thr|lat|mem|cps|big|burst [--key value]...');
  const a = {
    scenario: argv[0], host: '127.0.0.1', port: 1883, qos: 0, size: 16, count: 1000,
    inflight: 100, conns: 100, topic: `bench/${process.pid}`, idle: 3,
  };
  for (let i = 1; i + 1 < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '');
    a[k] = typeof a[k] === 'string' ? argv[i + 1] : Number(argv[i + 1]);
  }
  return a;
}

function fail(msg) {
  process.stderr.write(`${msg}\n`);
  process.exit(2);
}

const now = () => performance.now() / 1000;

function payload(size) {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = 97 + (i % 26);
  return b;
}

function pct(sorted, p) {
  if (!sorted.length) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

function emit(o) {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

function emitThr(client, a, got, secs) {
  emit({ client, scenario: 'thr', qos: a.qos, size: a.size, sent: a.count, received: got, secs,
    msgs_per_s: got / secs, mib_per_s: (got * a.size) / secs / 1048576 });
}
function emitLat(client, a, us) {
  us.sort((x, y) => x - y);
  emit({ client, scenario: 'lat', qos: a.qos, size: a.size, n: us.length,
    p50_us: pct(us, 50), p99_us: pct(us, 99), p999_us: pct(us, 99.9) });
}
function emitMem(client, conns, before, after) {
  emit({ client, scenario: 'mem', conns, rss_before: before, rss_after: after,
    bytes_per_conn: (after - before) / conns });
}
function emitCps(client, n, secs) {
  emit({ client, scenario: 'cps', n, secs, conns_per_s: n / secs });
}
function emitBig(client, size, ms) {
  ms.sort((x, y) => x - y);
  emit({ client, scenario: 'big', size, n: ms.length, median_ms: pct(ms, 50), min_ms: ms[0] });
}

// Memory after a burst: RSS growth per client once every client has sent and received its
// burst and gone idle (after), and once they are all disconnected and dropped (closed).
function emitBurst(client, a, before, after, closed) {
  const per = (x) => Math.max(0, x - before) / a.conns;
  emit({ client, scenario: 'burst', qos: a.qos, conns: a.conns, count: a.count,
    rss_before: before, rss_after: after, rss_closed: closed,
    bytes_per_conn: per(after), bytes_per_conn_closed: per(closed) });
}

function rss() {
  if (global.gc) global.gc();
  return process.memoryUsage().rss;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = {
  args, fail, now, payload, emitThr, emitLat, emitMem, emitCps, emitBig, emitBurst, rss, sleep,
};
