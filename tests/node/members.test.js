'use strict';
// The scenarios of tests/scenarios.tsv added with the whole class (issue 3), one test named
// scenario_<id> each, against the harness's mosquitto.
const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');
const { mqtt, configSettings } = require('ferromq');

const opts = { skip: h.NO_BROKER, timeout: 60000 };

/** Asserts that `fn` throws an Error whose numeric code is `code` and whose text matches. */
function throwsCode(fn, code, pattern) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof Error, 'an Error object');
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

/** The same for a Promise. */
function rejectsCode(p, code, pattern) {
  return assert.rejects(p, (err) => {
    assert.ok(err instanceof Error, 'an Error object');
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Regex-safe text of `s`. */
const re = (s) => new RegExp(String(s).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

// Every property with its documented default, as [Name, default, accessor kind].
const DEFAULTS = [
  ['ClientId', ''],
  ['CleanSession', true],
  ['KeepAliveInterval', 0],
  ['User', ''],
  ['Password', ''],
  ['Version', 0],
  ['RemoteHost', ''],
  ['RemotePort', 1883],
  ['LocalHost', ''],
  ['LocalPort', 0],
  ['Timeout', 60],
  ['Connected', false],
  ['WillTopic', ''],
  ['WillMessage', ''],
  ['ReadyToSend', false],
];

const prop = (Name) => Name[0].toLowerCase() + Name.slice(1);
const getter = (Name, v) => (typeof v === 'boolean' ? 'is' : 'get') + Name;

/** Every property of `m`, read through the accessors and the plain properties. */
function snapshot(m) {
  const out = {};
  for (const [Name, def] of DEFAULTS) {
    const a = m[getter(Name, def)]();
    assert.deepEqual(m[prop(Name)], a, `${Name}: accessor and property agree`);
    out[Name] = a;
  }
  return out;
}

test('scenario_properties_defaults: defaults, range checks, read-only members', () => {
  const m = new mqtt();
  for (const [Name, def] of DEFAULTS) {
    assert.equal(m[getter(Name, def)](), def, Name);
    assert.equal(m[prop(Name)], def, Name);
  }
  for (const list of [m.getIncomingMessages(), m.getOutgoingMessages(), m.incomingMessages, m.outgoingMessages]) {
    assert.ok(Array.isArray(list));
    assert.equal(list.length, 0);
  }

  throwsCode(() => m.setRemotePort(0), 116, /RemotePort 0/);
  throwsCode(() => { m.remotePort = 0; }, 116);
  const outOfRange = [
    ['RemotePort', 65536],
    ['RemotePort', -1],
    ['LocalPort', 65536],
    ['LocalPort', -1],
    ['KeepAliveInterval', 65536],
    ['KeepAliveInterval', -5],
    ['Version', 2],
    ['Timeout', -1],
  ];
  for (const [Name, v] of outOfRange) {
    throwsCode(() => m['set' + Name](v), 10022, re(v));
    throwsCode(() => { m[prop(Name)] = v; }, 10022, re(v));
  }

  // Read-only members: no setter, and assigning the plain property throws (even in
  // sloppy code, where a frozen property would only be ignored).
  for (const Name of ['ReadyToSend', 'IncomingMessages', 'OutgoingMessages']) {
    assert.equal(m['set' + Name], undefined, `no set${Name}`);
    throwsCode(() => { m[prop(Name)] = Name === 'ReadyToSend' ? true : []; }, 10022, re(`${Name} is read-only`));
  }
  // The collections are frozen snapshots.
  assert.ok(Object.isFrozen(m.incomingMessages));
  assert.throws(() => m.outgoingMessages.push({}), TypeError);

  // Nothing changed through all of that.
  assert.deepEqual(snapshot(m), Object.fromEntries(DEFAULTS));
});

test('scenario_properties_locked_while_connected: documented codes, accepted again after Disconnect', opts, async (t) => {
  const m = await h.connected();
  t.after(() => h.closeQuietly(m));
  const free = await h.freePort();
  const cases = [
    ['RemotePort', h.PORT + 1, 100],
    ['RemoteHost', 'localhost', 101],
    ['LocalPort', free, 106],
    ['LocalHost', '127.0.0.1', 107],
    ['ClientId', 'locked-id', 211],
    ['CleanSession', false, 211],
    ['KeepAliveInterval', 30, 211],
    ['User', 'someone', 211],
    ['Password', 'secret', 211],
    ['Version', 1, 211],
    ['WillTopic', 'wills/locked', 211],
    ['WillMessage', 'gone', 211],
  ];
  const before = snapshot(m);
  for (const [Name, v, code] of cases) {
    throwsCode(() => m['set' + Name](v), code, re(Name));
    throwsCode(() => { m[prop(Name)] = v; }, code, re(Name));
  }
  assert.deepEqual(snapshot(m), before, 'nothing changed while connected');
  assert.equal(m.connected, true, 'the connection is untouched');

  await m.disconnect();
  for (const [Name, v] of cases) {
    m['set' + Name](v);
    assert.equal(m[getter(Name, v)](), v, `${Name} accepted after Disconnect`);
  }
});

test('scenario_local_host_and_port: bound address and the system-chosen port', opts, async (t) => {
  // A silent listener shows from its side which address the client really used.
  const server = await h.silentListener();
  t.after(() => server.close());
  const m = new mqtt();
  t.after(() => m.reset());
  m.timeout = 0;
  const port = await h.freePort();
  m.localHost = '127.0.0.1';
  m.localPort = port;
  const attempt = m.connectTo('127.0.0.1', server.port).catch((e) => e);
  await h.until(() => server.sockets.length === 1, 'the connection at the silent listener');
  assert.equal(server.sockets[0].remotePort, port, 'the client bound the LocalPort given');
  assert.equal(server.sockets[0].remoteAddress, '127.0.0.1');
  assert.equal(m.localPort, port);
  assert.equal(m.getLocalHost(), '127.0.0.1');
  await m.interrupt();
  assert.equal((await attempt).code, 301);

  // LocalPort 0: while connected the property shows the port the system chose.
  m.localPort = 0;
  const attempt2 = m.connectTo('127.0.0.1', server.port).catch((e) => e);
  await h.until(() => server.sockets.length === 2, 'the second connection');
  const chosen = server.sockets[1].remotePort;
  assert.notEqual(chosen, 0);
  assert.equal(m.getLocalPort(), chosen);
  await m.interrupt();
  assert.equal((await attempt2).code, 301);
  await h.until(() => m.localPort === 0, 'LocalPort back to its set value 0');

  // And with the broker, for a whole connection: bound host and port, then the chosen port.
  const port2 = await h.freePort();
  m.timeout = 20;
  m.localPort = port2;
  await m.connectTo(h.HOST, h.PORT);
  assert.equal(m.connected, true);
  assert.equal(m.localPort, port2);
  assert.equal(m.localHost, '127.0.0.1');
  await m.disconnect();
  assert.equal(m.localPort, port2, 'the set value again once disconnected');
  m.localPort = 0;
  m.localHost = '';
  await m.connectTo(h.HOST, h.PORT);
  const p = m.localPort;
  assert.ok(p > 0 && p <= 65535, `a real port while connected, got ${p}`);
  assert.equal(m.localHost, '127.0.0.1', 'the interface the connection uses');
  await m.disconnect();
  assert.equal(m.localPort, 0);
  assert.equal(m.localHost, '');
});

test('scenario_connected_property: setting Connected connects and disconnects', opts, async (t) => {
  const m = new mqtt();
  t.after(() => h.closeQuietly(m));
  m.timeout = 20;
  m.remoteHost = h.HOST;
  m.remotePort = h.PORT;
  const up = h.nextEvent(m, 'Connected');
  m.connected = true;
  assert.equal((await up).statusCode, 0);
  assert.equal(m.connected, true);
  assert.equal(m.isConnected(), true);
  const down = h.nextEvent(m, 'Disconnected');
  m.connected = false;
  assert.equal((await down).statusCode, 0);
  assert.equal(m.connected, false);
  // The accessor form returns the call's Promise.
  await m.setConnected(true);
  assert.equal(m.isConnected(), true);
  await m.setConnected(false);
  assert.equal(m.isConnected(), false);
});

test('scenario_timeout_expires: 201 within a few seconds from a silent listener', opts, async (t) => {
  const server = await h.silentListener();
  t.after(() => server.close());
  const m = new mqtt();
  m.timeout = 1;
  const started = Date.now();
  await rejectsCode(m.connectTo('127.0.0.1', server.port), 201, /timed out/);
  const took = Date.now() - started;
  assert.ok(took >= 900 && took < 5000, `took ${took} ms`);
  assert.equal(server.sockets.length, 1, 'the TCP connection was made');
  assert.equal(m.connected, false);
});

/** Calls doEvents until `cond()` holds, for up to 10 s. */
async function doEventsUntil(m, cond) {
  const end = Date.now() + 10000;
  while (!cond() && Date.now() < end) {
    await m.doEvents();
    if (!cond()) await sleep(2);
  }
}

test('scenario_timeout_zero_events: calls return at once, Connected and Subscribed fire later', opts, async (t) => {
  const m = new mqtt();
  t.after(() => h.closeQuietly(m));
  m.timeout = 0;
  const seen = h.record(m, ['Connected', 'Subscribed']);
  const started = Date.now();
  const connecting = m.connectTo(h.HOST, h.PORT);
  assert.ok(connecting instanceof Promise);
  assert.ok(Date.now() - started < 500, 'connectTo returned at once');
  assert.equal(seen.length, 0, 'nothing fired inside the call');
  // DoEvents fires the event once the server has answered.
  await doEventsUntil(m, () => seen.length > 0);
  assert.deepEqual(seen.map(([n]) => n), ['Connected']);
  assert.equal(seen[0][1].statusCode, 0);
  assert.equal(m.connected, true);
  await connecting;

  const topic = h.uniqueTopic('t0events');
  const subscribing = m.subscribe(topic, 1);
  assert.equal(seen.length, 1, 'Subscribed did not fire inside the call');
  await doEventsUntil(m, () => seen.length > 1);
  assert.deepEqual(seen.map(([n]) => n), ['Connected', 'Subscribed']);
  assert.equal(seen[1][1].topicFilter, topic);
  assert.equal(seen[1][1].QOS, 1);
  await subscribing;
  await m.disconnect();
});

test('scenario_would_block_ready_to_send: 135 with the message accepted, then ReadyToSend', opts, async (t) => {
  const m = await h.connected();
  t.after(() => h.closeQuietly(m));
  const topic = h.uniqueTopic('wouldblock');
  const got = [];
  const outs = [];
  m.on('MessageIn', (e) => got.push(e));
  m.on('MessageOut', (e) => outs.push(e));
  await m.subscribe(topic, 0);
  m.timeout = 0;
  assert.equal(m.isReadyToSend(), true);
  const big = Buffer.alloc(8 << 20);
  for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);
  const ready = h.nextEvent(m, 'ReadyToSend', () => true, 30000);
  await rejectsCode(m.publishData(topic, 0, big), 135, /accepted/);
  assert.equal(m.isReadyToSend(), false);
  assert.equal(m.readyToSend, false);
  await ready;
  assert.equal(m.isReadyToSend(), true);
  await h.until(() => got.length >= 1, 'the 8 MiB message', 30000);
  // A fence: anything published twice would have arrived before it.
  await m.publishMessage(topic, 0, 'fence');
  await h.until(() => got.length >= 2, 'the fence');
  assert.equal(got.length, 2);
  assert.equal(got[0].messageB.length, big.length);
  assert.ok(Buffer.from(got[0].messageB).equals(big), 'the whole message, byte for byte');
  assert.equal(got[1].message, 'fence');
  assert.equal(outs.filter((o) => o.messageB.length === big.length).length, 1, 'published once');
  await m.disconnect();
});

test('scenario_interrupt_from_thread: interrupt ends a waiting connect with 301', opts, async (t) => {
  // JavaScript objects are not shared between threads: the interrupt comes from another
  // task of the event loop while connectTo is waiting.
  const server = await h.silentListener();
  t.after(() => server.close());
  const m = new mqtt();
  m.timeout = 30;
  const timer = setTimeout(() => {
    m.interrupt();
  }, 300);
  t.after(() => clearTimeout(timer));
  const started = Date.now();
  await rejectsCode(m.connectTo('127.0.0.1', server.port), 301, /interrupted/);
  const took = Date.now() - started;
  assert.ok(took < 2000, `took ${took} ms`);
  assert.equal(m.connected, false);
  // The attempt really ended: the silent listener sees the connection close.
  await h.until(() => server.closed === 1, 'the connection closed at the listener', 5000);
});

test('scenario_interrupt_from_handler: Interrupt from a listener disconnects', opts, async (t) => {
  const m = await h.connected();
  t.after(() => h.closeQuietly(m));
  const topic = h.uniqueTopic('interrupt');
  const disconnected = h.nextEvent(m, 'Disconnected');
  m.on('Subscribed', () => {
    m.interrupt();
  });
  const outcome = await m.subscribe(topic, 1).then(() => 'resolved', (e) => e);
  // The SUBACK may complete the call before the listener interrupts it; either is fine.
  if (outcome !== 'resolved') assert.equal(outcome.code, 301, outcome.message);
  await disconnected;
  assert.equal(m.connected, false);
  assert.equal(m.isConnected(), false);
});

// Writable settings given non-default values before Reset, where the registry has them.
const NON_DEFAULT = {
  Retain: 'True',
  Duplicate: 'True',
  LogLevel: '3',
  WillQOS: '1',
  WillRetain: 'True',
  RepublishInterval: '5',
  ConnectionTimeout: '7',
  TcpNoDelay: 'False',
  TopicDelimiter: ';',
};

function mqttSettings() {
  return configSettings().filter((s) => s.group === 'mqtt');
}

test('scenario_reset_defaults: Reset disconnects and restores every default, listeners stay', opts, async (t) => {
  const fresh = new mqtt();
  const defaults = snapshot(fresh);
  const settingDefaults = Object.fromEntries(mqttSettings().map((s) => [s.name, fresh.configSync(s.name)]));

  const m = new mqtt();
  t.after(() => h.closeQuietly(m));
  m.clientId = h.uniqueClientId('reset');
  m.keepAliveInterval = 30;
  m.willTopic = h.uniqueTopic('reset-will');
  m.willMessage = 'will';
  m.timeout = 20;
  m.localHost = '127.0.0.1';
  const names = new Set(mqttSettings().map((s) => s.name));
  for (const [name, v] of Object.entries(NON_DEFAULT)) {
    if (names.has(name)) m.configSync(`${name}=${v}`);
  }
  const events = h.record(m, ['Connected', 'Disconnected']);
  const listeners = m.listenerCount('Connected');
  await m.connectTo(h.HOST, h.PORT);
  assert.equal(m.connected, true);

  await m.reset();
  assert.equal(m.connected, false);
  assert.equal(events.at(-1)[0], 'Disconnected', 'Disconnected fired before reset() resolved');
  assert.deepEqual(snapshot(m), defaults);
  for (const s of mqttSettings()) {
    assert.equal(m.configSync(s.name), settingDefaults[s.name], `${s.name} is back to its default`);
  }
  // A second Reset on an idle client is harmless.
  await m.reset();
  assert.deepEqual(snapshot(m), defaults);

  // Listeners are not properties: they still fire.
  assert.equal(m.listenerCount('Connected'), listeners);
  m.timeout = 20;
  const before = events.length;
  await m.connectTo(h.HOST, h.PORT);
  assert.equal(events.length, before + 1);
  assert.deepEqual(events.at(-1), ['Connected', { statusCode: 0, description: 'OK' }]);
  await m.disconnect();
});

test('scenario_collections_in_message_ack: the message is at Index during MessageAck, gone after', opts, async (t) => {
  const m = await h.connected();
  t.after(() => h.closeQuietly(m));
  const topic = h.uniqueTopic('collections');
  const acks = [];
  const after = [];
  m.on('MessageAck', (e) => {
    const list = e.direction === 0 ? m.getOutgoingMessages() : m.getIncomingMessages();
    acks.push({ e, msg: list[e.index] });
  });
  m.on('MessageIn', (e) => after.push({ kind: 'in', e, ids: m.incomingMessages.map((x) => x.packetId) }));
  m.on('MessageOut', (e) => after.push({ kind: 'out', e, ids: m.outgoingMessages.map((x) => x.packetId) }));
  await m.subscribe(topic, 2);
  const payloads = [
    [1, Buffer.from('at least once')],
    [2, Buffer.from([0x65, 0x78, 0xff, 0x00, 0x61])],
  ];
  for (const [qos, data] of payloads) await m.publishData(topic, qos, data);
  await h.until(() => after.length === 4 && acks.length === 4, 'two messages each way, four acks');

  for (const [qos, data] of payloads) {
    for (const direction of [0, 1]) {
      const hit = acks.find((a) => a.e.direction === direction && a.msg && a.msg.QoS === qos);
      assert.ok(hit, `a MessageAck (direction ${direction}, QoS ${qos}) found its message at Index`);
      const { e, msg } = hit;
      assert.ok(e.index >= 0);
      assert.equal(msg.packetId, e.packetId);
      assert.equal(msg.topic, topic);
      assert.equal(msg.QoS, qos);
      assert.ok(Buffer.from(msg.messageB).equals(data), 'payload bytes');
      assert.equal(msg.message, data.toString('utf8'), 'payload text');
      assert.equal(msg.state, direction === 0 ? 4 : 9, 'State: final acknowledgment');
      assert.equal(msg.retained, false);
      assert.equal(typeof msg.duplicate, 'boolean');
      assert.ok(Object.isFrozen(msg));
    }
  }
  for (const { kind, e, ids } of after) {
    assert.ok(!ids.includes(e.packetId), `message ${e.packetId} is no longer listed at Message${kind === 'in' ? 'In' : 'Out'}`);
  }
  assert.equal(m.incomingMessages.length, 0);
  assert.equal(m.outgoingMessages.length, 0);
  await m.disconnect();
});

test('scenario_events_fields: ConnectionStatus texts, Log honours LogLevel, status 0 "OK"', opts, async (t) => {
  const m = new mqtt();
  t.after(() => h.closeQuietly(m));
  m.timeout = 20;
  const seen = h.record(m, ['Connected', 'Disconnected', 'ConnectionStatus', 'Log']);
  const of = (name) => seen.filter(([n]) => n === name).map(([, e]) => e);

  // LogLevel 0: no Log at all.
  m.configSync('LogLevel=0');
  await m.connectTo(h.HOST, h.PORT);
  await m.disconnect();
  assert.equal(of('Log').length, 0, 'no Log events at LogLevel 0');
  assert.deepEqual(of('Connected'), [{ statusCode: 0, description: 'OK' }]);
  assert.deepEqual(of('Disconnected'), [{ statusCode: 0, description: 'OK' }]);
  const status = of('ConnectionStatus');
  assert.equal(status.length, 2);
  assert.equal(status[0].connectionEvent, 'Remote host connection complete');
  assert.equal(status[0].statusCode, 0);
  assert.equal(status[1].connectionEvent, 'Remote host disconnected');
  assert.equal(status[1].statusCode, 0);
  const names = seen.map(([n]) => n);
  assert.ok(names.indexOf('ConnectionStatus') < names.indexOf('Connected'), 'connection complete before Connected');
  assert.ok(names.lastIndexOf('ConnectionStatus') < names.lastIndexOf('Disconnected'), 'disconnected before Disconnected');

  // LogLevel 1: information, but no packet lines.
  seen.length = 0;
  m.configSync('LogLevel=1');
  await m.connectTo(h.HOST, h.PORT);
  await m.disconnect();
  assert.ok(of('Log').length > 0, 'Log events at LogLevel 1');
  assert.ok(of('Log').every((l) => l.logLevel === 1 && l.logType !== 'Packet'), 'nothing above level 1');

  // LogLevel 3: Packet lines naming CONNECT and CONNACK.
  seen.length = 0;
  m.configSync('LogLevel=3');
  await m.connectTo(h.HOST, h.PORT);
  await m.disconnect();
  const packets = of('Log').filter((l) => l.logType === 'Packet');
  assert.ok(packets.some((l) => /\bCONNECT\b/.test(l.message)), 'a Packet line names CONNECT');
  assert.ok(packets.some((l) => /\bCONNACK\b/.test(l.message)), 'a Packet line names CONNACK');
  assert.ok(packets.every((l) => l.logLevel === 3));
  assert.deepEqual(of('Connected'), [{ statusCode: 0, description: 'OK' }]);
  assert.deepEqual(of('Disconnected'), [{ statusCode: 0, description: 'OK' }]);
});

test('scenario_config_walk: every mqtt setting answers; names, booleans and bad values', async () => {
  const m = new mqtt();
  const settings = mqttSettings();
  assert.ok(settings.length >= 10, `${settings.length} settings in the mqtt group`);
  for (const s of settings) {
    const v = m.configSync(s.name);
    assert.equal(typeof v, 'string', s.name);
    assert.equal(await m.config(s.name), v, `${s.name} through the Promise form`);
  }
  throwsCode(() => m.configSync('NoSuchSetting'), 10022, /NoSuchSetting/);
  throwsCode(() => m.configSync('NoSuchSetting=1'), 10022, /NoSuchSetting/);
  await rejectsCode(m.config('NoSuchSetting'), 10022, /NoSuchSetting/);

  const readOnly = settings.filter((s) => s.readOnly);
  assert.ok(readOnly.some((s) => s.name === 'SessionPresent'), 'SessionPresent is listed read-only');
  for (const s of readOnly) {
    const v = m.configSync(s.name);
    throwsCode(() => m.configSync(`${s.name}=${v || '1'}`), 10022, re(s.name));
    assert.equal(m.configSync(s.name), v, `${s.name} unchanged`);
  }

  const spellings = [
    ['True', true], ['False', false], ['true', true], ['false', false], ['TRUE', true], ['fAlSe', false],
    ['1', true], ['0', false], ['Yes', true], ['No', false], ['yes', true], ['NO', false], ['yEs', true],
  ];
  const bools = settings.filter((s) => s.kind === 'bool' && !s.readOnly);
  assert.ok(bools.length >= 3, 'some writable boolean settings');
  for (const s of bools) {
    const original = m.configSync(s.name);
    for (const [text, value] of spellings) {
      assert.equal(m.configSync(`${s.name}=${text}`), '');
      assert.equal(m.configSync(s.name), value ? 'True' : 'False', `${s.name}=${text}`);
    }
    throwsCode(() => m.configSync(`${s.name}=maybe`), 10022, /maybe/);
    m.configSync(`${s.name}=${original}`);
    assert.equal(m.configSync(s.name), original);
  }
  const ints = settings.filter((s) => s.kind === 'int' && !s.readOnly);
  assert.ok(ints.length >= 3, 'some writable integer settings');
  for (const s of ints) {
    const original = m.configSync(s.name);
    throwsCode(() => m.configSync(`${s.name}=twelve`), 10022, /twelve/);
    assert.equal(m.configSync(s.name), original, `${s.name} unchanged after a bad value`);
  }
  throwsCode(() => m.configSync('LogLevel=9'), 10022, /\b9\b/);
  throwsCode(() => m.configSync('WillQOS=3'), 505, /\b3\b/);
});

test('scenario_error_codes: 104, 1117, 503, 505 and 1120 with their messages', opts, async (t) => {
  const idle = new mqtt();
  await rejectsCode(idle.publishMessage('a/b', 0, 'x'), 1117, /not connected/);
  await rejectsCode(idle.publishData('a/b', 1, Buffer.from('x')), 1117, /not connected/);
  await rejectsCode(idle.subscribe('a/b', 0), 1117, /not connected/);
  await rejectsCode(idle.unsubscribe('a/b'), 1117, /not connected/);

  const id = h.uniqueClientId('takeover');
  const a = new mqtt();
  t.after(() => h.closeQuietly(a));
  a.clientId = id;
  a.version = 0;
  a.timeout = 20;
  await a.connectTo(h.HOST, h.PORT);
  await rejectsCode(a.connect(), 104, /already connected/);
  await rejectsCode(a.connectTo(h.HOST, h.PORT), 104);
  assert.equal(a.connected, true, 'the first connection is untouched');
  await rejectsCode(a.subscribe('a/#/b', 0), 503, re('a/#/b'));
  await rejectsCode(a.subscribe(h.uniqueTopic('qos3'), 3), 505, /\b3\b/);

  // A second client with the same ClientId (3.1.1): mosquitto drops the first.
  const error = h.nextEvent(a, 'Error');
  const disconnected = h.nextEvent(a, 'Disconnected');
  const b = new mqtt();
  t.after(() => h.closeQuietly(b));
  b.clientId = id;
  b.timeout = 20;
  await b.connectTo(h.HOST, h.PORT);
  const d = await disconnected;
  const e = await error;
  assert.equal(d.statusCode, 1120, d.description);
  assert.equal(e.errorCode, 1120, e.description);
  assert.ok(d.description.length > 0);
  assert.equal(a.connected, false);
  assert.equal(b.connected, true);
  await b.disconnect();
});

test('scenario_client_id_generation: a generated id for clean sessions only', opts, async (t) => {
  const m = new mqtt();
  t.after(() => h.closeQuietly(m));
  m.timeout = 20;
  assert.equal(m.clientId, '');
  await m.connectTo(h.HOST, h.PORT);
  assert.match(m.clientId, /^[0-9A-Za-z]{1,23}$/, 'a generated id, shown by ClientId');
  assert.equal(m.configSync('SessionPresent'), 'False');
  await m.disconnect();

  // CleanSession false with no id: refused before anything reaches the network.
  const server = await h.silentListener();
  t.after(() => server.close());
  const s = new mqtt();
  s.cleanSession = false;
  await rejectsCode(s.connectTo('127.0.0.1', server.port), 10022, /ClientId/);
  await sleep(200);
  assert.equal(server.sockets.length, 0, 'no connection was made');
  assert.equal(s.clientId, '');
  assert.equal(s.connected, false);
});

test('scenario_password_without_user: refused under 3.1.1 before connecting, fine under 5.0', opts, async (t) => {
  const server = await h.silentListener();
  t.after(() => server.close());
  const m = new mqtt();
  t.after(() => h.closeQuietly(m));
  m.timeout = 20;
  m.password = 'only-a-password';
  await rejectsCode(m.connectTo('127.0.0.1', server.port), 10022, /Password/);
  await sleep(200);
  assert.equal(server.sockets.length, 0, 'nothing was sent');
  assert.equal(m.connected, false);

  m.version = 1;
  await m.connectTo(h.HOST, h.PORT);
  assert.equal(m.connected, true);
  await m.disconnect();
});

test('scenario_will_on_cut: a destroyed client leaves its Will, a disconnecting one does not', opts, async (t) => {
  const topic = h.uniqueTopic('will');
  const watcher = await h.connected();
  t.after(() => h.closeQuietly(watcher));
  const got = [];
  watcher.on('MessageIn', (e) => got.push(e));
  await watcher.subscribe(topic, 1);

  // Destroying a connected client in Node: its process ends while it is connected (the
  // native object is finalised; no DISCONNECT is sent).
  const r = await h.runChild(`${h.CHILD_PRELUDE}
    (async () => {
      const m = new mqtt();
      m.willTopic = ${JSON.stringify(topic)};
      m.willMessage = 'cut';
      m.configSync('WillQOS=1');
      m.configSync('WillRetain=True');
      await m.connectTo(HOST, PORT);
      console.log('connected');
      process.exit(0);
    })().catch((e) => { console.error(e); process.exit(3); });`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /connected/);
  await h.until(() => got.length >= 1, 'the Will');
  assert.equal(got[0].topic, topic);
  assert.equal(got[0].message, 'cut');
  assert.equal(got[0].QOS, 1, 'WillQOS 1');

  // WillRetain: a later subscriber gets the Will as a retained message.
  const late = await h.connected();
  t.after(() => h.closeQuietly(late));
  const retained = h.nextEvent(late, 'MessageIn');
  await late.subscribe(topic, 1);
  const kept = await retained;
  assert.equal(kept.message, 'cut');
  assert.equal(kept.retained, true);
  // Clear it.
  late.configSync('Retain=True');
  await late.publishMessage(topic, 1, '');
  late.configSync('Retain=False');
  await late.disconnect();

  // A client that disconnects leaves no Will.
  got.length = 0;
  const polite = new mqtt();
  polite.timeout = 20;
  polite.willTopic = topic;
  polite.willMessage = 'polite';
  polite.configSync('WillQOS=1');
  await polite.connectTo(h.HOST, h.PORT);
  await polite.disconnect();
  await watcher.publishMessage(topic, 1, 'fence');
  await h.until(() => got.some((e) => e.message === 'fence'), 'the fence');
  assert.deepEqual(got.map((e) => e.message).filter((x) => x !== ''), ['fence'], 'no Will after Disconnect');
  await watcher.disconnect();
});

test('scenario_retain_and_clear: retained for later subscribers, cleared by an empty message', opts, async (t) => {
  const topic = h.uniqueTopic('retain');
  const pub = await h.connected();
  t.after(() => h.closeQuietly(pub));
  const acked = () => h.nextEvent(pub, 'MessageOut');
  pub.configSync('Retain=True');
  let out = acked();
  await pub.publishMessage(topic, 1, 'kept');
  assert.equal((await out).retained, true);
  pub.configSync('Retain=False');

  const sub = await h.connected();
  t.after(() => h.closeQuietly(sub));
  const first = h.nextEvent(sub, 'MessageIn');
  await sub.subscribe(topic, 1);
  const e = await first;
  assert.equal(e.message, 'kept');
  assert.equal(e.retained, true);
  await sub.disconnect();

  pub.configSync('Retain=True');
  out = acked();
  await pub.publishMessage(topic, 1, '');
  await out;
  pub.configSync('Retain=False');

  const sub2 = await h.connected();
  t.after(() => h.closeQuietly(sub2));
  const got = [];
  sub2.on('MessageIn', (x) => got.push(x));
  await sub2.subscribe(topic, 1);
  await pub.publishMessage(topic, 1, 'fence');
  await h.until(() => got.length >= 1, 'the fence');
  await sleep(50);
  assert.deepEqual(got.map((x) => [x.message, x.retained]), [['fence', false]], 'nothing retained any more');
  await sub2.disconnect();
  await pub.disconnect();
});

test('scenario_duplicate_and_packet_id: DUP flag on a QoS 1 publish; OutgoingPacketId matches', opts, async (t) => {
  const m = await h.connected();
  t.after(() => h.closeQuietly(m));
  const topic = h.uniqueTopic('dup');
  await m.subscribe(topic, 1);
  m.configSync('Duplicate=True');
  let out = h.nextEvent(m, 'MessageOut');
  await m.publishMessage(topic, 1, 'again');
  const id = Number(m.configSync('OutgoingPacketId'));
  const e = await out;
  assert.equal(e.duplicate, true);
  assert.ok(e.packetId > 0);
  assert.equal(id, e.packetId);

  m.configSync('Duplicate=False');
  out = h.nextEvent(m, 'MessageOut');
  await m.publishMessage(topic, 1, 'fresh');
  const id2 = Number(m.configSync('OutgoingPacketId'));
  const e2 = await out;
  assert.equal(e2.duplicate, false);
  assert.equal(id2, e2.packetId);
  assert.notEqual(id2, id);
  await m.disconnect();
});

test('scenario_send_custom_packet: C000 is a PINGREQ answered by PINGRESP; bad hex refused', opts, async (t) => {
  const m = await h.connected();
  t.after(() => h.closeQuietly(m));
  m.configSync('LogLevel=3');
  const pingresp = h.nextEvent(m, 'Log', (l) => l.logType === 'Packet' && /PINGRESP/.test(l.message));
  pingresp.catch(() => {}); // awaited below; only a failed config() leaves it unobserved
  assert.equal(await m.config('SendCustomPacket=C000'), '');
  const line = await pingresp;
  assert.equal(line.logLevel, 3);
  for (const bad of ['C00', 'ZZ', 'C0G0']) {
    throwsCode(() => m.configSync(`SendCustomPacket=${bad}`), 10022, re(bad));
  }
  assert.equal(m.connected, true);
  await m.disconnect();
});

test('scenario_reentrant_handlers: publish from MessageIn, subscribe from Connected, disconnect from MessageAck', opts, async (t) => {
  const m = new mqtt();
  t.after(() => h.closeQuietly(m));
  m.timeout = 20;
  const ping = h.uniqueTopic('reentrant-ping');
  const pong = h.uniqueTopic('reentrant-pong');
  const subscribed = [];
  const failures = [];
  let pongId = 0;
  let pongAcked = false;
  const ready = new Promise((resolve) => {
    m.on('Subscribed', (e) => {
      subscribed.push(e.topicFilter);
      if (subscribed.length === 2) resolve();
    });
  });
  m.on('Connected', (e) => {
    if (e.statusCode === 0) m.subscribe(`${ping},${pong}`, 1).catch((err) => failures.push(err));
  });
  m.on('MessageIn', (e) => {
    if (e.topic !== ping) return;
    m.publishMessage(pong, 1, `re: ${e.message}`).catch((err) => failures.push(err));
    pongId = Number(m.configSync('OutgoingPacketId'));
  });
  m.on('MessageAck', (e) => {
    if (e.direction === 0 && e.packetId === pongId) {
      pongAcked = true;
      m.disconnect().catch((err) => failures.push(err));
    }
  });
  const disconnected = h.nextEvent(m, 'Disconnected');
  await m.connectTo(h.HOST, h.PORT);
  await ready;
  assert.deepEqual(subscribed, [ping, pong]);
  await m.publishMessage(ping, 1, 'hello');
  const d = await disconnected;
  assert.equal(d.statusCode, 0);
  assert.ok(pongAcked, 'the reply published from MessageIn was acknowledged');
  assert.deepEqual(failures, []);
  assert.equal(m.connected, false);
});

test('scenario_threads_publish: four concurrent tasks publish 50 messages each on one client', opts, async (t) => {
  // One client is used from one JavaScript thread; four tasks interleave their publishes.
  const m = await h.connected();
  t.after(() => h.closeQuietly(m));
  const topic = h.uniqueTopic('tasks');
  const got = new Set();
  m.on('MessageIn', (e) => got.add(e.message));
  await m.subscribe(topic, 1);
  const task = async (n) => {
    for (let i = 0; i < 50; i++) {
      await m.publishMessage(topic, 1, `${n}:${i}`);
      if (i % 7 === n) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await Promise.all([0, 1, 2, 3].map(task));
  await h.until(() => got.size === 200, 'all 200 messages', 30000);
  for (let n = 0; n < 4; n++) for (let i = 0; i < 50; i++) assert.ok(got.has(`${n}:${i}`));
  await m.disconnect();
});

test('scenario_destroy_in_flight: clients destroyed with QoS 1/2 messages in flight', opts, async () => {
  const topic = h.uniqueTopic('destroy');
  // 1. The connection ends while QoS 1/2 messages are in flight (DISCONNECT follows the last
  //    PUBLISH, so the last ones are never acknowledged), the last reference goes and gc()
  //    runs: the client is collected and the process ends on its own.
  const collected = await h.runChild(`${h.CHILD_PRELUDE}
    const gone = new FinalizationRegistry((what) => console.log('collected', what));
    (async () => {
      let m = new mqtt();
      await m.connectTo(HOST, PORT);
      const payload = 'x'.repeat(20000);
      for (let i = 0; i < 100; i++) m.publishMessage(${JSON.stringify(topic)}, 1 + (i % 2), payload);
      const closed = new Promise((resolve) => m.once('Disconnected', resolve));
      m.interrupt();
      await closed;
      console.log('in flight', m.outgoingMessages.length);
      gone.register(m, 'client');
      m = null;
      for (let i = 0; i < 100; i++) {
        await new Promise((r) => setTimeout(r, 20));
        global.gc();
      }
    })().catch((e) => { console.error(e); process.exit(3); });`, 20000);
  assert.equal(collected.timedOut, false, 'the child ended on its own');
  assert.equal(collected.code, 0, collected.stderr);
  assert.equal(collected.signal, null);
  const inFlight = Number((/in flight (\d+)/.exec(collected.stdout) || [])[1]);
  assert.ok(inFlight > 0, `messages were still in flight: ${collected.stdout}`);
  assert.match(collected.stdout, /collected client/);
  assert.equal(collected.stderr, '');

  // 2. Dropped and gc()'d while still connected with messages in flight: a connected client
  //    stays alive (its listeners may still fire), so it is destroyed when the process
  //    exits: the native object is finalised with the messages unacknowledged.
  const atExit = await h.runChild(`${h.CHILD_PRELUDE}
    (async () => {
      let m = new mqtt();
      await m.connectTo(HOST, PORT);
      for (let i = 0; i < 200; i++) m.publishData(${JSON.stringify(topic)}, 1 + (i % 2), Buffer.alloc(5000, i));
      m = null;
      global.gc();
      await new Promise((r) => setTimeout(r, 5));
      global.gc();
      console.log('exiting');
      process.exit(0);
    })().catch((e) => { console.error(e); process.exit(3); });`);
  assert.equal(atExit.timedOut, false);
  assert.equal(atExit.code, 0, atExit.stderr);
  assert.equal(atExit.signal, null);
  assert.match(atExit.stdout, /exiting/);
  assert.equal(atExit.stderr, '');
});
