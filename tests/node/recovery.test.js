'use strict';
// The recovery scenarios of tests/scenarios.tsv (issue 14), one test named scenario_<id>
// each: the application keeps its event loop whatever the server does, and the client
// recovers from servers that flood, stall, restart from lost state or misbehave. Hostile
// servers are tests/harness/hostile-peer; restarts and freezes use a mosquitto of the test's
// own (tests/harness/lone-broker); the rest the shared broker.
const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');
const { mqtt } = h;

const opts = { skip: h.NO_BROKER, timeout: 90000 };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The rejection of `p` (a Promise that must reject), or a failure if it resolves. */
async function rejection(p, what) {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail(`${what} succeeded`);
}

const statuses = (seen, name) => seen.filter(([n]) => n === name).map(([, e]) => e.statusCode);

// ---- a flood of messages ----

// The flooded client runs in a child process: should its event loop starve, this one still
// notices (the child then reports nothing in time and is killed) instead of hanging with it.
function floodChild(port, keepAliveInterval, body) {
  return `
const { mqtt } = require('ferromq');
const busy = (ms) => { const end = performance.now() + ms; while (performance.now() < end); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const report = {};
(async () => {
  const m = new mqtt();
  m.timeout = 20;
  ${keepAliveInterval ? `m.keepAliveInterval = ${keepAliveInterval};` : ''}
  const seen = { count: 0, lost: [], errors: [] };
  // A listener that takes 1 ms per message.
  m.on('MessageIn', () => { seen.count++; busy(1); });
  m.on('Disconnected', (e) => seen.lost.push(e.statusCode));
  m.on('Error', (e) => seen.errors.push(e.errorCode));
  await m.connectTo('127.0.0.1', ${port});
  ${body}
  report.count = seen.count;
  report.lost = [...seen.lost];
  report.errors = [...seen.errors];
  report.connected = m.connected;
  // Nobody listens any more: what is queued is skipped, and the client ends at once.
  m.removeAllListeners('MessageIn');
  await m.reset();
  console.log(JSON.stringify(report));
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(3); });
`;
}

async function runFlood(body, keepAliveInterval = 0) {
  const peer = await h.hostilePeer('flood');
  try {
    const r = await h.runChild(floodChild(peer.port, keepAliveInterval, body), 75000);
    assert.equal(r.timedOut, false, `the flooded child never reported (its event loop starved?): ${r.stdout} ${r.stderr}`);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } finally {
    await peer.close();
  }
}

test('scenario_flood_returns_control: timers run and subscribe() settles while a server floods', opts, async () => {
  const r = await runFlood(`
  // Far more than one turn of the drain can fire has arrived: the flood is on.
  while (seen.count <= 2000) await sleep(10);
  const asked = Date.now();
  const before = seen.count;
  report.late = await new Promise((resolve) => setTimeout(() => resolve(Date.now() - asked - 100), 100));
  report.duringTimer = seen.count - before;
  // The SUBACK is behind everything the peer wrote before it: SUBACK or 201, but settled.
  m.timeout = 2;
  const started = Date.now();
  const atSubscribe = seen.count;
  try {
    await m.subscribe('flood/other', 0);
    report.subscribe = 0;
  } catch (e) {
    report.subscribe = e.code;
  }
  report.took = Date.now() - started;
  report.duringSubscribe = seen.count - atSubscribe;
  `);
  assert.ok(r.late < 2000, `the timer ran ${r.late} ms late`);
  assert.ok(r.duringTimer > 0, 'the flood went on while the timer waited');
  assert.ok(r.subscribe === 0 || r.subscribe === 201, `subscribe() failed with ${r.subscribe}`);
  assert.ok(r.took < 15000, `subscribe() with timeout 2 settled after ${r.took} ms`);
  assert.ok(r.duringSubscribe > 0, 'the flood went on meanwhile');
  assert.equal(r.connected, true);
  assert.deepEqual(r.lost, []);
});

test('scenario_flood_keepalive_survives: a slow consumer under a flood is not taken for a dead server', opts, async () => {
  // The scenario's own duration: eight keep-alive intervals of flood.
  const r = await runFlood('await sleep(8000);', 1);
  assert.deepEqual(r.lost, [], 'the flood was taken for a dead server');
  assert.deepEqual(r.errors.filter((c) => c === 201), []);
  assert.equal(r.connected, true);
  assert.ok(r.count > 1000, `the flood was read (${r.count} messages)`);
});

// ---- a server that lost its state ----

