'use strict';
// Event objects, their fields and types, ordering, EventEmitter behaviour and re-entrancy.
const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');
const { mqtt } = h;

const opts = { skip: h.NO_BROKER, timeout: 60000 };

function assertFields(e, fields) {
  assert.deepEqual(Object.keys(e).sort(), Object.keys(fields).sort());
  for (const [k, type] of Object.entries(fields)) {
    if (type === 'bytes') assert.ok(e[k] instanceof Uint8Array, `${k} is a Uint8Array`);
    else assert.equal(typeof e[k], type, k);
  }
}

const MESSAGE_FIELDS = {
  packetId: 'number',
  topic: 'string',
  QOS: 'number',
  message: 'string',
  messageB: 'bytes',
  retained: 'boolean',
  duplicate: 'boolean',
  properties: 'object',
};

test('every event carries the documented fields with the right types', opts, async (t) => {
  const m = new mqtt();
  m.timeout = 20;
  m.configSync('LogLevel=3');
  const seen = h.record(m, require('ferromq').EVENT_NAMES);
  await m.connectTo(h.HOST, h.PORT);
  t.after(() => h.closeQuietly(m));
  const topic = h.uniqueTopic('fields');
  await m.subscribe(topic, 1);
  await m.publishMessage(topic, 1, 'fields');
  await h.until(() => seen.some(([n]) => n === 'MessageOut') && seen.some(([n]) => n === 'MessageIn'), 'the message both ways');
  await m.unsubscribe(topic);
  await m.disconnect();

  const first = (name) => {
    const hit = seen.find(([n]) => n === name);
    assert.ok(hit, `${name} fired`);
    return hit[1];
  };
  assertFields(first('Connected'), { statusCode: 'number', description: 'string' });
  assertFields(first('ConnectionStatus'), { connectionEvent: 'string', statusCode: 'number', description: 'string' });
  assertFields(first('Disconnected'), { statusCode: 'number', description: 'string' });
  assertFields(first('Log'), { logLevel: 'number', message: 'string', logType: 'string' });
  assertFields(first('MessageAck'), { packetId: 'number', direction: 'number', index: 'number', responseCode: 'number' });
  assertFields(first('MessageIn'), MESSAGE_FIELDS);
  assertFields(first('MessageOut'), MESSAGE_FIELDS);
  assertFields(first('ReadyToSend'), {});
  assertFields(first('Subscribed'), { topicFilter: 'string', QOS: 'number', responseCode: 'number' });
  assertFields(first('Unsubscribed'), { topicFilters: 'string', responseCode: 'number' });

  const msgIn = first('MessageIn');
  assert.equal(msgIn.topic, topic);
  assert.equal(msgIn.QOS, 1);
  assert.equal(msgIn.message, 'fields');
  assert.ok(Buffer.isBuffer(msgIn.messageB));
  assert.equal(msgIn.retained, false);
  assert.equal(msgIn.duplicate, false);
  const logs = seen.filter(([n]) => n === 'Log').map(([, e]) => e);
  assert.ok(logs.every((l) => l.logLevel >= 1 && l.logLevel <= 3));
  // Order of the connection's life.
  const names = seen.map(([n]) => n);
  assert.ok(names.indexOf('Connected') < names.indexOf('Subscribed'));
  assert.ok(names.indexOf('Subscribed') < names.indexOf('MessageIn'));
  assert.ok(names.lastIndexOf('Disconnected') > names.indexOf('Unsubscribed'));
});

test('message text is lossy UTF-8 and messageB the exact bytes; QoS 0 has packetId -1', opts, async (t) => {
  const m = await h.connected();
  t.after(() => h.closeQuietly(m));
  const topic = h.uniqueTopic('utf8');
  await m.subscribe(topic, 0);
  const got = h.nextEvent(m, 'MessageIn');
  const bytes = Uint8Array.from([0x68, 0xff, 0x69, 0xe2, 0x82, 0xac]);
  await m.publishData(topic, 0, bytes);
  const e = await got;
  assert.equal(e.packetId, -1);
  assert.equal(e.QOS, 0);
  assert.equal(e.message, 'h\ufffdi\u20ac');
  assert.deepEqual([...e.messageB], [...bytes]);
  // publishMessage sends the string's UTF-8.
  const got2 = h.nextEvent(m, 'MessageIn');
  await m.publishMessage(topic, 0, 'grüße ✓');
  const e2 = await got2;
  assert.equal(e2.message, 'grüße ✓');
  assert.ok(Buffer.from(e2.messageB).equals(Buffer.from('grüße ✓', 'utf8')));
  await m.disconnect();
});

