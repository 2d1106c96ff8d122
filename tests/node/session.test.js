'use strict';
// The scenarios of tests/scenarios.tsv for sessions and AutoReconnect (issue 4), one test
// named scenario_<id> each. The tests that freeze, kill or restart a broker start a mosquitto
// of their own (h.privateBroker): the harness's broker serves other tests at the same time.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const h = require('./helpers');
const { mqtt } = h;

const opts = { skip: h.NO_BROKER, timeout: 90000 };

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Asserts that the Promise rejects with an Error whose code is `code` and whose text matches. */
function rejectsCode(p, code, pattern) {
  return assert.rejects(p, (err) => {
    assert.ok(err instanceof Error, 'an Error object');
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

function removeLater(t, file) {
  t.after(() => fs.rmSync(file, { force: true }));
}

/**
 * Connects a persistent-session client to `broker`, freezes the broker (SIGSTOP) and publishes
 * `n` messages at `qos`, which therefore stay unacknowledged; saves the session (with
 * SessionStateFile = `file`) and closes the client without DISCONNECT (reset()), as if its
 * process ended. Resolves with the saved text.
 */
async function unacknowledged(t, broker, { id, topic, qos, n, file }) {
  const m = new mqtt();
  t.after(() => h.closeQuietly(m));
  m.timeout = 5;
  m.clientId = id;
  m.cleanSession = false;
  m.configSync(`SessionStateFile=${file}`);
  await m.connectTo('127.0.0.1', broker.port);
  broker.pause();
  for (let i = 0; i < n; i++) await m.publishMessage(topic, qos, `m${i}`);
  await m.doEvents(); // the collections change as pending events are delivered
  const out = m.outgoingMessages;
  assert.equal(out.length, n, `all ${n} wait for their acknowledgement`);
  assert.deepEqual(out.map((x) => [x.topic, x.message, x.QoS]), Array.from({ length: n }, (_, i) => [topic, `m${i}`, qos]));
  const text = await m.saveSession();
  await m.reset();
  assert.equal(m.connected, false);
  return text;
}

for (const qos of [1, 2]) {
  test(`scenario_session_save_restore: 5 unacknowledged QoS ${qos} publishes survive in a new client`, opts, async (t) => {
    const broker = await h.privateBroker();
    t.after(() => broker.stop());
    const topic = h.uniqueTopic('session');
    const id = h.uniqueClientId('session');
    const file = h.tempFile('session');
    removeLater(t, file);

    const text = await unacknowledged(t, broker, { id, topic, qos, n: 5, file });
    assert.ok(text.length > 0);
    assert.equal(fs.readFileSync(file, 'utf8'), text, 'SaveSession returns the text it wrote to the file');

    await broker.restart();
    const watcher = new mqtt();
    t.after(() => h.closeQuietly(watcher));
    watcher.timeout = 20;
    const got = [];
    watcher.on('MessageIn', (e) => got.push(e));
    await watcher.connectTo('127.0.0.1', broker.port);
    await watcher.subscribe(topic, 2);

    // A new object, as in a new process: it knows only the client id and the file.
    const again = new mqtt();
    t.after(() => h.closeQuietly(again));
    again.timeout = 20;
    again.clientId = id;
    again.configSync(`SessionStateFile=${file}`);
    assert.equal(again.cleanSession, true);
    await again.restoreSession(''); // the file wins over the (empty) text
    assert.equal(again.cleanSession, false, 'RestoreSession sets CleanSession false');
    const restored = again.outgoingMessages;
    assert.deepEqual(
      restored.map((x) => [x.topic, x.message, x.QoS]),
      ['m0', 'm1', 'm2', 'm3', 'm4'].map((s) => [topic, s, qos]),
      'OutgoingMessages lists the 5 before connecting',
    );

    const outs = [];
    again.on('MessageOut', (e) => outs.push(e));
    await again.connectTo('127.0.0.1', broker.port);
    await h.until(() => outs.length >= 5, 'five MessageOut');
    assert.equal(again.outgoingMessages.length, 0);
    await h.until(() => got.length >= 5, 'five messages at the subscriber');
    await sleep(300);
    assert.deepEqual(got.map((e) => e.message).sort(), ['m0', 'm1', 'm2', 'm3', 'm4'], 'each exactly once');
    for (const e of got) assert.equal(e.topic, topic);
    await again.disconnect();
    await watcher.disconnect();
  });
}

test('scenario_session_auto_save: SessionAutoSave keeps the file current and guards an unrestored one', opts, async (t) => {
  const m = new mqtt();
  t.after(() => h.closeQuietly(m));
  assert.throws(() => m.configSync('SessionAutoSave=3'), (err) => {
    assert.equal(err.code, 10022, err.message);
    assert.match(err.message, /3/);
    return true;
  });

  // On without a file: Connect says which setting is missing.
  m.timeout = 5;
  m.configSync('SessionAutoSave=1');
  await rejectsCode(m.connectTo(h.HOST, h.PORT), 10022, /SessionStateFile/);

  // Every change is in the file, and so is the count of publishes.
  const file = h.tempFile('autosave');
  removeLater(t, file);
  const id = h.uniqueClientId('autosave');
  m.clientId = id;
  m.cleanSession = false;
  m.configSync(`SessionStateFile=${file}`);
  await m.connectTo(h.HOST, h.PORT);
  const topic = h.uniqueTopic('autosave');
  for (let i = 0; i < 3; i++) await m.publishMessage(topic, 1, `m${i}`);
  // OutgoingMessages follows the events as they are delivered: process them (as the other
  // languages do) until the three are acknowledged. Right after publishMessage resolves the
  // list may not show them yet, so it must not be read before a doEvents.
  const deadline = Date.now() + 5000;
  do {
    await m.doEvents();
  } while (m.outgoingMessages.length > 0 && Date.now() < deadline);
  assert.equal(m.outgoingMessages.length, 0, 'the three are acknowledged');
  assert.equal(m.configSync('SessionPublishCount'), '3');
  assert.throws(() => m.configSync('SessionPublishCount=0'), (err) => {
    assert.equal(err.code, 10022, err.message);
    return true;
  });
  await m.disconnect();
  assert.ok(fs.existsSync(file), 'the file was written');

  // A new object, as in a new process: it knows only the file.
  const again = new mqtt();
  t.after(() => h.closeQuietly(again));
  again.configSync(`SessionStateFile=${file}`);
  await again.restoreSession('');
  assert.equal(again.configSync('SessionPublishCount'), '3');
  assert.equal(again.outgoingMessages.length, 0);

  // A file still holding unacknowledged messages is not overwritten unless restored.
  const broker = await h.privateBroker();
  t.after(() => broker.stop());
  const held = h.tempFile('autosave-held');
  removeLater(t, held);
  await unacknowledged(t, broker, { id, topic, qos: 1, n: 2, file: held });
  broker.resume();
  const other = new mqtt();
  t.after(() => h.closeQuietly(other));
  other.timeout = 5;
  other.configSync(`SessionStateFile=${held}`);
  other.configSync('SessionAutoSave=1');
  await rejectsCode(other.connectTo('127.0.0.1', broker.port), 211, /RestoreSession/);
  fs.rmSync(file, { force: true });
  fs.rmSync(held, { force: true });
});

test('scenario_session_errors: bad session text, a missing file, and a connected client are refused', opts, async (t) => {
  const broker = await h.privateBroker();
  t.after(() => broker.stop());
  const good = h.tempFile('good');
  removeLater(t, good);
  const text = await unacknowledged(t, broker, {
    id: h.uniqueClientId('serr'),
    topic: h.uniqueTopic('serr'),
    qos: 1,
    n: 2,
    file: good,
  });

  const m = new mqtt();
  const unchanged = () => {
    assert.equal(m.cleanSession, true, 'a refused restore changes nothing');
    assert.equal(m.outgoingMessages.length, 0);
    assert.equal(m.incomingMessages.length, 0);
  };
  const bad = {
    empty: '',
    truncated: text.slice(0, Math.floor(text.length / 2)),
    'corrupted (qos 1 made 2)': text.replace('"qos":1', '"qos":2'),
    'corrupted (topic changed)': text.replace('ferromq/test/node/', 'ferromq/test/nodE/'),
    'not a session': '{}',
  };
  for (const [what, bad1] of Object.entries(bad)) {
    assert.notEqual(bad1, text, what);
    await rejectsCode(m.restoreSession(bad1), 10022, /nothing was loaded/);
    unchanged();
  }

  // With SessionStateFile set the file is read (and the text ignored): a missing one is 302.
  const missing = h.tempFile('missing');
  m.configSync(`SessionStateFile=${missing}`);
  await rejectsCode(m.restoreSession(text), 302, /SessionStateFile.*nothing was loaded/);
  unchanged();

  // The control: the same text loads once the setting is cleared.
  m.configSync('SessionStateFile=');
  await m.restoreSession(text);
  assert.equal(m.cleanSession, false);
  assert.equal(m.outgoingMessages.length, 2);

  // While connected: 211, and nothing loaded.
  const c = await h.connected();
  t.after(() => h.closeQuietly(c));
  await rejectsCode(c.restoreSession(text), 211, /RestoreSession/);
  assert.equal(c.cleanSession, true);
  assert.equal(c.outgoingMessages.length, 0);
  assert.equal(c.connected, true);
  await c.disconnect();
});

test('scenario_auto_reconnect: a killed and restarted broker is reconnected to, subscriptions and queued publishes follow', opts, async (t) => {
  const broker = await h.privateBroker();
  t.after(() => broker.stop());
  const topic = h.uniqueTopic('reconnect');
  const c = new mqtt();
  t.after(() => h.closeQuietly(c));
  c.timeout = 10;
  c.configSync('AutoReconnect=true');
  c.configSync('ReconnectMinDelay=100');
  c.configSync('ReconnectMaxDelay=400');
  c.configSync('OfflineQueueLimit=3');
  const seen = h.record(c, ['Connected', 'Disconnected', 'Subscribed', 'MessageIn', 'Log']);
  const named = (n, pred = () => true) => seen.filter(([x, e]) => x === n && pred(e)).map(([, e]) => e);
  await c.connectTo('127.0.0.1', broker.port);
  await c.subscribe(topic, 1);

  const gone = h.nextEvent(c, 'Disconnected');
  await broker.kill();
  const d = await gone;
  assert.notEqual(d.statusCode, 0, `a lost connection is an error: ${d.description}`);
  assert.equal(c.connected, false);

  // Publishing while the connection is re-established: queued, up to OfflineQueueLimit. Both
  // of the face's publish paths (Timeout > 0, and Timeout 0) take part.
  await c.publishMessage(topic, 1, 'while away 0');
  await c.publishMessage(topic, 1, 'while away 1');
  c.timeout = 0;
  await c.publishMessage(topic, 1, 'while away 2');
  await rejectsCode(c.publishMessage(topic, 1, 'one too many'), 212, /OfflineQueueLimit/);
  c.timeout = 10;
  await rejectsCode(c.publishMessage(topic, 1, 'one too many'), 212, /OfflineQueueLimit 3/);

  await broker.restart();
  await h.until(() => named('MessageIn').length >= 3, 'the three queued messages', 20000);
  await sleep(300);
  assert.deepEqual(named('MessageIn').map((e) => e.message), ['while away 0', 'while away 1', 'while away 2']);
  assert.equal(c.connected, true);

  const order = seen.map(([n, e]) => (n === 'Connected' ? `Connected ${e.statusCode === 0 ? 'ok' : 'failed'}` : n))
    .filter((n) => n !== 'Log' && n !== 'MessageIn');
  const up = order.lastIndexOf('Connected ok');
  assert.deepEqual(order.slice(0, 3), ['Connected ok', 'Subscribed', 'Disconnected'], order.join(', '));
  assert.equal(named('Connected', (e) => e.statusCode === 0).length, 2, 'Connected again');
  assert.deepEqual(order.slice(up), ['Connected ok', 'Subscribed'], 'then the subscription is made again');
  const subs = named('Subscribed');
  assert.deepEqual(subs.map((e) => [e.topicFilter, e.QOS]), [[topic, 1], [topic, 1]]);
  const reconnectLogs = named('Log', (e) => e.logType === 'Reconnect');
  assert.ok(reconnectLogs.length >= 2, reconnectLogs.map((e) => e.message).join(' | '));

  // The application's own Disconnect is final.
  await c.disconnect();
  await sleep(800);
  assert.equal(c.connected, false);
  assert.equal(named('Connected', (e) => e.statusCode === 0).length, 2, 'not reconnected after disconnect()');
});
