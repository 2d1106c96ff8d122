'use strict';
// Per-message MQTT 5.0 (issue 17) against the harness's mosquitto: options given with each
// publish, acknowledged publishes, the properties of each received message, request/response,
// the will's properties and manual acknowledgements. Mirrors core/tests/it/per_message.rs.
const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');
const { mqtt } = h;

const opts = { skip: h.NO_BROKER, timeout: 60000 };

/** A connected client (1: MQTT 5.0), closed when the test ends. */
async function client(t, version = 1) {
  const m = await h.connected(version);
  t.after(() => h.closeQuietly(m));
  return m;
}

/** The MessageIn events of `m` from now on, as they arrive. */
function inbox(m) {
  const got = [];
  m.on('MessageIn', (e) => got.push(e));
  return got;
}

/** Every property a client may publish, with values that tell message `i` apart. */
function allProperties(i) {
  return {
    payloadFormatIndicator: i % 2,
    messageExpiryInterval: 3600 + i,
    contentType: `text/x-${i}`,
    responseTopic: `replies/${i}`,
    // Not UTF-8, and holding a zero: correlation data is bytes.
    correlationData: Buffer.from([0xff, 0, i]),
    userProperties: [['n', String(i)], ['dup', 'first'], ['dup', 'second']],
  };
}

/** `got` (a received message's properties) holds exactly what allProperties(i) sent. */
function checkReceived(got, i) {
  const want = allProperties(i);
  const { subscriptionIdentifiers, ...rest } = got;
  void subscriptionIdentifiers;
  // mosquitto keeps a message expiry counting down: it may arrive a few seconds lower.
  assert.ok(rest.messageExpiryInterval <= want.messageExpiryInterval && rest.messageExpiryInterval + 5 >= want.messageExpiryInterval);
  rest.messageExpiryInterval = want.messageExpiryInterval;
  assert.deepEqual(rest, want, `message ${i}`);
  assert.ok(Buffer.isBuffer(got.correlationData));
}

const rejection = (p) => p.then(() => assert.fail('resolved'), (e) => e);

test('scenario_publish_options_concurrent: 100 publishes at once, each with its own options', opts, async (t) => {
  const sub = await client(t);
  const topic = h.uniqueTopic('options');
  const got = inbox(sub);
  await sub.subscribe(`${topic}/#`, 2);
  const pub = await client(t);
  // A client-wide setting that must stay out of the per-message publishes.
  await pub.config('OutgoingMessageProperties={"ContentType":"wide"}');
  const before = await pub.config('OutgoingMessageProperties');
  const acks = await Promise.all(Array.from({ length: 100 }, (_, i) =>
    pub.publish(`${topic}/${i}`, `m${i}`, { qos: i % 3, properties: allProperties(i) })));
  for (const [i, a] of acks.entries()) assert.equal(a.packetId === -1, i % 3 === 0, `packet id of ${i}`);
  await h.until(() => got.length >= 100, '100 messages');
  let wrong = 0;
  for (const m of got) {
    const i = Number(m.topic.split('/').pop());
    assert.equal(m.message, `m${i}`);
    assert.equal(m.QOS, i % 3);
    if (!Buffer.from([0xff, 0, i]).equals(m.properties.correlationData)) wrong++;
    checkReceived(m.properties, i);
  }
  assert.equal(wrong, 0);
  assert.equal(await pub.config('OutgoingMessageProperties'), before);

  // Checked before anything is sent, naming the value.
  for (const bad of [{ subscriptionIdentifiers: [4] }, { payloadFormatIndicator: 2 }]) {
    const e = await rejection(pub.publish(topic, 'x', { qos: 1, properties: bad }));
    assert.equal(e.code, 10022, e.message);
    assert.match(e.message, /subscription_?identifiers|payloadFormatIndicator/i);
  }
  assert.equal((await rejection(pub.publish(topic, 'x', { qos: 3 }))).code, 505);
  const old = await client(t, 0);
  const e = await rejection(old.publish(topic, 'x', { properties: allProperties(1) }));
  assert.equal(e.code, 10022);
  assert.match(e.message, /5\.0/);
  // The face's own checks: unknown keys and wrong types, named.
  for (const [options, named] of [
    [{ qos: 1, properties: { contentTyp: 'x' } }, /contentTyp/],
    [{ qos: 1, properties: { contentType: 5 } }, /contentType/],
    [{ qos: 1, properties: { userProperties: [['a']] } }, /userProperties/],
    [{ qos: 1, properties: { correlationData: 7 } }, /correlationData/],
    [{ qos: 1, retian: true }, /retian/],
    [{ qos: 1, retain: 'yes' }, /retain/],
  ]) {
    const err = await rejection(pub.publish(topic, 'x', options));
    assert.equal(err.code, 10022, err.message);
    assert.match(err.message, named);
  }
});