test('publishData takes Buffer, Uint8Array, ArrayBuffer and other views', opts, async (t) => {
  const m = await h.connected();
  t.after(() => h.closeQuietly(m));
  const topic = h.uniqueTopic('views');
  const got = [];
  m.on('MessageIn', (e) => got.push(Buffer.from(e.messageB).toString('hex')));
  await m.subscribe(topic, 0);
  const ab = new ArrayBuffer(4);
  new Uint8Array(ab).set([1, 2, 3, 4]);
  const big = new Uint8Array([9, 9, 5, 6, 7, 9]);
  await m.publishData(topic, 0, Buffer.from([0xaa]));
  await m.publishData(topic, 0, new Uint8Array([0xbb, 0xcc]));
  await m.publishData(topic, 0, ab);
  await m.publishData(topic, 0, new DataView(big.buffer, 2, 3));
  await m.publishData(topic, 0, new Uint16Array([0x0102]));
  await h.until(() => got.length === 5, 'five messages');
  assert.deepEqual(got.slice(0, 4), ['aa', 'bbcc', '01020304', '050607']);
  assert.equal(got[4].length, 4);
  await m.disconnect();
});

test('a payload is copied at publish time: changing the buffer afterwards changes nothing', opts, async (t) => {
  const m = await h.connected();
  t.after(() => h.closeQuietly(m));
  const topic = h.uniqueTopic('copy');
  await m.subscribe(topic, 1);
  const got = h.nextEvent(m, 'MessageIn');
  const buf = Buffer.from('original');
  const p = m.publishData(topic, 1, buf);
  buf.fill(0x21);
  await p;
  assert.equal((await got).message, 'original');
  await m.disconnect();
});

test('events fired by a call come before its Promise settles', opts, async (t) => {
  const m = new mqtt();
  m.timeout = 20;
  const seen = [];
  for (const n of ['Connected', 'Subscribed', 'Unsubscribed', 'Disconnected']) m.on(n, () => seen.push(n));
  await m.connectTo(h.HOST, h.PORT);
  t.after(() => h.closeQuietly(m));
  assert.deepEqual(seen, ['Connected']);
  const topic = h.uniqueTopic('order');
  await m.subscribe(`${topic}/a,${topic}/b`, 0);
  assert.deepEqual(seen, ['Connected', 'Subscribed', 'Subscribed']);
  await m.unsubscribe(`${topic}/a,${topic}/b`);
  assert.deepEqual(seen.at(-1), 'Unsubscribed');
  await m.disconnect();
  assert.deepEqual(seen.at(-1), 'Disconnected');
});

test('once and off behave like any EventEmitter', opts, async (t) => {
  const m = await h.connected();
  t.after(() => h.closeQuietly(m));
  const topic = h.uniqueTopic('once');
  let onceCount = 0;
  let offCount = 0;
  const all = [];
  const offListener = () => { offCount++; };
  m.once('MessageIn', () => { onceCount++; });
  m.on('MessageIn', offListener);
  m.on('MessageIn', (e) => all.push(e.message));
  m.off('MessageIn', offListener);
  assert.equal(m.listenerCount('MessageIn'), 2);
  await m.subscribe(topic, 0);
  await m.publishMessage(topic, 0, '1');
  await m.publishMessage(topic, 0, '2');
  await h.until(() => all.length === 2, 'two messages');
  assert.equal(onceCount, 1);
  assert.equal(offCount, 0);
  assert.equal(m.listenerCount('MessageIn'), 1);
  await m.disconnect();
});

test('a MessageIn listener may publish on the same client (re-entrancy)', opts, async (t) => {
  const m = await h.connected();
  t.after(() => h.closeQuietly(m));
  const ping = h.uniqueTopic('ping');
  const pong = h.uniqueTopic('pong');
  const pongs = [];
  m.on('MessageIn', (e) => {
    if (e.topic === ping) {
      // Both forms: fire-and-forget and awaited inside an async listener.
      m.publishMessage(pong, 1, `pong ${e.message}`).catch((err) => pongs.push(err));
    } else {
      pongs.push(e.message);
    }
  });
  m.on('MessageIn', async (e) => {
    if (e.topic === ping) await m.publishMessage(pong, 0, `async ${e.message}`);
  });
  await m.subscribe(`${ping},${pong}`, 1);
  for (let i = 0; i < 5; i++) await m.publishMessage(ping, 1, String(i));
  await h.until(() => pongs.length === 10, 'ten replies');
  assert.deepEqual(pongs.filter((p) => typeof p === 'string' && p.startsWith('pong')).sort(),
    ['pong 0', 'pong 1', 'pong 2', 'pong 3', 'pong 4']);
  assert.equal(pongs.filter((p) => typeof p === 'string' && p.startsWith('async')).length, 5);
  await m.disconnect();
});

