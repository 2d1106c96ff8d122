'use strict';
// Whether a client keeps the Node process alive: only while it has a connection. Each
// case runs in a child process and we watch whether (and how) it exits on its own.
const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');

const { runChild } = h;
const PRELUDE = h.CHILD_PRELUDE;

const opts = { skip: h.NO_BROKER, timeout: 30000 };

test('a client that was never connected does not keep the process alive', async () => {
  const r = await runChild(`${PRELUDE}
    const m = new mqtt();
    m.on('MessageIn', () => {});
    m.on('Disconnected', () => {});
    m.clientId = 'idle';
    console.log('ready');`);
  assert.equal(r.timedOut, false, 'the child exited on its own');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /ready/);
});

test('the process exits normally after disconnect', opts, async () => {
  const topic = h.uniqueTopic('exit');
  const r = await runChild(`${PRELUDE}
    (async () => {
      const m = new mqtt();
      m.timeout = 10;
      m.on('MessageIn', (e) => console.log('got', e.message));
      m.on('Disconnected', (e) => console.log('disconnected', e.statusCode));
      await m.connectTo(HOST, PORT);
      await m.subscribe(${JSON.stringify(topic)}, 1);
      await m.publishMessage(${JSON.stringify(topic)}, 1, 'bye');
      await new Promise((r) => m.once('MessageIn', r));
      await m.disconnect();
      console.log('done');
    })().catch((e) => { console.error(e); process.exit(3); });`);
  assert.equal(r.timedOut, false, 'the child exited on its own after disconnect');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /got bye/);
  assert.match(r.stdout, /disconnected 0/);
  assert.match(r.stdout, /done/);
});

test('a connected client keeps the process alive', opts, async () => {
  // Nothing but the connection is left to keep the child running once the IIFE is done:
  // the timer is unref'd.
  const topic = h.uniqueTopic('keep');
  const r = await runChild(`${PRELUDE}
    (async () => {
      const m = new mqtt();
      m.on('MessageIn', (e) => { console.log('got', e.message); m.disconnect(); });
      m.on('Disconnected', () => console.log('disconnected'));
      await m.connectTo(HOST, PORT);
      await m.subscribe(${JSON.stringify(topic)}, 0);
      setTimeout(() => m.publishMessage(${JSON.stringify(topic)}, 0, 'late'), 500).unref();
    })().catch((e) => { console.error(e); process.exit(3); });`);
  assert.equal(r.timedOut, false);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /got late\s+disconnected/);
});

test('a connected client with no reference left is not garbage collected', opts, async () => {
  // The client is unreachable from JavaScript once connected; it must neither be collected
  // nor let the process end while its connection is up. It disconnects itself later.
  const topic = h.uniqueTopic('alive');
  const r = await runChild(`${PRELUDE}
    (async () => {
      const m = new mqtt();
      m.timeout = 10;
      let n = 0;
      m.on('MessageIn', (e) => {
        console.log('got', e.message);
        if (++n === 2) m.disconnect();
      });
      m.on('Disconnected', () => console.log('disconnected'));
      await m.connectTo(HOST, PORT);
      await m.subscribe(${JSON.stringify(topic)}, 0);
      const other = new mqtt();
      await other.connectTo(HOST, PORT);
      // Publish from a second process-internal client after a pause, with GC in between.
      await other.publishMessage(${JSON.stringify(topic)}, 0, 'one');
      const later = () => other.publishMessage(${JSON.stringify(topic)}, 0, 'two').then(() => other.disconnect());
      setTimeout(() => { if (global.gc) global.gc(); }, 50).unref();
      // Only the connections keep the process running from here on.
      setTimeout(later, 400).unref();
      console.log('waiting');
    })().catch((e) => { console.error(e); process.exit(3); });`);
  assert.equal(r.timedOut, false);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /got one\s+got two\s+disconnected/);
});

test('a process whose connect failed exits', opts, async () => {
  const r = await runChild(`${PRELUDE}
    const m = new mqtt();
    m.on('Connected', (e) => console.log('connected event', e.statusCode));
    m.connectTo(HOST, Number(process.env.FERROMQ_TEST_CLOSED_PORT))
      .catch((e) => console.log('failed', e.code));`);
  assert.equal(r.timedOut, false);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /connected event 10061/);
  assert.match(r.stdout, /failed 10061/);
});

test('setting connected = true with nobody awaiting fails quietly into events', opts, async () => {
  const r = await runChild(`${PRELUDE}
    const m = new mqtt();
    m.remoteHost = HOST;
    m.remotePort = Number(process.env.FERROMQ_TEST_CLOSED_PORT);
    m.on('Connected', (e) => console.log('connected event', e.statusCode));
    m.connected = true;`);
  assert.equal(r.timedOut, false);
  assert.equal(r.code, 0, `no unhandled rejection: ${r.stderr}`);
  assert.match(r.stdout, /connected event 10061/);
});

test('a connection dropped by the server lets the process exit after Disconnected', opts, async () => {
  const id = `ferromq-node-drop-${process.pid}-${Date.now()}`;
  const r = await runChild(`${PRELUDE}
    (async () => {
      const a = new mqtt();
      a.clientId = ${JSON.stringify(id)};
      a.on('Disconnected', (e) => console.log('a disconnected', e.statusCode !== 0));
      await a.connectTo(HOST, PORT);
      const b = new mqtt();
      b.clientId = ${JSON.stringify(id)};
      b.on('Disconnected', () => console.log('b disconnected'));
      // Once a is gone, b leaves too; then nothing is connected.
      const aGone = new Promise((r) => a.once('Disconnected', r));
      await b.connectTo(HOST, PORT);
      await aGone;
      await b.disconnect();
    })().catch((e) => { console.error(e); process.exit(3); });`);
  assert.equal(r.timedOut, false);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /a disconnected true/);
  assert.match(r.stdout, /b disconnected/);
});

test('a throwing listener is an uncaught exception; later events still arrive', opts, async () => {
  const topic = h.uniqueTopic('throw');
  const r = await runChild(`${PRELUDE}
    let uncaught = 0;
    process.on('uncaughtException', (e) => { uncaught++; console.log('uncaught', e.message); });
    (async () => {
      const m = new mqtt();
      const got = [];
      m.on('MessageIn', (e) => { got.push(e.message); if (e.message === 'a') throw new Error('boom'); });
      await m.connectTo(HOST, PORT);
      await m.subscribe(${JSON.stringify(topic)}, 0);
      await m.publishMessage(${JSON.stringify(topic)}, 0, 'a');
      await m.publishMessage(${JSON.stringify(topic)}, 0, 'b');
      while (got.length < 2) await new Promise((r) => setTimeout(r, 10));
      await m.disconnect();
      console.log('got', got.join(','), 'uncaught', uncaught);
    })().catch((e) => { console.error(e); process.exit(3); });`);
  assert.equal(r.timedOut, false);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /uncaught boom/);
  assert.match(r.stdout, /got a,b uncaught 1/);
});

test('many short-lived clients: the process still ends on its own', opts, async () => {
  // Each one connects and disconnects, then is dropped and collected.
  const r = await runChild(`${PRELUDE}
    (async () => {
      for (let i = 0; i < 20; i++) {
        const m = new mqtt();
        await m.connectTo(HOST, PORT);
        await m.disconnect();
      }
      if (global.gc) global.gc();
      console.log('ok');
    })().catch((e) => { console.error(e); process.exit(3); });`);
  assert.equal(r.timedOut, false);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /ok/);
});
