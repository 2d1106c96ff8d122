'use strict';
// The Node face against the core's description (docs/description.md): the events and
// MQTTMessage objects carry exactly the described fields, index.d.ts declares exactly them,
// and the 301 of an interrupted call has the core's text.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { mqtt, EVENT_NAMES } = require('ferromq');
const h = require('./helpers');

const PKG = path.dirname(require.resolve('ferromq'));
const DESCRIPTION = require(path.join(PKG, 'ferromq.node')).description();
const opts = { skip: h.NO_BROKER, timeout: 60000 };

/** The JavaScript property names of a described field list, in order (a payload gives two). */
function jsNames(fields) {
  return fields.flatMap((f) => (f.kind === 'payload' ? [f.name, `${f.name}B`] : [f.name]));
}

/** The TypeScript type index.d.ts gives a message property (one value, or a list). */
function tsPropertyType(p) {
  const one = p.min != null ? 'number' : { utf8String: 'string', binaryData: 'Uint8Array', utf8StringPair: '[string, string]' }[p.type];
  assert.ok(one, `no TypeScript type for ${p.type}`);
  if (!p.repeatable) return one;
  return one.startsWith('[') ? `Array<${one}>` : `${one}[]`;
}

/** The TypeScript type index.d.ts gives a value of the kind. */
const TS_TYPES = {
  int: 'number',
  long: 'number',
  bool: 'boolean',
  text: 'string',
  bytes: 'Uint8Array',
  properties: 'MessageProperties',
};
function tsMembers(fields) {
  const out = [];
  for (const f of fields) {
    if (f.kind === 'payload') {
      out.push([f.name, 'string', true], [`${f.name}B`, 'Uint8Array', true]);
    } else {
      out.push([f.name, TS_TYPES[f.kind], !f.answer]);
    }
  }
  return out;
}

test('EVENT_NAMES is the description\'s', () => {
  assert.deepEqual([...EVENT_NAMES], DESCRIPTION.events.map((k) => k.name));
});

test('index.d.ts declares exactly the described events and MQTTMessage fields', (t) => {
  let ts;
  try {
    ts = require('typescript');
  } catch {
    t.skip('typescript is not installed');
    return;
  }
  const file = path.join(PKG, 'index.d.ts');
  const src = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const interfaces = new Map();
  const optional = new Map();
  const numericAliases = new Set();
  for (const st of src.statements) {
    if (ts.isInterfaceDeclaration(st)) {
      interfaces.set(
        st.name.text,
        st.members.map((m) => [
          m.name.getText(src),
          m.type ? m.type.getText(src) : '',
          (ts.getModifiers?.(m) ?? m.modifiers ?? []).some((x) => x.kind === ts.SyntaxKind.ReadonlyKeyword),
        ]),
      );
      optional.set(st.name.text, st.members.map((m) => m.questionToken !== undefined));
    } else if (ts.isTypeAliasDeclaration(st) && ts.isUnionTypeNode(st.type) &&
      st.type.types.every((u) => ts.isLiteralTypeNode(u) && ts.isNumericLiteral(u.literal))) {
      // A union of numbers (MQTTMessageState) is a narrower `number`.
      numericAliases.add(st.name.text);
    }
  }
  const normal = ([name, type, ro]) => [name, numericAliases.has(type) ? 'number' : type, ro];
  for (const k of DESCRIPTION.events) {
    assert.ok(interfaces.has(k.typeName), `index.d.ts has no interface ${k.typeName}`);
    assert.deepEqual(interfaces.get(k.typeName).map(normal), tsMembers(k.fields), k.typeName);
  }
  assert.deepEqual(interfaces.get('MQTTMessage').map(normal), tsMembers(DESCRIPTION.messageFields), 'MQTTMessage');
  // A message's properties: every one the core describes, optional (absent when the message
  // has none), read-only, with the type of its values.
  assert.deepEqual(
    interfaces.get('MessageProperties'),
    DESCRIPTION.messageProperties.map((p) => [p.name, tsPropertyType(p), true]),
    'MessageProperties',
  );
  assert.ok(optional.get('MessageProperties').every((o) => o), 'every MessageProperties member is optional');
  // Every event and the listener it takes.
  assert.deepEqual(
    interfaces.get('MQTTEvents'),
    DESCRIPTION.events.map((k) => [k.name, `(e: ${k.typeName}) => void`, false]),
  );
});

test('scenario_event_description: events and messages carry the described fields; 301 has the core\'s text', opts, async (t) => {
  const m = new mqtt();
  t.after(() => h.closeQuietly(m));
  m.timeout = 20;
  const seen = h.record(m, EVENT_NAMES);
  const listed = [];
  m.on('MessageAck', (e) => {
    // While MessageAck fires, its message is still in its collection.
    listed.push(...(e.direction === 0 ? m.outgoingMessages : m.incomingMessages));
  });
  const topic = h.uniqueTopic('description');
  await m.connectTo(h.HOST, h.PORT);
  await m.subscribe(topic, 1);
  const out = h.nextEvent(m, 'MessageOut');
  const arrived = h.nextEvent(m, 'MessageIn');
  await m.publishMessage(topic, 1, 'described');
  await arrived;
  await out;
  await m.disconnect();
  const kinds = new Set(seen.map(([n]) => n));
  for (const k of ['Connected', 'Subscribed', 'MessageAck', 'MessageIn', 'MessageOut', 'Disconnected']) {
    assert.ok(kinds.has(k), `no ${k} event`);
  }
  for (const [name, e] of seen) {
    const k = DESCRIPTION.events.find((d) => d.name === name);
    assert.deepEqual(Object.keys(e), jsNames(k.fields), name);
  }
  assert.ok(listed.length > 0, 'no in-flight message was listed');
  for (const msg of listed) assert.deepEqual(Object.keys(msg), jsNames(DESCRIPTION.messageFields));

  // A connect interrupted while it waits for a silent listener.
  const server = await h.silentListener();
  t.after(() => server.close());
  m.timeout = 0;
  const connecting = m.connectTo('127.0.0.1', server.port).then(() => null, (e) => e);
  await h.until(() => server.sockets.length === 1, 'the TCP connection');
  await m.interrupt();
  const err = await connecting;
  const interrupted = DESCRIPTION.errors.find((c) => c.name === 'INTERRUPTED');
  assert.equal(err && err.code, interrupted.code);
  assert.equal(err.message, interrupted.text.replace('{what}', 'connecting'));
});
