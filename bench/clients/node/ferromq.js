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

({ thr, lat, mem, cps, big })[A.scenario]()
  .then(() => process.exit(0)) // pending timers must not hold the process
  .catch((e) => c.fail(`[${e.code}] ${e.message}`));
