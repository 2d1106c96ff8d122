'use strict';
// The client as Node users expect it (issue 18): listener names checked when a listener is
// added, one MQTTError class for every failure, and node:events' on() / once() typed per
// event in TypeScript.
const test = require('node:test');
const assert = require('node:assert/strict');
const events = require('node:events');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { mqtt, MQTTError, ErrorCodes, EVENT_NAMES } = require('ferromq');
const h = require('./helpers');

const opts = { skip: h.NO_BROKER, timeout: 60000 };

test('scenario_unknown_event_name: adding a listener for no event throws a TypeError naming the events', opts, async (t) => {
  const m = new mqtt();
  t.after(() => h.closeQuietly(m));
  const listener = () => {};
  for (const add of ['on', 'addListener', 'prependListener', 'once', 'prependOnceListener']) {
    for (const name of ['message', 'connected', 'Conected', '']) {
      assert.throws(() => m[add](name, listener), (err) => {
        assert.ok(err instanceof TypeError, `${add}(${name}): ${err}`);
        assert.ok(err.message.includes(JSON.stringify(name)), err.message);
        for (const valid of EVENT_NAMES) assert.ok(err.message.includes(valid), `${valid} missing: ${err.message}`);
        return true;
      });
    }
  }
  assert.equal(m.eventNames().length, 0, 'a refused listener was added');

  // Node's own events and symbols are still accepted.
  const sym = Symbol('mine');
  m.on('error', listener).on('newListener', listener).on(sym, listener);
  m.removeListener('error', listener).off('newListener', listener).off(sym, listener);

  // The documented names work through every method.
  const topic = h.uniqueTopic('unknown_event_name');
  const heard = [];
  m.once('Connected', (e) => heard.push(`Connected ${e.statusCode}`));
  m.prependOnceListener('Subscribed', (e) => heard.push(`Subscribed ${e.topicFilter}`));
  m.addListener('MessageIn', (e) => heard.push(`MessageIn ${e.message}`));
  m.prependListener('MessageIn', () => heard.push('first'));
  // node:events' helpers listen for 'error' beside the event: they work on a client.
  const connectedOnce = events.once(m, 'Connected');
  await m.connectTo(h.HOST, h.PORT);
  assert.equal((await connectedOnce)[0].statusCode, 0);
  await m.subscribe(topic, 1);
  const arrived = h.nextEvent(m, 'MessageIn');
  await m.publishMessage(topic, 1, 'named');
  await arrived;
  assert.deepEqual(heard, ['Connected 0', `Subscribed ${topic}`, 'first', 'MessageIn named']);
  await m.disconnect();
});

test('scenario_error_class: every failure is an MQTTError (an Error) with the documented code', opts, async (t) => {
  assert.equal(typeof MQTTError, 'function');
  assert.ok(MQTTError.prototype instanceof Error);
  const made = new MQTTError('made by hand', ErrorCodes.INVALID_ARGUMENT);
  assert.equal(made.code, 10022);
  assert.equal(made.name, 'MQTTError');
  assert.equal(ErrorCodes.INVALID_TOPIC, 502);
  assert.equal(ErrorCodes.INVALID_QOS, 505);
  assert.ok(Object.isFrozen(ErrorCodes));

  const isMQTTError = (code) => (err) => {
    assert.ok(err instanceof MQTTError, `not an MQTTError: ${err}`);
    assert.ok(err instanceof Error);
    assert.equal(err.code, code, err.message);
    assert.equal(err.name, 'MQTTError');
    assert.ok(err.stack.startsWith('MQTTError: '), err.stack);
    return true;
  };

  const m = new mqtt();
  t.after(() => h.closeQuietly(m));
  m.timeout = 20;
  await m.connectTo(h.HOST, h.PORT);
  // Refused by the engine (the topic) and by the face before the engine (the QoS).
  await assert.rejects(m.publish('errors/#', 'x'), isMQTTError(502));
  await assert.rejects(m.publishMessage('errors/+', 0, 'x'), isMQTTError(502));
  await assert.rejects(m.publish('errors/qos', 'x', { qos: 3 }), isMQTTError(505));
  await assert.rejects(m.subscribe('errors/qos', 3), isMQTTError(505));
  // Thrown synchronously: a setter, and ack() with no message waiting.
  assert.throws(() => {
    m.version = /** @type {any} */ (7);
  }, isMQTTError(10022));
  assert.throws(() => m.ack(1), isMQTTError(ErrorCodes.BAD_STATE));
  await m.disconnect();

  // A failure of the connection itself.
  const closed = new mqtt();
  t.after(() => h.closeQuietly(closed));
  closed.timeout = 20;
  await assert.rejects(closed.connectTo(h.HOST, h.CLOSED_PORT), isMQTTError(10061));
});

test('scenario_typed_events: node:events on()/once() on a client compile typed; a misspelt name or field does not', (t) => {
  let tsc;
  try {
    tsc = require.resolve('typescript/bin/tsc');
    require.resolve('@types/node/package.json');
  } catch {
    t.skip('typescript or @types/node is not installed (npm install in tests/node)');
    return;
  }
  // As a TypeScript user of the package compiles: strict, with Node's types.
  const compile = (file) => spawnSync(process.execPath, [
    tsc, '--strict', '--noEmit', '--target', 'es2022', '--module', 'commonjs', '--moduleResolution', 'node10',
    '--lib', 'es2022', '--types', 'node', path.join(__dirname, 'types', 'events', file),
  ], { encoding: 'utf8', cwd: __dirname });

  const ok = compile('typed.ts');
  assert.equal(ok.status, 0, `typed.ts failed:\n${ok.stdout}${ok.stderr}`);
  // Each program fails for its own mistake, not for anything else.
  for (const [file, reason] of [
    ['bad_name.ts', /bad_name\.ts\(6,\d+\): error TS2504: Type 'NotAnMQTTEvent'/],
    ['bad_field.ts', /bad_field\.ts\(6,\d+\): error TS2551: Property 'topc' does not exist on type 'MessageEvent'/],
    ['bad_listener.ts', /bad_listener\.ts\(4,\d+\): error TS2769[\s\S]*"Conected"/],
  ]) {
    const r = compile(file);
    assert.notEqual(r.status, 0, `${file} compiled`);
    assert.match(r.stdout, reason, `${file}:\n${r.stdout}${r.stderr}`);
    assert.equal(r.stdout.split('\n').filter((l) => /error TS/.test(l)).length, 1, `${file}:\n${r.stdout}`);
  }
});