test('a listener may disconnect and reconnect the client from inside events', opts, async (t) => {
  const m = new mqtt();
  m.timeout = 20;
  let connects = 0;
  const done = new Promise((resolve, reject) => {
    m.on('Connected', (e) => {
      if (e.statusCode !== 0) return reject(new Error(e.description));
      connects++;
      if (connects === 1) m.disconnect().catch(reject);
      else resolve();
    });
    m.on('Disconnected', () => {
      if (connects === 1) m.connect().catch(reject);
    });
  });
  await m.connectTo(h.HOST, h.PORT);
  t.after(() => h.closeQuietly(m));
  await done;
  assert.equal(m.connected, true);
  await m.disconnect();
});

test('thousands of messages arrive complete and in order, in batches', opts, async (t) => {
  const m = await h.connected();
  t.after(() => h.closeQuietly(m));
  const topic = h.uniqueTopic('many');
  const N = 5000;
  const got = [];
  m.on('MessageIn', (e) => got.push(Number(e.message)));
  await m.subscribe(topic, 0);
  const sends = [];
  for (let i = 0; i < N; i++) sends.push(m.publishMessage(topic, 0, String(i)));
  await Promise.all(sends);
  await h.until(() => got.length === N, `${N} messages`, 30000);
  for (let i = 0; i < N; i++) assert.equal(got[i], i);
  await m.disconnect();
});

test('the server taking over our client id gives Error and Disconnected with a code', opts, async (t) => {
  const id = `ferromq-node-takeover-${process.pid}-${Date.now()}`;
  const a = new mqtt();
  a.clientId = id;
  a.timeout = 20;
  await a.connectTo(h.HOST, h.PORT);
  t.after(() => h.closeQuietly(a));
  const error = h.nextEvent(a, 'Error');
  const disconnected = h.nextEvent(a, 'Disconnected');
  const b = new mqtt();
  b.clientId = id;
  b.timeout = 20;
  await b.connectTo(h.HOST, h.PORT);
  t.after(() => h.closeQuietly(b));
  const d = await disconnected;
  assert.notEqual(d.statusCode, 0);
  const e = await error;
  assert.equal(e.errorCode, d.statusCode);
  assert.equal(typeof e.description, 'string');
  assert.equal(a.connected, false);
  assert.equal(b.connected, true);
  await b.disconnect();
});

test('Timeout 0: calls still resolve once the server answered', opts, async (t) => {
  const m = new mqtt();
  m.timeout = 0;
  await m.connectTo(h.HOST, h.PORT);
  t.after(() => h.closeQuietly(m));
  assert.equal(m.connected, true);
  const topic = h.uniqueTopic('t0');
  const sub = h.nextEvent(m, 'Subscribed');
  await m.subscribe(topic, 2);
  assert.equal((await sub).QOS, 2);
  await m.disconnect();
  assert.equal(m.connected, false);
});

test('MQTT 5.0 round trip with the same events', opts, async (t) => {
  const m = await h.connected(1);
  t.after(() => h.closeQuietly(m));
  const topic = h.uniqueTopic('v5');
  const sub = h.nextEvent(m, 'Subscribed');
  await m.subscribe(topic, 2);
  assert.equal((await sub).responseCode, 2);
  const got = h.nextEvent(m, 'MessageIn');
  await m.publishMessage(topic, 2, 'five');
  const e = await got;
  assert.equal(e.message, 'five');
  assert.equal(e.QOS, 2);
  await m.disconnect();
});

test('retained messages are flagged', opts, async (t) => {
  const m = await h.connected();
  t.after(() => h.closeQuietly(m));
  const topic = h.uniqueTopic('retain');
  m.configSync('Retain=true');
  await m.publishMessage(topic, 1, 'kept');
  m.configSync('Retain=false');
  const got = h.nextEvent(m, 'MessageIn');
  await m.subscribe(topic, 1);
  const e = await got;
  assert.equal(e.message, 'kept');
  assert.equal(e.retained, true);
  // Clear the retained message.
  m.configSync('Retain=true');
  await m.publishMessage(topic, 1, '');
  m.configSync('Retain=false');
  await m.disconnect();
});

