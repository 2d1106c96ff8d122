'use strict';
// Properties, accessors, argument checks and config: no broker needed.
const test = require('node:test');
const assert = require('node:assert/strict');
const { EventEmitter } = require('node:events');
const ferromq = require('ferromq');
const { mqtt, MQTTVersions, EVENT_NAMES, configSettings } = ferromq;

function assertMqttError(fn, code, pattern) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof Error, 'an Error object');
    assert.equal(typeof err.code, 'number');
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

test('the package exports the class, versions, event names and settings', () => {
  assert.equal(typeof mqtt, 'function');
  assert.deepEqual(MQTTVersions, { mvV3: 0, mvV5: 1 });
  assert.equal(EVENT_NAMES.length, 13);
  assert.ok(EVENT_NAMES.includes('MessageIn'));
  assert.ok(new mqtt() instanceof EventEmitter);
});

test('property defaults', () => {
  const m = new mqtt();
  assert.equal(m.getClientId(), '');
  assert.equal(m.isCleanSession(), true);
  assert.equal(m.getKeepAliveInterval(), 0);
  assert.equal(m.getUser(), '');
  assert.equal(m.getPassword(), '');
  assert.equal(m.getVersion(), MQTTVersions.mvV3);
  assert.equal(m.getRemoteHost(), '');
  assert.equal(m.getRemotePort(), 1883);
  assert.equal(m.getTimeout(), 60);
  assert.equal(m.isConnected(), false);
  assert.equal(m.getWillTopic(), '');
  assert.equal(m.getWillMessage(), '');
  assert.equal(m.getLocalHost(), '');
  assert.equal(m.getLocalPort(), 0);
  assert.equal(m.isReadyToSend(), false);
  assert.deepEqual(m.getIncomingMessages(), []);
  assert.deepEqual(m.getOutgoingMessages(), []);
  // The same values through the plain properties.
  assert.equal(m.clientId, '');
  assert.equal(m.cleanSession, true);
  assert.equal(m.keepAliveInterval, 0);
  assert.equal(m.user, '');
  assert.equal(m.password, '');
  assert.equal(m.version, 0);
  assert.equal(m.remoteHost, '');
  assert.equal(m.remotePort, 1883);
  assert.equal(m.timeout, 60);
  assert.equal(m.connected, false);
  assert.equal(m.willTopic, '');
  assert.equal(m.willMessage, '');
  assert.equal(m.localHost, '');
  assert.equal(m.localPort, 0);
  assert.equal(m.readyToSend, false);
  assert.equal(m.reconnecting, false);
  assert.equal(m.isReconnecting(), false);
  assert.deepEqual(m.incomingMessages, []);
  assert.deepEqual(m.outgoingMessages, []);
});

test('accessors and plain properties share one value', () => {
  const m = new mqtt();
  const cases = [
    ['ClientId', 'client-1', 'client-2'],
    ['CleanSession', false, true],
    ['KeepAliveInterval', 30, 65535],
    ['User', 'alice', 'bob'],
    ['Password', 'pw', 'pw2'],
    ['Version', 1, 0],
    ['RemoteHost', 'broker.example', 'localhost'],
    ['RemotePort', 8883, 1],
    ['Timeout', 0, 5],
    ['WillTopic', 'wills/me', 'wills/you'],
    ['WillMessage', 'gone', ''],
    ['LocalHost', '127.0.0.1', ''],
    ['LocalPort', 40000, 0],
  ];
  for (const [Name, a, b] of cases) {
    const get = (typeof a === 'boolean' ? 'is' : 'get') + Name;
    const prop = Name[0].toLowerCase() + Name.slice(1);
    m['set' + Name](a);
    assert.equal(m[get](), a, Name);
    assert.equal(m[prop], a, Name);
    m[prop] = b;
    assert.equal(m[get](), b, Name);
  }
});

test('properties are enumerable on the prototype, not own state', () => {
  const m = new mqtt();
  const keys = [];
  for (const k in m) keys.push(k);
  for (const p of ['clientId', 'cleanSession', 'remotePort', 'willMessage', 'connected', 'localHost',
    'localPort', 'readyToSend', 'reconnecting', 'incomingMessages', 'outgoingMessages']) {
    assert.ok(keys.includes(p), p);
  }
});