test('scenario_id_reuse_after_server_restart: a reused packet id does not close the connection', opts, async (t) => {
  const peer = await h.hostilePeer('reuse-id');
  t.after(() => peer.close());
  const m = new mqtt();
  m.timeout = 20;
  await m.config('LogLevel=2');
  const got = [];
  m.on('MessageIn', (e) => got.push([e.topic, e.message]));
  const seen = h.record(m, ['Disconnected', 'Log']);
  t.after(() => h.closeQuietly(m));
  await m.connectTo('127.0.0.1', peer.port);
  await h.until(() => got.some(([topic]) => topic === 't/end'), 't/end', 20000);
  assert.deepEqual(got, [['t/new', 'new'], ['t/end', 'end']]);
  assert.deepEqual(seen.filter(([n]) => n === 'Disconnected'), [], 'the client closed the connection');
  assert.equal(m.connected, true);
  assert.deepEqual(m.incomingMessages, [], 'the forgotten QoS 2 message was dropped');
  const logs = seen.filter(([n]) => n === 'Log').map(([, e]) => e.message);
  assert.ok(logs.some((s) => /\b7\b/.test(s)), `the drop of the forgotten message is logged: ${JSON.stringify(logs)}`);
});

/**
 * Runs `code` in a child node (cwd tests/node, so require('ferromq') resolves as for users)
 * with `args` as process.argv.slice(1), and watches it: `lines` it printed so far, whether
 * it is `alive()`, its `exit` ({code, signal}) once over. Killed when the test ends.
 */