test('doEvents inside a listener does not reorder events', opts, async (t) => {
  const m = await h.connected();
  t.after(() => h.closeQuietly(m));
  const topic = h.uniqueTopic('nested');
  const got = [];
  m.on('MessageIn', (e) => {
    got.push(Number(e.message));
    // Asks for a drain while one is in progress: must be a no-op for ordering.
    m.doEvents();
  });
  await m.subscribe(topic, 0);
  const N = 500;
  const sends = [];
  for (let i = 0; i < N; i++) sends.push(m.publishMessage(topic, 0, String(i)));
  await Promise.all(sends);
  await h.until(() => got.length === N, `${N} messages`);
  assert.deepEqual(got, Array.from({ length: N }, (_, i) => i));
  await m.disconnect();
});

const COLLECTION_FIELDS = {
  packetId: 'number',
  topic: 'string',
  QoS: 'number',
  message: 'string',
  messageB: 'bytes',
  retained: 'boolean',
  duplicate: 'boolean',
  state: 'number',
  contentType: 'string',
  correlationData: 'string',
  messageExpInterval: 'number',
  payloadFormatIndicator: 'number',
  responseTopic: 'string',
  subscriptionIdentifiers: 'string',
  topicAlias: 'number',
};

test('collection entries carry every MQTTMessage field (MQTT 5.0), frozen', opts, async (t) => {
  const m = await h.connected(1);
  t.after(() => h.closeQuietly(m));
  const topic = h.uniqueTopic('entries');
  const entries = [];
  m.on('MessageAck', (e) => {
    const list = e.direction === 0 ? m.outgoingMessages : m.incomingMessages;
    entries.push([e.direction, list[e.index], list]);
  });
  await m.subscribe(topic, 1);
  await m.publishMessage(topic, 1, 'fields');
  await h.until(() => entries.length === 2, 'both MessageAcks');
  for (const [direction, msg, list] of entries) {
    assert.ok(msg, `direction ${direction}: listed at index`);
    assertFields(msg, COLLECTION_FIELDS);
    assert.ok(Buffer.isBuffer(msg.messageB));
    assert.equal(msg.message, 'fields');
    assert.equal(msg.QoS, 1);
    assert.equal(msg.contentType, '');
    assert.equal(msg.topicAlias, 0);
    assert.ok(Object.isFrozen(msg) && Object.isFrozen(list));
    assert.throws(() => { msg.topic = 'changed'; }, TypeError);
  }
  await m.disconnect();
});

test('interrupt rejects every call still waiting with 301, at once', opts, async (t) => {
  // A connect waiting for a silent listener, with no time limit.
  const server = await h.silentListener();
  t.after(() => server.close());
  const m = new mqtt();
  t.after(() => h.closeQuietly(m));
  m.timeout = 0;
  const connecting = m.connectTo('127.0.0.1', server.port).then(() => null, (e) => e);
  await h.until(() => server.sockets.length === 1, 'the TCP connection');
  const started = Date.now();
  await m.interrupt();
  const err = await connecting;
  assert.ok(Date.now() - started < 500);
  assert.equal(err && err.code, 301);
  assert.match(err.message, /interrupted while connecting/);
  await h.until(() => server.closed === 1, 'the attempt closed');
  assert.equal(m.connected, false);

  // The client is usable afterwards.
  m.timeout = 20;
  await m.connectTo(h.HOST, h.PORT);
  assert.equal(m.connected, true);
  await m.disconnect();
});

test('reset during a connection attempt abandons it and waits for it to end', opts, async (t) => {
  const server = await h.silentListener();
  t.after(() => server.close());
  const m = new mqtt();
  m.timeout = 30;
  const failed = h.nextEvent(m, 'Connected');
  const connecting = m.connectTo('127.0.0.1', server.port).then(() => null, (e) => e);
  await h.until(() => server.sockets.length === 1, 'the TCP connection');
  await m.reset();
  assert.equal((await connecting).code, 301);
  const e = await failed;
  assert.notEqual(e.statusCode, 0, 'the attempt is reported as failed');
  assert.equal(m.remoteHost, '');
  assert.equal(m.remotePort, 1883);
  assert.equal(m.timeout, 60);
  await h.until(() => server.closed === 1, 'the attempt closed');
});