test('values out of range are refused with the documented codes', () => {
  const m = new mqtt();
  assertMqttError(() => m.setRemotePort(0), 116, /RemotePort 0/);
  assertMqttError(() => { m.remotePort = 70000; }, 10022, /70000/);
  assertMqttError(() => m.setKeepAliveInterval(-1), 10022, /KeepAliveInterval -1/);
  assertMqttError(() => m.setKeepAliveInterval(65536), 10022);
  assertMqttError(() => m.setVersion(2), 10022, /Version 2/);
  assertMqttError(() => { m.timeout = -1; }, 10022, /Timeout -1/);
  assertMqttError(() => m.setWillTopic('a/+'), 502);
  // Nothing changed.
  assert.equal(m.remotePort, 1883);
  assert.equal(m.keepAliveInterval, 0);
  assert.equal(m.version, 0);
  assert.equal(m.timeout, 60);
  assert.equal(m.willTopic, '');
});

test('values of the wrong JavaScript type are refused with 10022', () => {
  const m = new mqtt();
  assertMqttError(() => m.setClientId(42), 10022, /ClientId must be a string/);
  assertMqttError(() => { m.clientId = undefined; }, 10022);
  assertMqttError(() => m.setCleanSession('yes'), 10022, /CleanSession/);
  assertMqttError(() => { m.remotePort = '1883'; }, 10022);
  assertMqttError(() => { m.remotePort = 1883.5; }, 10022, /whole number/);
  assertMqttError(() => { m.keepAliveInterval = 2 ** 32 + 5; }, 10022);
  assertMqttError(() => { m.timeout = NaN; }, 10022);
  assertMqttError(() => { m.connected = 'true'; }, 10022);
  assertMqttError(() => { m.localPort = '0'; }, 10022, /LocalPort must be a whole number/);
  assertMqttError(() => m.setLocalHost(null), 10022, /LocalHost must be a string/);
  assert.equal(m.clientId, '');
  assert.equal(m.remotePort, 1883);
});

test('every setting in the registry answers config()', async () => {
  const m = new mqtt();
  const settings = configSettings();
  assert.ok(settings.length >= 10);
  for (const s of settings) {
    assert.equal(typeof s.name, 'string');
    assert.ok(['bool', 'int', 'string'].includes(s.kind), s.name);
    const value = await m.config(s.name);
    assert.equal(typeof value, 'string', s.name);
    assert.equal(value, s.default, `${s.name} reads its listed default`);
    assert.equal(typeof s.indexed, 'boolean');
    assert.equal(s.indexed, s.name.endsWith('[i]'), s.name);
    assert.equal(m.configSync(s.name), value);
    assert.equal(m.configSync(s.name.toLowerCase()), value, 'names ignore case');
    if (s.readOnly) {
      assertMqttError(() => m.configSync(`${s.name}=${value}`), 10022, /read-only/);
    } else {
      // Writing back the value read must be accepted and change nothing.
      assert.equal(await m.config(`${s.name}=${value}`), '');
      assert.equal(m.configSync(s.name), value, s.name);
    }
  }
});

test('config reads and writes settings', async () => {
  const m = new mqtt();
  assert.equal(await m.config('TopicDelimiter'), ',');
  assert.equal(await m.config('Retain'), 'False');
  assert.equal(await m.config('Retain=true'), '');
  assert.equal(await m.config('Retain'), 'True');
  assert.equal(m.configSync('LogLevel'), '1');
  m.configSync('LogLevel=3');
  assert.equal(m.configSync('LogLevel'), '3');
  m.configSync('TopicQOSArray=0,1,2');
  assert.equal(m.configSync('TopicQOSArray'), '0,1,2');
});

test('config errors carry the documented codes', async () => {
  const m = new mqtt();
  await assert.rejects(m.config('NoSuchSetting'), (err) => {
    assert.equal(err.code, 10022);
    assert.match(err.message, /NoSuchSetting/);
    return true;
  });
  assertMqttError(() => m.configSync('LogLevel=9'), 10022, /LogLevel/);
  assertMqttError(() => m.configSync('Retain=maybe'), 10022, /Retain/);
  assertMqttError(() => m.configSync('WillQOS=3'), 505, /WillQOS/);
  assertMqttError(() => m.configSync('TopicDelimiter='), 10022);
  assertMqttError(() => m.configSync(7), 10022, /must be a string/);
  await assert.rejects(m.config(null), (err) => err.code === 10022);
});