test('publish: user properties in MQTT.js\'s object form, correlation data as text, bytes payload', opts, async (t) => {
  const m = await client(t);
  const topic = h.uniqueTopic('forms');
  const got = inbox(m);
  await m.subscribe(topic, 1);
  await m.publish(topic, Buffer.from([1, 2, 3]), {
    qos: 1,
    retain: false,
    properties: { correlationData: 'abc', userProperties: { a: '1', b: ['2', '3'] }, contentType: undefined },
  });
  await h.until(() => got.length === 1, 'the message');
  assert.deepEqual([...got[0].messageB], [1, 2, 3]);
  assert.deepEqual(got[0].properties, {
    correlationData: Buffer.from('abc'),
    userProperties: [['a', '1'], ['b', '2'], ['b', '3']],
  });
});

test('scenario_publish_acknowledged: resolves at PUBACK / PUBCOMP; a refusing reason code rejects with 506', opts, async (t) => {
  const c = new mqtt();
  t.after(() => h.closeQuietly(c));
  c.version = 1;
  c.timeout = 20;
  c.user = h.USER;
  c.password = h.PASSWORD;
  await c.connectTo(h.HOST, h.AUTH_PORT);
  const topic = h.uniqueTopic('acked');
  await c.subscribe(topic, 2);

  assert.deepEqual(await c.publish(topic, '0'), { packetId: -1, reasonCode: 0 });
  const q1 = await c.publish(topic, '1', { qos: 1 });
  assert.ok(q1.packetId > 0);
  assert.equal(q1.reasonCode, 0);
  const q2 = await c.publish(topic, '2', { qos: 2 });
  assert.ok(q2.packetId > 0 && q2.packetId !== q1.packetId);
  assert.equal(q2.reasonCode, 0);
  // mosquitto acknowledges a message nobody subscribed to with 0x10: still a success.
  assert.equal((await c.publish(h.uniqueTopic('nobody'), 'x', { qos: 1 })).reasonCode, 0x10);
  // Refused by the broker's ACL: 506 naming the reason code.
  for (const qos of [1, 2]) {
    const denied = `${process.env.FERROMQ_TEST_DENIED_PREFIX}${h.uniqueTopic('x')}`;
    const e = await rejection(c.publish(denied, 'no', { qos }));
    assert.equal(e.code, 506, e.message);
    assert.match(e.message, /0x87/);
  }
  await c.disconnect();
});

test('scenario_message_properties: every property on the received message, at every QoS', opts, async (t) => {
  const sub = await client(t);
  const topic = h.uniqueTopic('props');
  const got = inbox(sub);
  await sub.config('SubscriptionIdentifier=77');
  await sub.subscribe(`${topic}/#`, 2);
  const pub = await client(t);
  for (const qos of [0, 1, 2]) await pub.publish(`${topic}/${qos}`, 'p', { qos, properties: allProperties(qos) });
  await h.until(() => got.length === 3, '3 messages');
  for (const m of got) {
    checkReceived(m.properties, m.QOS);
    assert.deepEqual(m.properties.subscriptionIdentifiers, [77]);
    assert.ok(!('topicAlias' in m.properties));
  }
  // A 3.1.1 client's messages carry none.
  const plain = await client(t, 0);
  const old = inbox(plain);
  await plain.subscribe(`${topic}/#`, 1);
  await pub.publish(`${topic}/x`, 'p', { qos: 1, properties: allProperties(1) });
  await h.until(() => old.length === 1, 'the 3.1.1 message');
  assert.deepEqual(old[0].properties, {});
});

test('scenario_request_response: 50 requests in flight, each answered by respond()', opts, async (t) => {
  const topic = h.uniqueTopic('service');
  const responder = await client(t);
  let answering = Promise.resolve();
  responder.on('MessageIn', (r) => {
    assert.ok(typeof r.properties.responseTopic === 'string');
    answering = answering.then(() => responder.respond(r, `re:${r.message}`));
  });
  await responder.subscribe(topic, 0);

  const requester = await client(t);
  const answers = await Promise.all(Array.from({ length: 50 }, (_, i) =>
    requester.request(topic, `q${i}`, { timeout: 20000 })));
  for (const [i, a] of answers.entries()) assert.equal(a.message, `re:q${i}`);
  assert.deepEqual(Object.keys(answers[0]), Object.keys(await requester.request(topic, Buffer.from('solo'))));
  const one = await requester.request(topic, 'solo', { timeout: 20000, qos: 1 });
  assert.equal(one.message, 're:solo');
  // Nobody answers: 201 after the timeout.
  const e = await rejection(requester.request(h.uniqueTopic('nobody'), '?', { timeout: 300 }));
  assert.equal(e.code, 201, e.message);
  // A message without ResponseTopic cannot be answered.
  const plain = { packetId: -1, topic: 't', QOS: 0, message: '', messageB: Buffer.alloc(0), retained: false, duplicate: false, properties: {} };
  assert.equal((await rejection(requester.respond(plain, 'x'))).code, 10022);
  await answering;
});