function watchChild(t, code, args) {
  const { spawn } = require('node:child_process');
  const child = spawn(process.execPath, ['-e', code, ...args.map(String)], {
    cwd: __dirname,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const w = { lines: [], stderr: '', exit: null };
  let partial = '';
  child.stdout.on('data', (d) => {
    partial += d;
    let nl;
    while ((nl = partial.indexOf('\n')) >= 0) {
      w.lines.push(partial.slice(0, nl));
      partial = partial.slice(nl + 1);
    }
  });
  child.stderr.on('data', (d) => { w.stderr += d; });
  child.once('exit', (code, signal) => { w.exit = { code, signal }; });
  t.after(() => { if (w.exit === null) child.kill('SIGKILL'); });
  w.alive = () => w.exit === null;
  w.said = () => `child said ${JSON.stringify(w.lines)}, exit ${JSON.stringify(w.exit)}, stderr ${w.stderr}`;
  /** Resolves once a printed line satisfies `pred`; fails if the child exits first. */
  w.waitLine = async (pred, what, ms = 30000) => {
    await h.until(() => w.lines.some(pred) || !w.alive(), what, ms);
    assert.ok(w.lines.some(pred), `${what}: the child exited first; ${w.said()}`);
  };
  /** Resolves with the exit once the child ended on its own; fails after `ms`. */
  w.exited = async (what, ms = 30000) => {
    await h.until(() => !w.alive(), what, ms).catch((e) => assert.fail(`${e.message}; ${w.said()}`));
    return w.exit;
  };
  return w;
}

// The subscriber of broker_restart_recovers: nothing but its client keeps it running once
// the script's own code is done. It prints what happens, one word per line and event.
const RESTART_CHILD = `
const { mqtt } = require('ferromq');
const [port, clientId, topic] = process.argv.slice(1);
(async () => {
  const m = new mqtt();
  m.clientId = clientId;
  m.cleanSession = false;
  m.timeout = 20;
  m.configSync('AutoReconnect=true');
  m.configSync('ReconnectMinDelay=100');
  m.on('Connected', (e) => console.log('connected', e.statusCode));
  m.on('Disconnected', (e) => console.log('disconnected', e.statusCode));
  m.on('MessageIn', (e) => {
    console.log('message', e.message);
    // From here on the connection no longer keeps the process alive.
    if (e.message === 'after restart') m.unref();
  });
  process.on('exit', (code) => console.log('exit', code));
  await m.connectTo('127.0.0.1', Number(port));
  await m.subscribe(topic, 1);
  console.log('subscribed');
})().catch((e) => { console.error(e); process.exit(3); });
`;

test('scenario_broker_restart_recovers: a subscriber stays alive across a broker restart and receives again', opts, async (t) => {
  const broker = await h.loneBroker();
  t.after(() => broker.close());
  const clientId = h.uniqueClientId('restart');
  const topic = h.uniqueTopic('restart');
  const child = watchChild(t, RESTART_CHILD, [broker.port, clientId, topic]);
  const { lines, alive, said, waitLine } = child;

  const since = Date.now();
  await waitLine((l) => l === 'subscribed', 'the subscription');
  await broker.waitSaved(since);

  await broker.kill();
  await waitLine((l) => /^disconnected [1-9]/.test(l), 'the loss reported');
  // Reconnecting against a dead port: attempts fail (a failed Connected each) and back off
  // for longer and longer; between them only the client can keep the child running.
  const failed = () => lines.filter((l) => /^connected [1-9]/.test(l)).length;
  await h.until(() => failed() >= 3 || !alive(), 'three failed attempts', 30000);
  await sleep(1500);
  assert.ok(alive(), `the child exited while reconnecting; ${said()}`);

  await broker.start();
  const connections = () => lines.filter((l) => l === 'connected 0').length;
  await h.until(() => connections() >= 2 || !alive(), 'the reconnection', 30000);
  assert.ok(connections() >= 2, `no reconnection; ${said()}`);

  // Published after the restart, until it arrives: whether the broker kept the
  // subscription or the client made it again, the subscriber receives it.
  const p = new mqtt();
  p.timeout = 20;
  t.after(() => h.closeQuietly(p));
  await p.connectTo('127.0.0.1', broker.port);
  const end = Date.now() + 20000;
  while (!lines.includes('message after restart')) {
    assert.ok(Date.now() < end && alive(), `nothing arrived after the restart; ${said()}`);
    await p.publishMessage(topic, 1, 'after restart');
    await sleep(300);
  }
  await p.disconnect();

  // unref()'d, the still connected client lets the child end on its own.
  assert.deepEqual(await child.exited('the child to exit after unref()'), { code: 0, signal: null }, said());
  const attempts = lines.filter((l) => l.startsWith('connected '));
  assert.equal(attempts.filter((l) => l === 'connected 0').length, 2, said());
  // Three failed attempts were waited for on purpose; the backoff keeps the rest few.
  assert.ok(attempts.length <= 14, `${attempts.length} connection attempts; ${said()}`);
});

// ---- how long a client keeps the process alive around reconnecting (Node's own) ----

// A client with AutoReconnect in a child of its own; nothing else keeps the child running.
const LIFETIME_CHILD = `
const { mqtt } = require('ferromq');
const [host, port, mode] = process.argv.slice(1);
(async () => {
  const m = new mqtt();
  m.timeout = 20;
  m.configSync('AutoReconnect=true');
  m.configSync('ReconnectMinDelay=100');
  if (mode === 'gives-up') m.configSync('ReconnectMaxAttempts=2');
  m.on('Connected', (e) => {
    console.log('connected', e.statusCode);
    if (mode === 'disconnect' && e.statusCode !== 0) m.disconnect().then(() => console.log('we disconnected'));
  });
  m.on('Disconnected', (e) => console.log('disconnected', e.statusCode));
  await m.connectTo(host, Number(port));
  if (mode === 'unref') m.unref();
  if (mode === 'ref') {
    m.unref().ref();
    setTimeout(() => m.disconnect(), 1000).unref();
  }
  console.log('up');
})().catch((e) => { console.error(e); process.exit(3); });
`;

test('an unref()\'d connected client lets the process exit; ref() undoes that', opts, async (t) => {
  const unrefd = watchChild(t, LIFETIME_CHILD, [h.HOST, h.PORT, 'unref']);
  assert.deepEqual(await unrefd.exited('the unref()\'d child to exit'), { code: 0, signal: null }, unrefd.said());
  assert.ok(unrefd.lines.includes('up'), unrefd.said());

  // ref() again: only its own disconnect (on an unref'd timer) lets the child end.
  const refd = watchChild(t, LIFETIME_CHILD, [h.HOST, h.PORT, 'ref']);
  assert.deepEqual(await refd.exited('the child to exit after its disconnect'), { code: 0, signal: null }, refd.said());
  assert.deepEqual(refd.lines, ['connected 0', 'up', 'disconnected 0'], refd.said());
});

test('reconnecting that gives up (ReconnectMaxAttempts) lets the process exit', opts, async (t) => {
  const broker = await h.privateBroker();
  t.after(() => broker.stop());
  const child = watchChild(t, LIFETIME_CHILD, ['127.0.0.1', broker.port, 'gives-up']);
  await child.waitLine((l) => l === 'up', 'the connection');
  await broker.kill();
  assert.deepEqual(await child.exited('the child to exit once reconnecting gave up'), { code: 0, signal: null }, child.said());
  const failed = child.lines.filter((l) => /^connected [1-9]/.test(l));
  assert.equal(failed.length, 2, `two attempts, then it gave up; ${child.said()}`);
});

test('disconnect() while reconnecting lets the process exit', opts, async (t) => {
  const broker = await h.privateBroker();
  t.after(() => broker.stop());
  const child = watchChild(t, LIFETIME_CHILD, ['127.0.0.1', broker.port, 'disconnect']);
  await child.waitLine((l) => l === 'up', 'the connection');
  await broker.kill();
  assert.deepEqual(await child.exited('the child to exit after its disconnect'), { code: 0, signal: null }, child.said());
  assert.ok(child.lines.includes('we disconnected'), child.said());
  assert.equal(child.lines.filter((l) => /^connected [1-9]/.test(l)).length, 1, child.said());
});

// Quiet (LogLevel 0: no Log lines at all) and told only by isReconnecting() whether
// another attempt follows; it prints what that says in each listener. Once reconnected it
// disconnects on purpose, and nothing else keeps the child running.
const QUIET_CHILD = `
const { mqtt } = require('ferromq');
const [port] = process.argv.slice(1);
(async () => {
  const m = new mqtt();
  m.timeout = 20;
  m.configSync('LogLevel=0');
  m.configSync('AutoReconnect=true');
  m.configSync('ReconnectMinDelay=100');
  let ups = 0;
  m.on('Log', (e) => console.log('log', e.message));
  m.on('Connected', (e) => {
    console.log('connected', e.statusCode, 'reconnecting', m.isReconnecting());
    if (e.statusCode === 0 && ++ups === 2) {
      m.disconnect().then(() => console.log('we disconnected, reconnecting', m.isReconnecting(), m.reconnecting));
    }
  });
  m.on('Disconnected', (e) => console.log('disconnected', e.statusCode, 'reconnecting', m.isReconnecting()));
  await m.connectTo('127.0.0.1', Number(port));
  console.log('up');
})().catch((e) => { console.error(e); process.exit(3); });
`;

test('with LogLevel 0 a reconnecting client keeps the process alive; isReconnecting() says so', opts, async (t) => {
  const broker = await h.privateBroker();
  t.after(() => broker.stop());
  const child = watchChild(t, QUIET_CHILD, [broker.port]);
  const { lines, alive, said, waitLine } = child;
  await waitLine((l) => l === 'up', 'the connection');
  assert.deepEqual(lines, ['connected 0 reconnecting false', 'up'], said());

  await broker.kill();
  await waitLine((l) => /^disconnected [1-9]/.test(l), 'the loss reported');
  const lost = lines.find((l) => /^disconnected [1-9]/.test(l));
  assert.match(lost, / reconnecting true$/, `isReconnecting() in the Disconnected listener; ${said()}`);
  // Attempts 1 to 4 come about 0.1, 0.3, 0.7 and 1.5 s after the loss: past the second it
  // would have been let go when the client waited for Log lines that never come.
  const failed = () => lines.filter((l) => /^connected [1-9]/.test(l));
  await h.until(() => failed().length >= 4 || !alive(), 'four failed attempts', 30000);
  assert.ok(alive(), `the child exited while reconnecting; ${said()}`);
  for (const l of failed()) assert.match(l, / reconnecting true$/, said());

  await broker.restart();
  // Reconnected, the child disconnects on purpose and then has nothing left to wait for.
  assert.deepEqual(await child.exited('the child to exit after its disconnect'), { code: 0, signal: null }, said());
  assert.ok(lines.includes('disconnected 0 reconnecting false'), said());
  assert.ok(lines.includes('we disconnected, reconnecting false false'), said());
  assert.equal(lines.filter((l) => l === 'connected 0 reconnecting false').length, 2, said());
  assert.deepEqual(lines.filter((l) => l.startsWith('log ')), [], `LogLevel 0 logs nothing; ${said()}`);
});

test('scenario_early_drop_backs_off: a server that drops every connection after CONNACK meets a growing backoff', opts, async (t) => {
  const peer = await h.hostilePeer('early-drop');
  t.after(() => peer.close());
  const m = new mqtt();
  m.timeout = 20;
  assert.equal(m.configSync('ReconnectStableTime'), '10000');
  await m.config('AutoReconnect=true');
  await m.config('ReconnectMinDelay=100');
  const seen = h.record(m, ['Connected']);
  t.after(() => m.reset()); // stops reconnecting
  await m.connectTo('127.0.0.1', peer.port);
  // The scenario's own window.
  await sleep(3000);
  const ok = statuses(seen, 'Connected').filter((c) => c === 0).length;
  assert.ok(ok >= 2, `it did not reconnect (${JSON.stringify(statuses(seen, 'Connected'))})`);
  assert.ok(ok <= 8, `${ok} connections in 3 s: each CONNACK reset the backoff`);
});

// ---- a server that stops answering ----

test('scenario_stall_detected_while_publishing: a frozen broker is noticed while we publish', opts, async (t) => {
  const broker = await h.loneBroker();
  t.after(() => broker.close());
  const m = new mqtt();
  m.timeout = 20;
  m.keepAliveInterval = 2;
  // Every publish reaches the wire (the in-flight window never fills and goes quiet): the
  // keep-alive must not count on silence to notice the server.
  await m.config('MaxInflight=1000');
  const gone = [];
  m.on('Disconnected', (e) => gone.push({ at: Date.now(), code: e.statusCode }));
  t.after(() => h.closeQuietly(m));
  await m.connectTo('127.0.0.1', broker.port);
  m.timeout = 0;
  broker.signal('SIGSTOP');
  const frozen = Date.now();
  try {
    while (gone.length === 0) {
      assert.ok(Date.now() - frozen < 30000, 'the frozen server was never noticed');
      try {
        await m.publishMessage('stall/t', 1, 'x');
      } catch (e) {
        assert.ok(e.code === 135 || e.code === 1117, e.message); // a full buffer, or already gone
      }
      await sleep(50);
    }
  } finally {
    broker.signal('SIGCONT');
    await broker.kill();
  }
  const took = gone[0].at - frozen;
  assert.equal(gone[0].code, 201);
  assert.ok(took < 8000, `the frozen server was noticed after ${took} ms`);
});

test('scenario_wait_check_interrupts: a SIGINT listener runs during connectTo and interrupts it', opts, async (t) => {
  const silent = await h.silentListener();
  t.after(() => silent.close());
  const m = new mqtt();
  m.timeout = 10;
  t.after(() => h.closeQuietly(m));
  let signalled = null;
  const onSigint = () => {
    signalled = Date.now();
    m.interrupt().catch(() => {});
  };
  process.on('SIGINT', onSigint);
  t.after(() => process.off('SIGINT', onSigint));
  const connecting = m.connectTo('127.0.0.1', silent.port);
  const outcome = connecting.then(() => null, (e) => ({ e, at: Date.now() }));
  // The CONNECT has arrived: the connect now waits for a CONNACK that never comes.
  await h.until(() => silent.bytes > 0, 'the CONNECT', 10000);
  process.kill(process.pid, 'SIGINT');
  const r = await outcome;
  assert.ok(r !== null, 'connectTo succeeded against a silent listener');
  assert.ok(signalled !== null, 'the SIGINT listener did not run');
  assert.equal(r.e.code, 301, r.e.message);
  assert.ok(r.at - signalled < 1000, `rejected ${r.at - signalled} ms after the signal`);
  assert.equal(m.connected, false);
});

// ---- limits and protocol details ----

test('scenario_inbound_size_limit: MaxIncomingPacketSize ends (3.1.1) or announces (5.0) the limit', opts, async (t) => {
  assert.equal(new mqtt().configSync('MaxIncomingPacketSize'), '67108864');
  const p = await h.connected();
  t.after(() => h.closeQuietly(p));

  // 3.1.1 has no way to tell the server: the client ends the connection.
  const m = new mqtt();
  m.timeout = 20;
  await m.config('MaxIncomingPacketSize=1000');
  assert.equal(await m.config('MaxIncomingPacketSize'), '1000');
  const seen = h.record(m, ['Disconnected', 'Error', 'MessageIn']);
  t.after(() => h.closeQuietly(m));
  await m.connectTo(h.HOST, h.PORT);
  const topic = h.uniqueTopic('limit311');
  await m.subscribe(topic, 0);
  await p.publishData(topic, 0, new Uint8Array(2000));
  await h.until(() => seen.some(([n]) => n === 'Disconnected'), 'Disconnected', 20000);
  assert.equal(seen.find(([n]) => n === 'Disconnected')[1].statusCode, 500);
  const text = seen
    .filter(([n]) => n === 'Disconnected' || n === 'Error')
    .map(([, e]) => e.description)
    .join(' ');
  const sizes = (text.match(/\d+/g) || []).map(Number);
  assert.ok(sizes.includes(1000) && sizes.some((n) => n >= 2000), text);
  assert.deepEqual(seen.filter(([n]) => n === 'MessageIn'), []);

  // 5.0 announces it: the broker does not send what is too large, and the connection stays.
  const v5 = new mqtt();
  v5.version = 1;
  v5.timeout = 20;
  await v5.config('MaxIncomingPacketSize=1000');
  const got = [];
  v5.on('MessageIn', (e) => got.push(e.message));
  const lost = h.record(v5, ['Disconnected']);
  t.after(() => h.closeQuietly(v5));
  await v5.connectTo(h.HOST, h.PORT);
  const topic5 = h.uniqueTopic('limit5');
  await v5.subscribe(topic5, 0);
  await p.publishData(topic5, 0, new Uint8Array(2000));
  await p.publishMessage(topic5, 0, 'small');
  await h.until(() => got.length >= 1, 'the small message', 20000);
  assert.deepEqual(got, ['small']);
  assert.deepEqual(lost, []);
  assert.equal(v5.connected, true);
});

test('scenario_connack_session_present_on_clean_start: refused under 5.0, kept under 3.1.1', opts, async (t) => {
  const peer = await h.hostilePeer('connack-sp1');
  t.after(() => peer.close());
  const m = new mqtt();
  m.version = 1;
  m.timeout = 20;
  t.after(() => h.closeQuietly(m));
  const e = await rejection(m.connectTo('127.0.0.1', peer.port), 'a 5.0 connect answered with Session Present 1');
  assert.equal(e.code, 500, e.message);
  assert.match(e.message, /MQTT-3\.2\.2-4/);
  assert.equal(m.connected, false);

  // 3.1.1 leaves it to the client; the connection is kept (and the oddity logged).
  const old = new mqtt();
  old.timeout = 20;
  const logs = [];
  old.on('Log', (l) => logs.push(l.message));
  t.after(() => h.closeQuietly(old));
  await old.connectTo('127.0.0.1', peer.port);
  assert.equal(old.connected, true);
  await h.until(() => logs.some((s) => /session/i.test(s)), 'a Log about the session');
});

test('scenario_empty_client_id_assigned: 5.0 takes the id the server assigns; 104 when connected', opts, async (t) => {
  const m = new mqtt();
  m.version = 1;
  m.timeout = 20;
  m.cleanSession = false;
  assert.equal(m.clientId, '');
  t.after(() => h.closeQuietly(m));
  await m.connectTo(h.HOST, h.PORT);
  assert.ok(m.clientId !== '' && !m.clientId.startsWith('ferromq'), m.clientId);

  const again = await rejection(m.connectTo(h.HOST, h.PORT), 'connectTo while connected');
  assert.equal(again.code, 104, again.message);
  assert.match(again.message, /already connected/);
  assert.equal(m.connected, true);

  // 3.1.1: a server must refuse it, so it is refused here before anything is sent.
  const silent = await h.silentListener();
  t.after(() => silent.close());
  const old = new mqtt();
  old.timeout = 20;
  old.cleanSession = false;
  t.after(() => h.closeQuietly(old));
  const e = await rejection(old.connectTo('127.0.0.1', silent.port), 'a 3.1.1 connect with an empty id and a session');
  assert.equal(e.code, 10022, e.message);
  await sleep(200);
  assert.equal(silent.sockets.length, 0, 'a connection was made before the refusal');
});

test('scenario_non_minimal_length_v311: a long-form remaining length is accepted under 3.1.1, refused under 5.0', opts, async (t) => {
  const peer = await h.hostilePeer('nonminimal');
  t.after(() => peer.close());
  const m = new mqtt();
  m.timeout = 20;
  const got = [];
  m.on('MessageIn', (e) => got.push([e.topic, e.message]));
  t.after(() => h.closeQuietly(m));
  await m.connectTo('127.0.0.1', peer.port);
  await h.until(() => got.length >= 1, 'the message');
  assert.deepEqual(got, [['t/nm', 'nm']]);

  const v5 = new mqtt();
  v5.version = 1;
  v5.timeout = 20;
  t.after(() => h.closeQuietly(v5));
  const e = await rejection(v5.connectTo('127.0.0.1', peer.port), 'a 5.0 connect answered in long form');
  assert.equal(e.code, 504, e.message);
  assert.equal(v5.connected, false);
});