test('methods that need a connection reject with 1117, bad arguments first', async () => {
  const m = new mqtt();
  const expect = (p, code) => assert.rejects(p, (err) => {
    assert.ok(err instanceof Error);
    assert.equal(err.code, code, err.message);
    return true;
  });
  await expect(m.subscribe('a/b', 1), 1117);
  await expect(m.unsubscribe('a/b'), 1117);
  await expect(m.publishMessage('a/b', 0, 'x'), 1117);
  await expect(m.publishData('a/b', 0, Buffer.from('x')), 1117);
  await expect(m.publishMessage('a/#', 0, 'x'), 502);
  await expect(m.publishMessage('a/b', 7, 'x'), 505);
  await expect(m.subscribe('a/#/b', 0), 503);
  await expect(m.subscribe('a/b', 3), 505);
  await expect(m.subscribe('a/b,,c', 0), 503);
  await expect(m.publishData('a/b', 0, 'not bytes'), 10022);
  await expect(m.publishMessage('a/b', 0, 42), 10022);
  await expect(m.subscribe(['a'], 0), 10022);
  // Disconnecting an idle client is not an error.
  await m.disconnect();
});

test('connect without a host is refused before anything is sent', async () => {
  const m = new mqtt();
  await assert.rejects(m.connect(), (err) => err.code === 102 && /RemoteHost/.test(err.message));
  await assert.rejects(m.connectTo('127.0.0.1', 0), (err) => err.code === 116);
  await assert.rejects(m.connectTo('127.0.0.1', 65536), (err) => err.code === 10022);
  await assert.rejects(m.connectTo(5, 1883), (err) => err.code === 10022);
  m.cleanSession = false;
  await assert.rejects(m.connectTo('127.0.0.1', 1883), (err) => err.code === 10022 && /ClientId/.test(err.message));
  assert.equal(m.connected, false);
});

test('setConnected returns a handled Promise; the connected setter does not throw later', async () => {
  const m = new mqtt();
  // No host: the attempt fails, but ignoring it must not be an unhandled rejection.
  m.connected = true;
  await assert.rejects(m.setConnected(true), (err) => err.code === 102);
  await m.setConnected(false);
  await new Promise((r) => setImmediate(r));
  assert.equal(m.connected, false);
});

test('doEvents resolves with nothing pending', async () => {
  const m = new mqtt();
  await m.doEvents();
});

test('read-only members throw when assigned, in sloppy code too', () => {
  const m = new mqtt();
  // Function() bodies are sloppy-mode code, where a plain read-only property would be
  // ignored without a word.
  const assign = new Function('m', 'name', 'value', 'm[name] = value;');
  assertMqttError(() => assign(m, 'readyToSend', true), 10022, /ReadyToSend is read-only/);
  assertMqttError(() => assign(m, 'incomingMessages', []), 10022, /IncomingMessages is read-only/);
  assertMqttError(() => assign(m, 'outgoingMessages', []), 10022, /OutgoingMessages is read-only/);
  assertMqttError(() => assign(m, 'reconnecting', true), 10022, /Reconnecting is read-only/);
  assert.equal(m.readyToSend, false);
  assert.equal(m.reconnecting, false);
  assert.equal(typeof m.setReconnecting, 'undefined');
  assert.equal(typeof m.setReadyToSend, 'undefined');
  assert.equal(typeof m.setIncomingMessages, 'undefined');
  assert.equal(typeof m.setOutgoingMessages, 'undefined');
});

test('interrupt and reset on an idle client resolve and restore defaults', async () => {
  const m = new mqtt();
  await m.interrupt();
  m.clientId = 'someone';
  m.localPort = 1234;
  m.timeout = 3;
  m.configSync('Retain=True');
  m.configSync('LogLevel=2');
  const listener = () => {};
  m.on('MessageIn', listener);
  await m.reset();
  assert.equal(m.clientId, '');
  assert.equal(m.localPort, 0);
  assert.equal(m.timeout, 60);
  assert.equal(m.configSync('Retain'), 'False');
  assert.equal(m.configSync('LogLevel'), '1');
  assert.deepEqual(m.listeners('MessageIn'), [listener], 'listeners are not reset');
});

test('a call refused at once is not affected by a later interrupt', async () => {
  const m = new mqtt();
  const p = m.subscribe('a/b', 0);
  await m.interrupt();
  await assert.rejects(p, (err) => err.code === 1117);
});

test('saveSession and restoreSession: text round trip, bad data refused', async () => {
  const m = new mqtt();
  const saved = await m.saveSession();
  assert.equal(typeof saved, 'string');
  assert.ok(saved.length > 0);
  await m.restoreSession(saved);
  assert.equal(m.cleanSession, false, 'restoring sets CleanSession false');
  await assert.rejects(m.restoreSession('not a session'), (err) => err.code === 10022 && /nothing was loaded/.test(err.message));
  await assert.rejects(m.restoreSession(42), (err) => err.code === 10022 && /stateData must be a string/.test(err.message));
});