test('scenario_will_properties: the will carries its content type, correlation data, expiry and user properties', opts, async (t) => {
  const watcher = await client(t);
  const topic = h.uniqueTopic('will5');
  const got = inbox(watcher);
  await watcher.subscribe(topic, 1);
  // Cut off: the client's process ends while it is connected (no DISCONNECT is sent).
  const will = 'WillProperties={"ContentType":"text/plain","CorrelationData":"00ff","MessageExpInterval":600,' +
    '"PayloadFormatIndicator":1,"ResponseTopic":"who/cares","WillDelayInterval":0,' +
    '"UserProperty":"site:north","UserProperty":"site:south"}';
  const r = await h.runChild(`${h.CHILD_PRELUDE}
    (async () => {
      const m = new mqtt();
      m.version = 1;
      m.willTopic = ${JSON.stringify(topic)};
      m.willMessage = 'gone';
      m.configSync(${JSON.stringify(will)});
      await m.connectTo(HOST, PORT);
      console.log('connected');
      process.exit(0);
    })().catch((e) => { console.error(e); process.exit(3); });`);
  assert.equal(r.code, 0, r.stderr);
  await h.until(() => got.length === 1, 'the will');
  const p = got[0].properties;
  assert.equal(got[0].message, 'gone');
  assert.equal(p.contentType, 'text/plain');
  assert.deepEqual(p.correlationData, Buffer.from([0, 0xff]));
  assert.equal(p.payloadFormatIndicator, 1);
  assert.equal(p.responseTopic, 'who/cares');
  assert.ok(p.messageExpiryInterval <= 600 && p.messageExpiryInterval > 590);
  assert.deepEqual(p.userProperties, [['site', 'north'], ['site', 'south']]);
});

test('scenario_manual_ack: unacknowledged messages come again to the next consumer of the session', opts, async (t) => {
  const topic = h.uniqueTopic('manual-ack');
  const id = h.uniqueClientId('manual-ack');
  /** A consumer of the persistent session `id` (CleanSession false, a session expiry). */
  const consumer = (manualAck) => {
    const c = new mqtt();
    t.after(() => h.closeQuietly(c));
    c.version = 1;
    c.timeout = 20;
    c.clientId = id;
    c.cleanSession = false;
    c.configSync(`ManualAck=${manualAck}`);
    c.configSync('SessionExpInterval=300');
    return c;
  };
  const first = consumer(true);
  const got = inbox(first);
  const acked = [];
  first.on('MessageAck', (e) => {
    if (e.direction === 1) acked.push(e.packetId);
  });
  await first.connectTo(h.HOST, h.PORT);
  await first.subscribe(topic, 1);
  const pub = await client(t);
  for (let i = 0; i < 10; i++) await pub.publish(topic, `m${i}`, { qos: 1 });
  await h.until(() => got.length === 10, '10 messages');
  assert.deepEqual(got.map((m) => m.message), Array.from({ length: 10 }, (_, i) => `m${i}`));
  assert.equal(first.incomingMessages.length, 10);
  assert.deepEqual(acked, [], 'nothing acknowledged before ack()');

  // The first four, acknowledged out of order: they go out in the order they arrived.
  for (const i of [1, 0, 3, 2]) first.ack(got[i].packetId);
  await h.until(() => acked.length === 4, 'four MessageAck events');
  assert.deepEqual(acked, got.slice(0, 4).map((m) => m.packetId));
  assert.throws(() => first.ack(got[0].packetId), (e) => e.code === 211);
  assert.throws(() => first.ack(1.5), (e) => e.code === 10022);

  // Cut off with six unacknowledged; the next consumer of the session gets those six again.
  await first.disconnect();
  const second = consumer(false);
  const again = inbox(second);
  await second.connectTo(h.HOST, h.PORT);
  await h.until(() => again.length >= 6, 'the six messages again');
  // Anything else queued for the session would come before a message published now.
  await pub.publish(topic, 'fence', { qos: 1 });
  await h.until(() => again.some((m) => m.message === 'fence'), 'the fence');
  assert.deepEqual(again.map((m) => m.message), ['m4', 'm5', 'm6', 'm7', 'm8', 'm9', 'fence']);
  await second.disconnect();
  // Leave no session behind at the broker.
  const last = consumer(false);
  last.cleanSession = true;
  last.configSync('SessionExpInterval=0');
  await last.connectTo(h.HOST, h.PORT);
  await last.disconnect();
});
