'use strict';
// Bench client for ferromq's Node face (events batched onto the JS thread, methods return
// Promises). The only setting changed: MaxInflight=100 (the 3.1.1 default is 20).
// FERROMQ_NODE_PKG names the package folder (bench/run builds a release copy of node/).
const path = require('node:path');
const c = require('./common');
const { mqtt } = require(process.env.FERROMQ_NODE_PKG || path.join(__dirname, '../../../node'));

const NAME = 'node-ferromq';
const A = c.args();

async function client() {
  const m = new mqtt();
  await m.config(`MaxInflight=${A.inflight}`);
  return m;
}

async function thr() {
  const sub = await client();
  let got = 0;
  let last = 0;
  let resolveDone;
  const done = new Promise((r) => { resolveDone = r; });
  sub.on('MessageIn', () => {
    got += 1;
    last = c.now();
    if (got >= A.count) resolveDone();
  });
  await sub.connectTo(A.host, A.port);
  await sub.subscribe(A.topic, A.qos);
  const pub = await client();
  await pub.connectTo(A.host, A.port);
  const data = c.payload(A.size);
  const t0 = c.now();
  // Publishes resolve once queued; awaiting every 256th keeps the pending Promises bounded
  // while the engine's send buffer (and MaxInflight) do the flow control.
  for (let i = 0; i < A.count; i++) {
    const p = pub.publishData(A.topic, A.qos, data);
    if ((i & 255) === 255 || i === A.count - 1) await p;
  }
  let seen = -1;
  while (got < A.count && got !== seen) { // stop when arrivals stop (QoS 0 lost)
    seen = got;
    await Promise.race([done, c.sleep(A.idle * 1000)]);
  }
  c.emitThr(NAME, A, got, last - t0);
  await sub.disconnect();
  await pub.disconnect();
}

async function lat() {
  const m = await client();
  let wakeIn = null;
  let wakeOut = null;
  m.on('MessageIn', () => wakeIn && wakeIn());
  m.on('MessageOut', () => wakeOut && wakeOut());
  await m.connectTo(A.host, A.port);
  await m.subscribe(A.topic, A.qos);
  const data = c.payload(A.size);
  const warm = Math.min(Math.floor(A.count / 10), 1000);
  const us = [];
  for (let i = 0; i < A.count + warm; i++) {
    const gotIn = new Promise((r) => { wakeIn = r; });
    const gotOut = new Promise((r) => { wakeOut = r; });
    const t = c.now();
    await m.publishData(A.topic, A.qos, data);
    await gotIn;
    const el = c.now() - t;
    await gotOut;
    if (i >= warm) us.push(el * 1e6);
  }
  c.emitLat(NAME, A, us);
  await m.disconnect();
}

async function mem() {
  const first = new mqtt();
  await first.connectTo(A.host, A.port);
  await c.sleep(200);
  const before = c.rss();
  const keep = [];
  for (let i = 0; i < A.conns; i++) {
    const m = new mqtt();
    await m.connectTo(A.host, A.port);
    keep.push(m);
  }
  await c.sleep(1000);
  c.emitMem(NAME, A.conns, before, c.rss());
  process.exit(0);
}

async function cps() {
  const m = new mqtt();
  const t = c.now();
  for (let i = 0; i < A.count; i++) {
    await m.connectTo(A.host, A.port);
    await m.disconnect();
  }
  c.emitCps(NAME, A.count, c.now() - t);
}

async function big() {
  const m = await client();
  let wake = null;
  m.on('MessageIn', (e) => wake && wake(e.messageB.length));
  await m.connectTo(A.host, A.port);
  await m.subscribe(A.topic, 0);
  const data = c.payload(A.size);
  const ms = [];
  for (let i = 0; i < A.count; i++) {
    const got = new Promise((r) => { wake = r; });
    const t = c.now();
    await m.publishData(A.topic, 0, data);
    const len = await Promise.race([got, c.sleep(30000).then(() => -1)]);
    if (len !== A.size) c.fail(`the big message did not come back whole (${len})`);
    ms.push((c.now() - t) * 1e3);
  }
  c.emitBig(NAME, A.size, ms);
  await m.disconnect();
}

// One client of the burst: subscribes to its own topic and publishes A.count messages to it
// as thr does, until every one is received and acknowledged (MessageOut). A function of its
// own, so that nothing of it stays alive in burst()'s async frame.
async function burstOne(topic, data) {
  const m = await client();
  let got = 0;
  let acked = 0;
  let resolveDone;
  const done = new Promise((r) => { resolveDone = r; });
  const check = () => { if (got >= A.count && acked >= A.count) resolveDone(); };
  m.on('MessageIn', () => { got += 1; check(); });
  m.on('MessageOut', () => { acked += 1; check(); });
  await m.connectTo(A.host, A.port);
  await m.subscribe(topic, A.qos);
  for (let k = 0; k < A.count; k++) {
    const p = m.publishData(topic, A.qos, data);
    if ((k & 255) === 255 || k === A.count - 1) await p;
  }
  const late = setTimeout(() => c.fail('the burst did not come back within 120 s'), 120000);
  await done;
  clearTimeout(late);
  return m;
}

// A.conns clients burst in turn and stay connected. RSS is read after they have all been
// idle a second, and again after they are disconnected and no longer referenced (c.rss()
// collects first under --expose-gc).
async function burst() {
  const first = await client();
  await first.connectTo(A.host, A.port);
  await c.sleep(200);
  const before = c.rss();
  let keep = [];
  const data = c.payload(A.size);
  for (let i = 0; i < A.conns; i++) keep.push(await burstOne(`${A.topic}/${i}`, data));
  await c.sleep(1000);
  const after = c.rss();
  // By index: a for-of variable would stay alive in this async frame, and with it the
  // last client.
  for (let i = 0; i < keep.length; i++) await keep[i].disconnect();
  keep = null;
  await c.sleep(1000);
  c.emitBurst(NAME, A, before, after, c.rss());
  process.exit(0);
}

({ thr, lat, mem, cps, big, burst })[A.scenario]()
  .then(() => process.exit(0)) // pending timers must not hold the process
  .catch((e) => c.fail(`[${e.code}] ${e.message}`));