test('with timeout > 0 a publish over the send buffer bound waits instead of failing', opts, async (t) => {
  const m = await h.connected();
  t.after(() => h.closeQuietly(m));
  const topic = h.uniqueTopic('bigwait');
  let n = 0;
  m.on('MessageIn', () => { n++; });
  await m.subscribe(topic, 0);
  const big = Buffer.alloc(6 << 20, 7);
  await Promise.all([m.publishData(topic, 0, big), m.publishData(topic, 0, big), m.publishMessage(topic, 0, 'x')]);
  await h.until(() => n === 3, 'three messages', 30000);
  assert.equal(m.isReadyToSend(), true);
  await m.disconnect();
});

test('restoreSession is refused while connected; a saved session resumes elsewhere', opts, async (t) => {
  const m = await h.connected();
  t.after(() => h.closeQuietly(m));
  const saved = await m.saveSession();
  await assert.rejects(m.restoreSession(saved), (err) => err.code === 211 && /RestoreSession/.test(err.message));
  await m.disconnect();
  const other = new mqtt();
  other.clientId = h.uniqueClientId('restored');
  await other.restoreSession(saved);
  assert.equal(other.cleanSession, false);
  other.timeout = 20;
  await other.connectTo(h.HOST, h.PORT);
  t.after(() => h.closeQuietly(other));
  assert.equal(other.connected, true);
  await other.disconnect();
});

test('a QoS 1/2 publish joins outgoingMessages when pending events are delivered (doEvents)', opts, async (t) => {
  // A broker frozen after CONNACK acknowledges nothing, so what is listed stays listed.
  const broker = await h.privateBroker();
  t.after(() => broker.stop());
  const topic = h.uniqueTopic('listed');
  for (const timeout of [5, 0]) {
    const m = new mqtt();
    t.after(() => h.closeQuietly(m));
    m.timeout = 5;
    await m.connectTo('127.0.0.1', broker.port);
    broker.pause();
    m.timeout = timeout;
    await m.publishMessage(topic, 1, `one ${timeout}`);
    await m.doEvents();
    assert.deepEqual(m.outgoingMessages.map((x) => [x.message, x.QoS]), [[`one ${timeout}`, 1]], `timeout ${timeout}`);
    await m.publishData(topic, 2, Buffer.from('two'));
    await m.publishMessage(topic, 0, 'zero');
    await m.doEvents();
    assert.deepEqual(m.outgoingMessages.map((x) => [x.message, x.QoS]), [[`one ${timeout}`, 1], ['two', 2]],
      'QoS 0 is never listed');
    await m.reset();
    broker.resume();
  }
});

test('events nobody listens to are left out without holding back the ones after them', opts, async (t) => {
  const m = await h.connected();
  const p = await h.connected();
  t.after(() => h.closeQuietly(m));
  t.after(() => h.closeQuietly(p));
  const topic = h.uniqueTopic('unheard');
  await m.subscribe(topic, 0);
  const unsubscribed = h.nextEvent(m, 'Unsubscribed');
  // Three batches' worth of MessageIn nobody listens to, then an event someone does, all
  // queued while this thread is busy.
  const sent = [];
  for (let i = 0; i < 1500; i++) sent.push(p.publishData(topic, 0, Buffer.from([i & 0xff])));
  await Promise.all(sent);
  const unsubscribing = m.unsubscribe(topic);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);
  await unsubscribing;
  const e = await unsubscribed;
  assert.equal(e.topicFilters, topic);
  await m.disconnect();
  await p.disconnect();
});

test('the text form is made on first read, and can be replaced like any field', opts, async (t) => {
  const m = await h.connected();
  t.after(() => h.closeQuietly(m));
  const topic = h.uniqueTopic('lazytext');
  await m.subscribe(topic, 0);
  const got = h.nextEvent(m, 'MessageIn');
  // Large enough for the text to be made in JavaScript.
  const bytes = Buffer.concat([Buffer.from([0x61, 0xc3, 0x28, 0x62]), Buffer.alloc(8192, 0x7a)]);
  const text = 'a\ufffd(b' + 'z'.repeat(8192);
  await m.publishData(topic, 0, bytes);
  const e = await got;
  assert.deepEqual(Object.keys(e), ['packetId', 'topic', 'QOS', 'message', 'messageB', 'retained', 'duplicate', 'properties']);
  assert.equal(JSON.parse(JSON.stringify(e)).message, text);
  assert.equal(e.message, text);
  e.message = 'changed';
  assert.equal(e.message, 'changed');
  assert.equal({ ...e }.message, 'changed');
  await m.disconnect();
});
