'use strict';
// The cross-language scenarios of tests/scenarios.tsv, one test named scenario_<id> each.
const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');
const { mqtt } = h;

const opts = { skip: h.NO_BROKER, timeout: 60000 };

async function connectScenario(t, version) {
  const m = new mqtt();
  m.version = version;
  m.timeout = 20;
  const seen = h.record(m, ['Connected', 'Disconnected']);
  await m.connectTo(h.HOST, h.PORT);
  t.after(() => h.closeQuietly(m));
  // Connected has fired by the time connectTo resolves.
  assert.deepEqual(seen.map(([n]) => n), ['Connected']);
  assert.equal(seen[0][1].statusCode, 0);
  assert.equal(typeof seen[0][1].description, 'string');
  assert.equal(m.connected, true);
  assert.equal(m.isConnected(), true);
  assert.equal(m.version, version);
  await m.disconnect();
  assert.deepEqual(seen.map(([n]) => n), ['Connected', 'Disconnected']);
  assert.equal(seen[1][1].statusCode, 0);
  assert.equal(m.connected, false);
}

test('scenario_connect_v311: MQTT 3.1.1 connect and disconnect', opts, (t) => connectScenario(t, 0));

test('scenario_connect_v5: MQTT 5.0 connect and disconnect', opts, (t) => connectScenario(t, 1));

const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);
const EMPTY = new Uint8Array(0);
const ONE_MIB = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 7 + 3) & 0xff);
const PAYLOADS = [ALL_BYTES, EMPTY, ONE_MIB];

async function roundtrip(t, qos) {
  const m = await h.connected();
  t.after(() => h.closeQuietly(m));
  const topic = h.uniqueTopic(`qos${qos}`);
  const got = [];
  const acks = [];
  const outs = [];
  m.on('MessageIn', (e) => got.push(e));
  m.on('MessageAck', (e) => acks.push(e));
  m.on('MessageOut', (e) => outs.push(e));
  await m.subscribe(topic, qos);
  for (const p of PAYLOADS) await m.publishData(topic, qos, p);
  await h.until(() => got.length >= PAYLOADS.length && outs.length >= PAYLOADS.length,
    `${PAYLOADS.length} messages in and out`, 30000);
  assert.equal(got.length, PAYLOADS.length);
  for (let i = 0; i < PAYLOADS.length; i++) {
    const e = got[i];
    assert.equal(e.topic, topic);
    assert.equal(e.QOS, qos);
    assert.ok(e.messageB instanceof Uint8Array);
    assert.equal(e.messageB.length, PAYLOADS[i].length);
    assert.ok(Buffer.from(e.messageB).equals(Buffer.from(PAYLOADS[i])), `payload ${i} differs`);
    if (qos === 0) assert.equal(e.packetId, -1);
    else assert.ok(e.packetId > 0);
  }
  assert.equal(outs.length, PAYLOADS.length);
  for (let i = 0; i < PAYLOADS.length; i++) {
    assert.equal(outs[i].topic, topic);
    assert.equal(outs[i].QOS, qos);
    assert.ok(Buffer.from(outs[i].messageB).equals(Buffer.from(PAYLOADS[i])));
  }
  const outAcks = acks.filter((a) => a.direction === 0);
  const inAcks = acks.filter((a) => a.direction === 1);
  if (qos === 0) {
    assert.equal(acks.length, 0);
  } else {
    assert.equal(outAcks.length, PAYLOADS.length);
    assert.deepEqual(outAcks.map((a) => a.packetId).sort(), outs.map((o) => o.packetId).sort());
  }
  if (qos === 2) assert.equal(inAcks.length, PAYLOADS.length);
  await m.disconnect();
}

test('scenario_qos0_roundtrip: binary, empty and 1 MiB payloads at QoS 0', opts, (t) => roundtrip(t, 0));

test('scenario_qos1_roundtrip: the same at QoS 1 with MessageAck and MessageOut', opts, (t) => roundtrip(t, 1));

test('scenario_qos2_roundtrip: the same at QoS 2, acks both ways', opts, (t) => roundtrip(t, 2));

test('scenario_multi_filter_subscribe: one Subscribe call with three filters', opts, async (t) => {
  const m = await h.connected();
  t.after(() => h.closeQuietly(m));
  const base = h.uniqueTopic('multi');
  const filters = [`${base}/a/+/c`, `${base}/b/#`, `${base}/exact`];
  const subscribed = [];
  const got = [];
  m.on('Subscribed', (e) => subscribed.push(e));
  m.on('MessageIn', (e) => got.push(e.topic));
  await m.subscribe(filters.join(','), 1);
  assert.deepEqual(subscribed.map((s) => s.topicFilter), filters);
  for (const s of subscribed) {
    assert.equal(s.QOS, 1);
    assert.equal(s.responseCode, 1);
  }
  const topics = [`${base}/a/x/c`, `${base}/b/deep/er`, `${base}/exact`, `${base}/a/x/d`];
  for (const topic of topics) await m.publishMessage(topic, 1, topic);
  await h.until(() => got.length >= 3, 'three matching messages');
  // One more round trip so a wrongly delivered fourth message would have arrived.
  const fence = `${base}/exact`;
  await m.publishMessage(fence, 1, 'fence');
  await h.until(() => got.length >= 4, 'the fence message');
  assert.deepEqual(got, [...topics.slice(0, 3), fence]);
  await m.disconnect();
});

