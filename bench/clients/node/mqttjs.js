'use strict';
// Bench client for MQTT.js (the peer of ferromq's Node face). Defaults changed, the same for
// every client of the bench: protocolVersion 4 (3.1.1, MQTT.js's default too), reconnectPeriod
// 0 (no automatic reconnection), TCP_NODELAY on the socket (MQTT.js leaves it off), and, as
// MQTT.js has no in-flight limit of its own, a publisher (thr, burst) keeps at most 100 QoS
// 1/2 publishes unacknowledged (and waits for every 256th QoS 0 write callback).
const c = require('./common');
const mqttjs = require('mqtt');

const NAME = 'node-mqttjs';
const A = c.args();
let seq = 0;

function connect(keepalive = 60) {
  seq += 1;
  return new Promise((resolve, reject) => {
    const cl = mqttjs.connect({
      host: A.host, port: A.port, protocolVersion: 4, clean: true, keepalive,
      reconnectPeriod: 0, clientId: `mqttjs-${process.pid}-${seq}`,
    });
    cl.once('connect', () => {
      if (cl.stream && cl.stream.setNoDelay) cl.stream.setNoDelay(true);
      resolve(cl);
    });
    cl.once('error', reject);
  });
}

const subscribe = (cl, qos, topic = A.topic) => new Promise((res, rej) => cl.subscribe(topic, { qos }, (e) => (e ? rej(e) : res())));
const end = (cl) => new Promise((res) => cl.end(false, {}, res));

// Publish A.count messages as fast as MQTT.js takes them; resolves once all are completed
// (acknowledged, or written at QoS 0). MQTT.js has no in-flight window of its own, so at
// QoS 1/2 at most A.inflight are left unacknowledged; at QoS 0 every 256th write callback
// is awaited.
async function publishAll(pub, topic, data) {
  if (A.qos === 0) {
    for (let i = 0; i < A.count; i++) {
      if ((i & 255) === 255 || i === A.count - 1) {
        await new Promise((r) => pub.publish(topic, data, { qos: 0 }, r));
      } else {
        pub.publish(topic, data, { qos: 0 });
      }
    }
    return;
  }
  await new Promise((resolve, reject) => {
    let sent = 0;
    let acked = 0;
    const pump = () => {
      while (sent < A.count && sent - acked < A.inflight) {
        sent += 1;
        pub.publish(topic, data, { qos: A.qos }, (e) => {
          if (e) return reject(e);
          acked += 1;
          if (acked === A.count) resolve();
          else pump();
        });
      }
    };
    pump();
  });
}

async function thr() {
  const sub = await connect();
  let got = 0;
  let last = 0;
  let resolveDone;
  const done = new Promise((r) => { resolveDone = r; });
  sub.on('message', () => {
    got += 1;
    last = c.now();
    if (got >= A.count) resolveDone();
  });
  await subscribe(sub, A.qos);
  const pub = await connect();
  const data = c.payload(A.size);
  const t0 = c.now();
  await publishAll(pub, A.topic, data);
  let seen = -1;
  while (got < A.count && got !== seen) {
    seen = got;
    await Promise.race([done, c.sleep(A.idle * 1000)]);
  }
  c.emitThr(NAME, A, got, last - t0);
  await end(sub);
  await end(pub);
}

async function lat() {
  const cl = await connect();
  let wake = null;
  cl.on('message', () => wake && wake());
  await subscribe(cl, A.qos);
  const data = c.payload(A.size);
  const warm = Math.min(Math.floor(A.count / 10), 1000);
  const us = [];
  for (let i = 0; i < A.count + warm; i++) {
    const gotIn = new Promise((r) => { wake = r; });
    const t = c.now();
    const acked = new Promise((r) => cl.publish(A.topic, data, { qos: A.qos }, r));
    await gotIn;
    const el = c.now() - t;
    await acked;
    if (i >= warm) us.push(el * 1e6);
  }
  c.emitLat(NAME, A, us);
  await end(cl);
}

async function mem() {
  await connect(600);
  await c.sleep(200);
  const before = c.rss();
  const keep = [];
  for (let i = 0; i < A.conns; i++) keep.push(await connect(600));
  await c.sleep(1000);
  c.emitMem(NAME, A.conns, before, c.rss());
  process.exit(0);
}

async function cps() {
  const t = c.now();
  for (let i = 0; i < A.count; i++) {
    const cl = await connect();
    await end(cl);
  }
  c.emitCps(NAME, A.count, c.now() - t);
}

async function big() {
  const cl = await connect();
  let wake = null;
  cl.on('message', (topic, msg) => wake && wake(msg.length));
  await subscribe(cl, 0);
  const data = c.payload(A.size);
  const ms = [];
  for (let i = 0; i < A.count; i++) {
    const got = new Promise((r) => { wake = r; });
    const t = c.now();
    cl.publish(A.topic, data, { qos: 0 });
    const len = await Promise.race([got, c.sleep(30000).then(() => -1)]);
    if (len !== A.size) c.fail(`the big message did not come back whole (${len})`);
    ms.push((c.now() - t) * 1e3);
  }
  c.emitBig(NAME, A.size, ms);
  await end(cl);
}

// One client of the burst: subscribes to its own topic and publishes A.count messages to it
// as thr does, until every one is received and completed. A function of its own, so that
// nothing of it stays alive in burst()'s async frame.
async function burstOne(topic, data) {
  const cl = await connect();
  let got = 0;
  let resolveIn;
  const allIn = new Promise((r) => { resolveIn = r; });
  cl.on('message', () => { got += 1; if (got >= A.count) resolveIn(); });
  await subscribe(cl, A.qos, topic);
  const late = setTimeout(() => c.fail('the burst did not come back within 120 s'), 120000);
  await publishAll(cl, topic, data);
  await allIn;
  clearTimeout(late);
  return cl;
}

// A.conns clients burst in turn and stay connected. RSS is read after they have all been
// idle a second, and again after they are ended and no longer referenced (c.rss() collects
// first under --expose-gc).
async function burst() {
  await connect();
  await c.sleep(200);
  const before = c.rss();
  let keep = [];
  const data = c.payload(A.size);
  for (let i = 0; i < A.conns; i++) keep.push(await burstOne(`${A.topic}/${i}`, data));
  await c.sleep(1000);
  const after = c.rss();
  // By index: a for-of variable would stay alive in this async frame, and with it the
  // last client.
  for (let i = 0; i < keep.length; i++) await end(keep[i]);
  keep = null;
  await c.sleep(1000);
  c.emitBurst(NAME, A, before, after, c.rss());
  process.exit(0);
}

({ thr, lat, mem, cps, big, burst })[A.scenario]()
  .then(() => process.exit(0)) // pending timers must not hold the process
  .catch((e) => c.fail(`${e.code || ''} ${e.message}`));
