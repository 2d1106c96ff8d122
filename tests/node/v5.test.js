'use strict';
// The scenarios of tests/scenarios.tsv for MQTT 5.0 and the QoS 2 bursts (issue 4), one test
// named scenario_<id> each, against the harness's mosquitto.
const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');
const { mqtt } = h;

const opts = { skip: h.NO_BROKER, timeout: 60000 };

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A 5.0 client on the harness's plain listener, disconnected when the test ends. */
async function v5(t) {
  const m = await h.connected(1);
  t.after(() => h.closeQuietly(m));
  return m;
}

/** The MessageIn events of `m` from now on, as they arrive. */
function inbox(m) {
  const got = [];
  m.on('MessageIn', (e) => got.push(e));
  return got;
}

/**
 * Our QoS 1/2 publishes unacknowledged at once, at most, according to the packet log
 * (LogLevel 3): a PUBLISH we sent counts until its PUBACK or PUBCOMP is received.
 */
function inflightWatch(m) {
  m.configSync('LogLevel=3');
  const open = new Set();
  const w = { max: 0, sent: 0 };
  m.on('Log', (e) => {
    if (e.logType !== 'Packet') return;
    let x = /^sent PUBLISH \(id (\d+), QoS [12],/.exec(e.message);
    if (x) {
      w.sent++;
      open.add(x[1]);
      w.max = Math.max(w.max, open.size);
      return;
    }
    x = /^received (?:PUBACK|PUBCOMP) \(id (\d+),/.exec(e.message);
    if (x) open.delete(x[1]);
  });
  return w;
}

/** Publishes "0".."n-1" at `qos`, each call in turn (their order is the order on the wire). */
async function burst(m, topic, qos, n) {
  for (let i = 0; i < n; i++) await m.publishMessage(topic, qos, String(i));
}

const numbers = (n) => Array.from({ length: n }, (_, i) => String(i));

test('scenario_v5_connack_properties: ConnAckProperties shows ReceiveMaximum and the assigned id', opts, async (t) => {
  const m = new mqtt();
  t.after(() => h.closeQuietly(m));
  m.version = 1;
  m.timeout = 20;
  assert.equal(m.clientId, '');
  assert.equal(m.configSync('ConnAckProperties'), '{}', 'nothing before a CONNACK');
  await m.connectTo(h.HOST, h.PORT);
  const id = m.clientId;
  assert.ok(id.length > 0, 'the server assigned an id, shown by clientId');
  const text = m.configSync('ConnAckProperties');
  const connack = JSON.parse(text);
  assert.equal(connack.AssignedClientIdentifier, id, text);
  assert.ok(Number.isInteger(connack.ReceiveMaximum), text);
  assert.ok(connack.ReceiveMaximum >= 1 && connack.ReceiveMaximum <= 65535, text);
  assert.equal(await m.config('ConnAckProperties'), text, 'config() answers the same');
  await m.disconnect();
});

test('scenario_v5_will_reason_4: DisconnectReasonCode=4 makes the broker publish the Will', opts, async (t) => {
  const topic = h.uniqueTopic('will4');
  const watcher = await v5(t);
  const got = inbox(watcher);
  await watcher.subscribe(topic, 1);

  const willing = async (message) => {
    const m = new mqtt();
    t.after(() => h.closeQuietly(m));
    m.version = 1;
    m.timeout = 20;
    m.willTopic = topic;
    m.willMessage = message;
    await m.connectTo(h.HOST, h.PORT);
    return m;
  };

  // The control: reason 0 (the default) leaves no Will.
  const polite = await willing('normal disconnect');
  assert.equal(polite.configSync('DisconnectReasonCode'), '0');
  await polite.disconnect();

  const asking = await willing('asked for');
  asking.configSync('DisconnectReasonCode=4');
  await asking.disconnect();
  await h.until(() => got.length >= 1, 'the Will');
  await sleep(200);
  assert.deepEqual(got.map((e) => e.message), ['asked for']);
  assert.equal(got[0].topic, topic);
});

test('scenario_v5_server_disconnect_reason: a server DISCONNECT gives 500 and its reason code', opts, async (t) => {
  const m = await v5(t);
  const seen = h.record(m, ['Disconnected', 'Error']);
  const gone = h.nextEvent(m, 'Disconnected');
  // A PUBLISH to "a/#" (a wildcard in a topic name), written raw: mosquitto answers DISCONNECT.
  assert.equal(m.configSync('SendCustomPacket=3006 0003 612F23 00'), '');
  const d = await gone;
  assert.equal(d.statusCode, 500, d.description);
  const reason = Number(m.configSync('DisconnectReasonCode'));
  assert.ok(Number.isInteger(reason) && reason >= 128, `reason ${reason}`);
  const hex = `0x${reason.toString(16).toUpperCase().padStart(2, '0')}`;
  // The code and its name ("... DISCONNECT reason 0x82 protocol error").
  assert.ok(d.description.includes(hex), `${d.description} names ${hex}`);
  assert.match(d.description, new RegExp(`${hex} [a-z]`), 'the reason is named after its code');
  assert.equal(m.connected, false);
  assert.equal(seen.filter(([n]) => n === 'Disconnected').length, 1);
  const errors = seen.filter(([n]) => n === 'Error').map(([, e]) => e);
  assert.equal(errors.length, 1, 'the Error event reports it too');
  assert.equal(errors[0].errorCode, 500);
});

test('scenario_v5_message_properties: PUBLISH properties and the subscription id come back', opts, async (t) => {
  const m = await v5(t);
  const topic = h.uniqueTopic('props');
  m.configSync('SubscriptionIdentifier=77');
  await m.subscribe(topic, 2);
  m.configSync('SubscriptionIdentifier=-1');

  // The message as IncomingMessages lists it while its MessageAck is delivered.
  const during = [];
  m.on('MessageAck', (e) => {
    if (e.direction === 1) during.push(m.incomingMessages[e.index]);
  });
  const got = inbox(m);
  m.configSync(
    'OutgoingMessageProperties={"ContentType":"text/plain","ResponseTopic":"reply/here",' +
      '"CorrelationData":"c0ffee","MessageExpInterval":"300","PayloadFormatIndicator":"1",' +
      '"UserProperty":"who:me"}',
  );
  await m.publishMessage(topic, 2, 'with properties');
  await h.until(() => got.length === 1, 'the message');
  assert.equal(during.length, 1, 'one MessageAck of ours for the incoming message');
  const msg = during[0];
  assert.ok(msg, 'the message is in incomingMessages during its MessageAck');
  assert.equal(msg.topic, topic);
  assert.equal(msg.message, 'with properties');
  assert.equal(msg.QoS, 2);
  assert.equal(msg.contentType, 'text/plain');
  assert.equal(msg.responseTopic, 'reply/here');
  assert.equal(msg.correlationData.toLowerCase(), 'c0ffee');
  assert.equal(msg.payloadFormatIndicator, 1);
  assert.ok(msg.messageExpInterval > 0 && msg.messageExpInterval <= 300, `${msg.messageExpInterval}`);
  assert.equal(msg.subscriptionIdentifiers, '77');
  assert.equal(m.configSync('IncomingUserPropCount'), '1');
  assert.equal(m.configSync('IncomingUserPropName[0]'), 'who');
  assert.equal(m.configSync('IncomingUserPropValue[0]'), 'me');

  // They describe the last message received: another one with two other pairs.
  m.configSync('OutgoingMessageProperties={"UserProperty":["a:1","b:2"]}');
  await m.publishMessage(topic, 2, 'second');
  await h.until(() => got.length === 2, 'the second message');
  assert.equal(m.configSync('IncomingUserPropCount'), '2');
  assert.equal(m.configSync('IncomingUserPropName[0]'), 'a');
  assert.equal(m.configSync('IncomingUserPropValue[0]'), '1');
  assert.equal(m.configSync('IncomingUserPropName[1]'), 'b');
  assert.equal(m.configSync('IncomingUserPropValue[1]'), '2');
  await m.disconnect();
});

test('scenario_v5_subscription_options: No Local and Retain Handling 2 are honoured', opts, async (t) => {
  const topic = h.uniqueTopic('options');
  const m = await v5(t);
  t.after(async () => {
    // Clear the retained message, whatever happened.
    const c = await h.connected(1);
    c.configSync('Retain=True');
    await c.publishMessage(topic, 1, '');
    await h.closeQuietly(c);
  });
  m.configSync('Retain=True');
  await m.publishMessage(topic, 1, 'retained');
  m.configSync('Retain=False');

  m.configSync('TopicNLArray=true');
  m.configSync('TopicRHArray=2');
  const got = inbox(m);
  await m.subscribe(topic, 1);
  const outs = [];
  m.on('MessageOut', (e) => outs.push(e));
  await m.publishMessage(topic, 1, 'own');
  await h.until(() => outs.length === 1, 'our publish acknowledged');

  // Someone else's message does arrive: the subscription works.
  const other = await v5(t);
  await other.publishMessage(topic, 1, 'other');
  await h.until(() => got.length >= 1, "the other client's message");
  await sleep(300);
  assert.deepEqual(got.map((e) => e.message), ['other'], 'neither the retained message nor our own');

  // The control: a subscriber with the default options gets the retained message.
  const plain = await v5(t);
  const retained = h.nextEvent(plain, 'MessageIn');
  await plain.subscribe(topic, 1);
  const r = await retained;
  assert.equal(r.message, 'retained');
  assert.equal(r.retained, true);
});

test('scenario_v5_topic_alias: a publish with an empty topic and the alias arrives on the full topic', opts, async (t) => {
  const m = await v5(t);
  const topic = h.uniqueTopic('alias');
  const got = inbox(m);
  await m.subscribe(topic, 1);
  const max = Number(m.configSync('ServerTopicAliasMax'));
  assert.ok(max > 0, `mosquitto accepts topic aliases (ServerTopicAliasMax ${max})`);

  m.configSync('LogLevel=3');
  const sent = [];
  m.on('Log', (e) => {
    const x = /^sent PUBLISH \(id \d+, QoS 1, topic "([^"]*)"/.exec(e.message);
    if (e.logType === 'Packet' && x) sent.push(x[1]);
  });
  m.configSync('TopicAlias=1');
  await m.publishMessage(topic, 1, 'first');
  await m.publishMessage('', 1, 'by alias');
  await h.until(() => got.length === 2, 'two messages');
  assert.deepEqual(sent, [topic, ''], 'the second PUBLISH carried only the alias');
  assert.deepEqual(got.map((e) => [e.topic, e.message]), [[topic, 'first'], [topic, 'by alias']]);
  assert.equal(m.connected, true);
  await m.disconnect();
});

test('scenario_v5_receive_maximum: 300 QoS 2 publishes arrive in order, the client stays connected', opts, async (t) => {
  const m = await v5(t);
  const topic = h.uniqueTopic('burst5');
  const got = inbox(m);
  await m.subscribe(topic, 2);
  const connack = JSON.parse(m.configSync('ConnAckProperties'));
  assert.ok(Number.isInteger(connack.ReceiveMaximum), JSON.stringify(connack));
  const w = inflightWatch(m);
  await burst(m, topic, 2, 300);
  await h.until(() => got.length >= 300, '300 messages', 30000);
  await sleep(100);
  assert.deepEqual(got.map((e) => e.message), numbers(300));
  assert.equal(m.connected, true, 'mosquitto disconnects a client that exceeds its Receive Maximum');
  assert.equal(w.sent, 300);
  assert.ok(w.max <= connack.ReceiveMaximum, `${w.max} in flight at once, server allows ${connack.ReceiveMaximum}`);
  await m.disconnect();
});

test('scenario_v5_maximum_packet_size: the server keeps back a message larger than announced', opts, async (t) => {
  const m = new mqtt();
  t.after(() => h.closeQuietly(m));
  m.version = 1;
  m.timeout = 20;
  m.configSync('ConnectProperties={"MaximumPacketSize":"1000"}');
  assert.equal(m.configSync('ConnectProperties'), '{"MaximumPacketSize":1000}');
  await m.connectTo(h.HOST, h.PORT);
  const topic = h.uniqueTopic('maxsize');
  const got = inbox(m);
  await m.subscribe(topic, 1);

  const p = await v5(t);
  await p.publishData(topic, 1, Buffer.alloc(10, 1));
  await p.publishData(topic, 1, Buffer.alloc(5000, 2));
  // A last small one: once it is here, the large one (sent before it) would have been too.
  await p.publishData(topic, 1, Buffer.alloc(10, 3));
  await h.until(() => got.length >= 2, 'the small messages');
  await sleep(300);
  assert.deepEqual(got.map((e) => [e.messageB.length, e.messageB[0]]), [[10, 1], [10, 3]]);
  assert.equal(m.connected, true);
  await m.disconnect();
});

test('scenario_shared_subscription: two members of $share/group split 40 messages', opts, async (t) => {
  const group = `g${process.pid}${Math.floor(Math.random() * 1e9)}`;
  const topic = h.uniqueTopic('shared');
  const a = await v5(t);
  const b = await v5(t);
  const gotA = inbox(a);
  const gotB = inbox(b);
  for (const c of [a, b]) await c.subscribe(`$share/${group}/${topic}`, 1);

  const p = await v5(t);
  await burst(p, topic, 1, 40);
  await h.until(() => gotA.length + gotB.length >= 40, '40 messages in all');
  await sleep(300);
  const all = [...gotA, ...gotB].map((e) => e.message);
  assert.equal(all.length, 40, 'none twice');
  assert.deepEqual([...all].sort((x, y) => x - y), numbers(40), 'together all 40');
  assert.ok(gotA.length > 0 && gotB.length > 0, `each gets some: ${gotA.length} / ${gotB.length}`);
  for (const e of [...gotA, ...gotB]) assert.equal(e.topic, topic);
});

test('scenario_qos2_burst_311: 300 QoS 2 publishes under 3.1.1 arrive whole and in order', opts, async (t) => {
  const sub = await h.connected(0);
  t.after(() => h.closeQuietly(sub));
  const topic = h.uniqueTopic('burst311');
  const got = inbox(sub);
  await sub.subscribe(topic, 2);

  const pub = await h.connected(0);
  t.after(() => h.closeQuietly(pub));
  assert.equal(pub.configSync('MaxInflight'), '0', 'automatic: 20 under 3.1.1');
  const w = inflightWatch(pub);
  await burst(pub, topic, 2, 300);
  await h.until(() => got.length >= 300, '300 messages', 30000);
  await sleep(100);
  assert.deepEqual(got.map((e) => e.message), numbers(300));
  assert.equal(w.sent, 300, 'each PUBLISH sent once');
  assert.ok(w.max > 0 && w.max <= 20, `${w.max} unacknowledged at once`);
  await pub.disconnect();
  await sub.disconnect();
});