test('scenario_unsubscribe_stops_delivery: no delivery after Unsubscribe', opts, async (t) => {
  const m = await h.connected();
  t.after(() => h.closeQuietly(m));
  const topic = h.uniqueTopic('unsub');
  const fence = h.uniqueTopic('unsub-fence');
  const got = [];
  m.on('MessageIn', (e) => got.push(e.message));
  await m.subscribe(`${topic},${fence}`, 1);
  await m.publishMessage(topic, 1, 'before');
  await h.until(() => got.length === 1, 'the first message');
  const unsubscribed = h.nextEvent(m, 'Unsubscribed');
  await m.unsubscribe(topic);
  const u = await unsubscribed;
  assert.equal(u.topicFilters, topic);
  await m.publishMessage(topic, 1, 'after');
  await m.publishMessage(fence, 1, 'fence');
  await h.until(() => got.includes('fence'), 'the fence message');
  assert.deepEqual(got, ['before', 'fence']);
  await m.disconnect();
});

test('scenario_wrong_password_refused: 500 for a bad password, the right one connects', opts, async (t) => {
  const m = new mqtt();
  m.timeout = 20;
  m.user = h.USER;
  m.password = 'not-' + h.PASSWORD;
  const failed = h.nextEvent(m, 'Connected');
  await assert.rejects(m.connectTo(h.HOST, h.AUTH_PORT), (err) => {
    assert.ok(err instanceof Error);
    assert.equal(err.code, 500);
    assert.match(err.message, /CONNACK|refused|not authori[sz]ed|bad user name or password/i);
    return true;
  });
  const ev = await failed;
  assert.equal(ev.statusCode, 500);
  assert.equal(m.connected, false);

  m.password = h.PASSWORD;
  await m.connectTo(h.HOST, h.AUTH_PORT);
  t.after(() => h.closeQuietly(m));
  assert.equal(m.connected, true);
  await m.disconnect();
});

test('scenario_closed_port_fails: 10061 naming the address', opts, async () => {
  const m = new mqtt();
  m.timeout = 20;
  await assert.rejects(m.connectTo(h.HOST, h.CLOSED_PORT), (err) => {
    assert.equal(err.code, 10061);
    assert.ok(err.message.includes(`${h.HOST}:${h.CLOSED_PORT}`), err.message);
    return true;
  });
  assert.equal(m.connected, false);
});

test('scenario_publish_wildcard_refused: 502 before sending, connection stays up', opts, async (t) => {
  const m = await h.connected();
  t.after(() => h.closeQuietly(m));
  const topic = h.uniqueTopic('wild');
  const outs = [];
  m.on('MessageOut', (e) => outs.push(e));
  for (const bad of [`${topic}/+`, `${topic}/#`, '+', '#']) {
    await assert.rejects(m.publishMessage(bad, 0, 'x'), (err) => {
      assert.equal(err.code, 502);
      return true;
    });
  }
  assert.equal(m.connected, true);
  // Still usable: a good publish goes round.
  await m.subscribe(topic, 1);
  const back = h.nextEvent(m, 'MessageIn');
  await m.publishMessage(topic, 1, 'still here');
  assert.equal((await back).message, 'still here');
  assert.ok(outs.every((o) => o.topic === topic));
  await m.disconnect();
});

test('scenario_publish_qos3_refused: 505 before sending, connection stays up', opts, async (t) => {
  const m = await h.connected();
  t.after(() => h.closeQuietly(m));
  const topic = h.uniqueTopic('qos3');
  for (const qos of [3, -1, 1.5]) {
    await assert.rejects(m.publishMessage(topic, qos, 'x'), (err) => {
      assert.equal(err.code, 505);
      return true;
    });
    await assert.rejects(m.publishData(topic, qos, new Uint8Array([1])), (err) => {
      assert.equal(err.code, 505);
      return true;
    });
  }
  assert.equal(m.connected, true);
  await m.subscribe(topic, 0);
  const back = h.nextEvent(m, 'MessageIn');
  await m.publishMessage(topic, 0, 'still here');
  assert.equal((await back).message, 'still here');
  await m.disconnect();
});
