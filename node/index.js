'use strict';
// The documented `mqtt` class for Node.js, over the native engine (src/*.rs).
//
// This file only adapts the engine to JavaScript habits: argument checks, the reference's
// accessors plus plain properties, Promises for methods, and an EventEmitter fed in
// batches on the JS thread. Every MQTT decision is the engine's.

const { EventEmitter } = require('node:events');
const path = require('node:path');
const util = require('node:util');

const addon = loadAddon();
const { NativeMqtt, NativeCertificate } = addon;

function loadAddon() {
  const file = path.join(__dirname, 'ferromq.node');
  try {
    return require(file);
  } catch (err) {
    if (err && err.code === 'MODULE_NOT_FOUND') {
      const e = new Error(
        `ferromq: the native addon ${file} is not built; run \`npm run build\` in ${__dirname} ` +
          '(needs cargo), or reinstall the package with install scripts allowed',
      );
      e.cause = err;
      throw e;
    }
    throw err;
  }
}

// The core's description of events, MQTTMessage fields and error codes (docs/description.md):
// event names and kind numbers, field names and order, and error numbers all come from it.
const DESCRIPTION = addon.description();

/** The documented event names, in the order the engine numbers them. */
const EVENT_NAMES = Object.freeze(DESCRIPTION.events.map((k) => k.name));

/** An event's kind: its index in EVENT_NAMES, the engine's numbering. */
const kindOf = (name) => EVENT_NAMES.indexOf(name);

/** The documented error number called `name` in the core's table. */
function errorCode(name) {
  const found = DESCRIPTION.errors.find((c) => c.name === name);
  if (found === undefined) throw new Error(`ferromq: the addon describes no error ${name}`);
  return found.code;
}

const MQTTVersions = Object.freeze({ mvV3: 0, mvV5: 1 });

// Documented numbers used by the checks made here, before the engine sees a value.
const INVALID_QOS = errorCode('INVALID_QOS');
const INVALID_ARGUMENT = errorCode('INVALID_ARGUMENT');

const EVENT_BATCH = 512;

const NATIVE = Symbol('ferromq.native');
const STATE = Symbol('ferromq.state');

// Clients with a connection, a connection attempt, or a reconnection to come. Such a client
// must not be garbage collected just because the application dropped its last reference:
// its listeners are still expected to fire.
const live = new Set();

/**
 * The one error type of the face: every throw and rejection of a call is one, whether this
 * file refused an argument or the engine failed (the addon builds its errors with this
 * class, registered below). `code` is the documented number.
 */
class MQTTError extends Error {
  /**
   * @param {string} message
   * @param {number} code
   */
  constructor(message, code) {
    super(message);
    /** The documented error number (ErrorCodes). */
    this.code = code;
  }
}
// On the prototype, as Error's own `name` is: stacks and util.inspect show "MQTTError".
Object.defineProperty(MQTTError.prototype, 'name', { value: 'MQTTError', writable: true, configurable: true });
addon.useErrorClass(MQTTError);

/** The documented error numbers by name (INVALID_QOS: 505, ...), from the core's table. */
const ErrorCodes = Object.freeze(Object.fromEntries(DESCRIPTION.errors.map((c) => [c.name, c.code])));

function mqttError(code, message) {
  return new MQTTError(message, code);
}

function describe(v) {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v == null) return String(v);
  return typeof v;
}

function checkString(name, v) {
  if (typeof v !== 'string') {
    throw mqttError(INVALID_ARGUMENT, `${name} must be a string, got ${describe(v)}`);
  }
  return v;
}

function checkBool(name, v) {
  if (typeof v !== 'boolean') {
    throw mqttError(INVALID_ARGUMENT, `${name} must be true or false, got ${describe(v)}`);
  }
  return v;
}

// napi would silently wrap a number outside 32 bits (or truncate 1.5), so anything that
// is not an int32 is refused here with the code the engine uses for that argument.
function checkInt(name, v, code = INVALID_ARGUMENT) {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
    throw mqttError(code, `${name} must be a whole number, got ${describe(v)}`);
  }
  return v;
}

function checkQos(v) {
  if (typeof v === 'number' && !Number.isInteger(v) && Number.isFinite(v)) {
    throw mqttError(INVALID_QOS, `QoS ${v} is not valid: use 0, 1 or 2`);
  }
  return checkInt('QoS', v, INVALID_QOS);
}

function toBytes(data) {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer || data instanceof SharedArrayBuffer) return new Uint8Array(data);
  throw mqttError(
    INVALID_ARGUMENT,
    `data must be a Uint8Array, Buffer, ArrayBuffer or typed array, got ${describe(data)}`,
  );
}

// Text (taken as UTF-8) or bytes, for the certificate factories.
function blobArg(name, v) {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  try {
    return toBytes(v);
  } catch {
    throw mqttError(INVALID_ARGUMENT, `${name} must be a string or bytes (Uint8Array, Buffer, ArrayBuffer), got ${describe(v)}`);
  }
}

// ---- per-message options (publish, request, respond) ----

// The MQTT 5.0 properties a message may carry, from the core's description (src/properties.rs):
// the keys of a received message's `properties` and of a publish's `properties` option.
const MESSAGE_PROPERTIES = new Map(DESCRIPTION.messageProperties.map((p) => [p.name, p]));
const PROPERTY_NAMES = [...MESSAGE_PROPERTIES.keys()].join(', ');

const PUBLISH_OPTIONS = ['qos', 'retain', 'properties'];
const REQUEST_OPTIONS = [...PUBLISH_OPTIONS, 'timeout'];
const REQUEST_TIMEOUT_MS = 10000;
const MAX_TIMEOUT_MS = 2 ** 32 - 1;

/** A payload: text (sent as UTF-8) or bytes. */
function payloadArg(v) {
  if (typeof v === 'string') return v;
  try {
    return toBytes(v);
  } catch {
    throw mqttError(INVALID_ARGUMENT, `payload must be a string or bytes (Uint8Array, Buffer, ArrayBuffer), got ${describe(v)}`);
  }
}

/**
 * `{ qos, retain, properties, timeout }` with its defaults; `allowed`: the keys the call takes.
 * @returns {{ qos: number, retain: boolean, properties: PropertyArgs | null, timeout: number }}
 */
function optionsArg(options, allowed) {
  /** @type {{ qos: number, retain: boolean, properties: PropertyArgs | null, timeout: number }} */
  const o = { qos: 0, retain: false, properties: null, timeout: REQUEST_TIMEOUT_MS };
  if (options == null) return o;
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw mqttError(INVALID_ARGUMENT, `options must be an object (${allowed.join(', ')}), got ${describe(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k)) {
      throw mqttError(INVALID_ARGUMENT, `options: unknown key ${JSON.stringify(k)} (the keys are ${allowed.join(', ')})`);
    }
  }
  if (options.qos !== undefined) o.qos = checkQos(options.qos);
  if (options.retain !== undefined) o.retain = checkBool('retain', options.retain);
  o.properties = propertyArgs('properties', options.properties);
  const t = options.timeout;
  if (t !== undefined) {
    if (typeof t !== 'number' || !(t >= 0 && t <= MAX_TIMEOUT_MS)) {
      throw mqttError(INVALID_ARGUMENT, `timeout must be milliseconds from 0 to ${MAX_TIMEOUT_MS}, got ${describe(t)}`);
    }
    o.timeout = Math.ceil(t);
  }
  return o;
}

/**
 * @typedef {{ ids: number[], numbers: number[], texts: string[], binaries: Uint8Array[] }} PropertyArgs
 * The values of a properties object, checked against the description and flattened the way
 * the addon reads them (src/properties.rs, `PropertyArgs`); null when there are none.
 * Which ones a publish may carry (not subscriptionIdentifiers) is the engine's to say.
 * @returns {PropertyArgs | null}
 */
function propertyArgs(what, properties) {
  if (properties == null) return null;
  if (typeof properties !== 'object' || Array.isArray(properties)) {
    throw mqttError(INVALID_ARGUMENT, `${what} must be an object, got ${describe(properties)}`);
  }
  /** @type {PropertyArgs} */
  const args = { ids: [], numbers: [], texts: [], binaries: [] };
  for (const key of Object.keys(properties)) {
    const v = properties[key];
    if (v === undefined) continue;
    const p = MESSAGE_PROPERTIES.get(key);
    if (p === undefined) {
      throw mqttError(INVALID_ARGUMENT, `${what}: unknown key ${JSON.stringify(key)} (the message properties are ${PROPERTY_NAMES})`);
    }
    const name = `${what}.${key}`;
    const values = !p.repeatable ? [v] : p.type === 'utf8StringPair' ? pairsArg(name, v) : listArg(name, v);
    for (const one of values) {
      args.ids.push(p.id);
      switch (p.type) {
        case 'utf8String':
          args.texts.push(checkString(name, one));
          break;
        case 'binaryData':
          args.binaries.push(blobArg(name, one));
          break;
        case 'utf8StringPair':
          args.texts.push(one[0], one[1]);
          break;
        default:
          if (p.min == null || p.max == null) throw new Error(`ferromq: unknown property type ${p.type} from the addon`);
          if (typeof one !== 'number' || !Number.isInteger(one) || one < p.min || one > p.max) {
            throw mqttError(INVALID_ARGUMENT, `${name} must be a whole number from ${p.min} to ${p.max}, got ${describe(one)}`);
          }
          args.numbers.push(one);
      }
    }
  }
  return args.ids.length === 0 ? null : args;
}

/** A list property: an array, or one value. */
function listArg(name, v) {
  if (!Array.isArray(v)) return [v];
  return v;
}

/**
 * User properties: `[name, value]` pairs in order (names may repeat), or MQTT.js's object
 * form `{ name: value | value[] }` (in key order, an array giving the name once per value).
 * @returns {Array<[string, string]>}
 */
function pairsArg(name, v) {
  /** @type {Array<[string, string]>} */
  const out = [];
  const must = () => mqttError(
    INVALID_ARGUMENT,
    `${name} must be [name, value] pairs of strings or an object of string values, got ${describe(v)}`,
  );
  if (Array.isArray(v)) {
    for (const pair of v) {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') throw must();
      out.push([pair[0], pair[1]]);
    }
  } else if (v !== null && typeof v === 'object') {
    for (const [k, value] of Object.entries(v)) {
      for (const one of Array.isArray(value) ? value : [value]) {
        if (typeof one !== 'string') throw must();
        out.push([k, one]);
      }
    }
  } else {
    throw must();
  }
  return out;
}

// ---- the transport's value types ----

const CERT_NATIVE = Symbol('ferromq.certificate');

// The documented Certificate fields, as the addon names them; `bytes` ones are Buffers.
const CERTIFICATE_FIELDS = [
  ['effectiveDate'],
  ['expirationDate'],
  ['extendedKeyUsage'],
  ['fingerprint'],
  ['fingerprintSHA1'],
  ['fingerprintSHA256'],
  ['issuer'],
  ['keyPassword'],
  ['privateKey'],
  ['privateKeyAvailable'],
  ['privateKeyContainer'],
  ['publicKey'],
  ['publicKeyAlgorithm'],
  ['publicKeyLength'],
  ['serialNumber'],
  ['signatureAlgorithm'],
  ['store'],
  ['storeB', 'bytes'],
  ['storePassword'],
  ['storeType'],
  ['subjectAltNames'],
  ['thumbprintMD5'],
  ['thumbprintSHA1'],
  ['thumbprintSHA256'],
  ['usage'],
  ['usageFlags'],
  ['version'],
  ['subject'],
  ['encoded'],
  ['encodedB', 'bytes'],
];

/**
 * A certificate: the server's (`sslServerCert`), one to pin (`sslAcceptServerCert`), or ours
 * with its private key (`sslCert`). `new Certificate()` is the empty certificate; the static
 * factories build the others and throw (271 store, 272 certificate not found, ...) when the
 * certificate cannot be read. Every field is read-only: a Certificate never changes.
 */
class Certificate {
  constructor() {
    Object.defineProperty(this, CERT_NATIVE, { value: new NativeCertificate() });
    Object.freeze(this);
  }

  /** An X.509 certificate read from a file (PEM, base64 or DER). */
  static fromFile(path) {
    return wrapCertificate(NativeCertificate.fromFile(checkString('path', path)));
  }

  /** An X.509 certificate from its encoded form: PEM or base64 text, or DER bytes. */
  static fromEncoded(encoded) {
    return wrapCertificate(NativeCertificate.fromEncoded(blobArg('encoded', encoded)));
  }

  /**
   * A certificate and its private key from a store: storeType 2 (PKCS#12 file), 3 (PKCS#12
   * blob), 6 (PEM file), 7 (PEM blob) or 99 (detect). `store` is the file name for the file
   * types and the content (text or bytes) for the blob types. `subject` picks the
   * certificate: "" or "*" for the first one with a key, a subject or part of one, or
   * "Thumbprint=HEX".
   */
  static fromStore(storeType, store, storePassword = '', subject = '') {
    return wrapCertificate(
      NativeCertificate.fromStore(
        checkInt('StoreType', storeType),
        blobArg('store', store),
        checkString('storePassword', storePassword),
        checkString('subject', subject),
      ),
    );
  }

  /**
   * A store holding the private key, with the certificate that goes with it given apart
   * (`encoded`: PEM/base64 text or DER bytes). Store types and `store` as for fromStore().
   */
  static fromStoreEncoded(storeType, store, storePassword, encoded) {
    return wrapCertificate(
      NativeCertificate.fromStoreEncoded(
        checkInt('StoreType', storeType),
        blobArg('store', store),
        checkString('storePassword', storePassword),
        blobArg('encoded', encoded),
      ),
    );
  }

  /** Whether this is the empty certificate. */
  isEmpty() {
    return this[CERT_NATIVE].isEmpty();
  }

  /** The same certificate from the same store (false for anything not a Certificate). */
  equals(other) {
    return other instanceof Certificate && other[CERT_NATIVE] instanceof NativeCertificate &&
      this[CERT_NATIVE].equals(other[CERT_NATIVE]);
  }

  [util.inspect.custom]() {
    if (this.isEmpty()) return 'Certificate <empty>';
    // The fields are the prototype's getters (CERTIFICATE_FIELDS), declared in index.d.ts.
    const c = /** @type {import('./index').Certificate} */ (/** @type {unknown} */ (this));
    return `Certificate <subject=${JSON.stringify(c.subject)} issuer=${JSON.stringify(c.issuer)} ` +
      `expires=${JSON.stringify(c.expirationDate)} privateKeyAvailable=${c.privateKeyAvailable}>`;
  }
}

for (const [field, kind] of CERTIFICATE_FIELDS) {
  Object.defineProperty(Certificate.prototype, field, {
    get: kind === 'bytes'
      ? /** @this {Certificate} */ function () {
        return this[CERT_NATIVE][field] ?? Buffer.alloc(0);
      }
      : /** @this {Certificate} */ function () {
        return this[CERT_NATIVE][field];
      },
    enumerable: true,
    configurable: true,
  });
}

function wrapCertificate(native) {
  const c = Object.create(Certificate.prototype);
  Object.defineProperty(c, CERT_NATIVE, { value: native });
  return Object.freeze(c);
}

function certificateArg(Name, v) {
  if (!(v instanceof Certificate) || !(v[CERT_NATIVE] instanceof NativeCertificate)) {
    throw mqttError(INVALID_ARGUMENT, `${Name} must be a Certificate (new Certificate() for none), got ${describe(v)}`);
  }
  return v[CERT_NATIVE];
}

const FIREWALL_FIELDS = ['autoDetect', 'firewallType', 'host', 'password', 'port', 'user'];

/**
 * The proxy to connect through: assign one to `mqtt.firewall`. A plain record: changing a
 * field of the object `mqtt.firewall` returned changes only that copy; assign it back to use
 * it. firewallType is 0 (none), 1 (HTTP CONNECT tunnel), 2 (SOCKS4), 3 (SOCKS5) or 10
 * (SOCKS4A); port 0 takes the type's usual port (80 for the tunnel, 1080 for SOCKS). The
 * values are checked when assigned to a client (10022).
 */
class Firewall {
  /** @param {import('./index').FirewallFields} [fields] */
  constructor(fields = {}) {
    if (fields === null || typeof fields !== 'object') {
      throw mqttError(INVALID_ARGUMENT, `Firewall takes an object of fields, got ${describe(fields)}`);
    }
    for (const k of Object.keys(fields)) {
      if (!FIREWALL_FIELDS.includes(k)) {
        throw mqttError(INVALID_ARGUMENT, `Firewall has no field ${JSON.stringify(k)} (fields: ${FIREWALL_FIELDS.join(', ')})`);
      }
    }
    const { autoDetect = false, firewallType = 0, host = '', password = '', port = 0, user = '' } = fields;
    /** Take the proxy from the environment (ALL_PROXY, HTTPS_PROXY, ...) when firewallType is 0. */
    this.autoDetect = autoDetect;
    /** 0 none, 1 HTTP tunnel, 2 SOCKS4, 3 SOCKS5, 10 SOCKS4A. */
    this.firewallType = firewallType;
    this.host = host;
    this.password = password;
    /** 0 takes the type's usual port. */
    this.port = port;
    this.user = user;
  }

  /** Every field the same. */
  equals(other) {
    return other instanceof Firewall && FIREWALL_FIELDS.every((k) => this[k] === other[k]);
  }

  [util.inspect.custom]() {
    // The password is not shown.
    return `Firewall <firewallType=${this.firewallType} host=${JSON.stringify(this.host)} port=${this.port} ` +
      `user=${JSON.stringify(this.user)} autoDetect=${this.autoDetect}>`;
  }
}

function firewallArg(Name, fw) {
  if (!(fw instanceof Firewall)) {
    throw mqttError(INVALID_ARGUMENT, `${Name} must be a Firewall, got ${describe(fw)}`);
  }
  return {
    autoDetect: checkBool('FirewallAutoDetect', fw.autoDetect),
    firewallType: checkInt('FirewallType', fw.firewallType),
    host: checkString('FirewallHost', fw.host),
    password: checkString('FirewallPassword', fw.password),
    port: checkInt('FirewallPort', fw.port),
    user: checkString('FirewallUser', fw.user),
  };
}

function wrapFirewall(fields) {
  return new Firewall({
    autoDetect: fields.autoDetect,
    firewallType: fields.firewallType,
    host: fields.host,
    password: fields.password,
    port: fields.port,
    user: fields.user,
  });
}

class mqtt extends EventEmitter {
  constructor() {
    super();
    // The drain callback holds the client only weakly, so an idle client can be
    // collected (its native half then closes everything).
    const weak = new WeakRef(this);
    Object.defineProperty(this, NATIVE, {
      value: new NativeMqtt(() => {
        const me = weak.deref();
        if (me !== undefined) me[STATE].drain();
      }),
    });
    Object.defineProperty(this, STATE, { value: new ClientState(this) });
  }

  // ---- methods (each returns a Promise) ----

  /** Reads (`"Name"`) or writes (`"Name=Value"`) a configuration setting. */
  config(configurationString) {
    return attempt(() => this.configSync(configurationString));
  }

  /** The same as `config`, answered synchronously (throws on error). */
  configSync(configurationString) {
    return this[NATIVE].config(checkString('configurationString', configurationString));
  }

  connect() {
    return this[STATE].connecting(() => this[NATIVE].connect());
  }

  connectTo(host, port) {
    return this[STATE].connecting(() =>
      this[NATIVE].connectTo(checkString('host', host), checkInt('port', port)),
    );
  }

  disconnect() {
    const p = this[STATE].call(() => this[NATIVE].disconnect(), { what: 'disconnecting', outcome: DISCONNECTED });
    // Disconnecting ends reconnecting at once, before any event says so.
    this[STATE].update();
    return p;
  }

  subscribe(topicFilter, QOS) {
    return this[STATE].call(
      () => this[NATIVE].subscribe(checkString('topicFilter', topicFilter), checkQos(QOS)),
      { what: 'waiting for SUBACK', outcome: SUBSCRIBED },
    );
  }

  unsubscribe(topicFilter) {
    return this[STATE].call(() => this[NATIVE].unsubscribe(checkString('topicFilter', topicFilter)), {
      what: 'waiting for UNSUBACK',
      outcome: UNSUBSCRIBED,
    });
  }

  // A publish completes when the PUBLISH is queued: no event has to fire before it, so its
  // Promise does not wait for a drain (the hot path stays one native call). With timeout 0
  // it never waits at all: over the send buffer's bound it rejects with 135 (would block).

  publishMessage(topic, QOS, message) {
    const send = () =>
      this[NATIVE].publishMessage(checkString('topic', topic), checkQos(QOS), checkString('message', message));
    return this[STATE].call(send, PUBLISHING);
  }

  publishData(topic, QOS, data) {
    const send = () => this[NATIVE].publishData(checkString('topic', topic), checkQos(QOS), toBytes(data));
    return this[STATE].call(send, PUBLISHING);
  }

  /**
   * One message with its own QoS, retain flag and MQTT 5.0 properties, leaving the
   * client-wide settings alone. Resolves with `{ packetId, reasonCode }` once the message is
   * complete for its QoS: written (QoS 0, packetId -1), PUBACK (1), PUBCOMP (2). A refusing
   * reason code rejects with 506; a lost connection with the connection's error.
   */
  publish(topic, payload, options) {
    return this[STATE].callValue(() => {
      const o = optionsArg(options, PUBLISH_OPTIONS);
      return this[NATIVE].publishWith(checkString('topic', topic), payloadArg(payload), o.qos, o.retain, o.properties);
    }, "waiting for the publish's acknowledgement");
  }

  /**
   * Publishes a request (with a ResponseTopic and a CorrelationData of the engine's) and
   * resolves with the response's MessageEvent; rejects with 201 after `timeout` ms.
   */
  request(topic, payload, options) {
    return this[STATE].callValue(() => {
      const o = optionsArg(options, REQUEST_OPTIONS);
      return this[NATIVE].request(checkString('topic', topic), payloadArg(payload), o.timeout, o.qos, o.retain, o.properties);
    }, 'waiting for the response to a request').then(decodeEvent);
  }

  /** Answers a request (a MessageEvent) on its ResponseTopic with its CorrelationData. */
  respond(request, payload, options) {
    return this[STATE].callValue(() => {
      if (request === null || typeof request !== 'object') {
        throw mqttError(INVALID_ARGUMENT, `request must be the MessageEvent of a request, got ${describe(request)}`);
      }
      const topic = checkString('request.topic', request.topic);
      const asked = propertyArgs('request.properties', request.properties);
      const o = optionsArg(options, PUBLISH_OPTIONS);
      return this[NATIVE].respond(topic, asked, payloadArg(payload), o.qos, o.retain, o.properties);
    }, "waiting for the publish's acknowledgement");
  }

  /**
   * With the ManualAck setting on: acknowledges the incoming QoS 1/2 message `packetId`
   * (its MessageIn's packetId) once the application has dealt with it. Synchronous and
   * never waits: the PUBACK / PUBREC goes out in the order the messages arrived, so one
   * acknowledged before an earlier one waits for it. Throws 211 when no message with that
   * id waits for acknowledgement, 1117 when not connected, 10022 for a bad id.
   */
  ack(packetId) {
    this[NATIVE].ack(checkInt('packetId', packetId));
  }

  /**
   * Ends every call still waiting at once (its Promise rejects with 301) and disconnects
   * (DISCONNECT is sent if the connection is up; an attempt is abandoned). Resolves once the
   * connection is gone and its events have fired, so the client can be set up again.
   */
  interrupt() {
    return attempt(() => {
      this[NATIVE].interrupt();
      this[STATE].update();
      this[STATE].interruptAll();
      return this[STATE].idle();
    });
  }

  /** The session state (unacknowledged QoS 1/2 messages) as text; see SessionStateFile. */
  saveSession() {
    return attempt(() => this[NATIVE].saveSession());
  }

  /** Loads a saved session for the next connect and sets cleanSession to false. */
  restoreSession(stateData) {
    return attempt(() => this[NATIVE].restoreSession(checkString('stateData', stateData)));
  }

  /**
   * Closes any connection at once (no DISCONNECT is sent) and puts every property and
   * config setting back to its default; listeners stay. Calls still waiting reject with
   * 301. Resolves once the connection is gone (its Disconnected event has fired).
   */
  reset() {
    return attempt(() => {
      this[NATIVE].reset();
      this[STATE].update();
      this[STATE].interruptAll();
      return this[STATE].idle();
    });
  }

  /**
   * Fires pending events now (for one turn of at most about 20 ms when they keep coming),
   * then yields to the event loop once.
   */
  doEvents() {
    return attempt(() => {
      this[STATE].drain();
      return new Promise((resolve) => setImmediate(resolve));
    });
  }

  /**
   * Lets the process exit even while this client is connected or reconnecting, as
   * net.Socket#unref does: the client then never keeps the event loop alive by itself.
   * Returns the client.
   */
  unref() {
    this[STATE].setRef(false);
    return this;
  }

  /** Undoes unref(): the client keeps the process alive again while it is active. */
  ref() {
    this[STATE].setRef(true);
    return this;
  }

  // Connected is special: setting it connects or disconnects, which takes time.

  isConnected() {
    return this[NATIVE].isConnected();
  }

  /**
   * `true` connects, `false` disconnects. Returns the Promise of that call; when it is
   * ignored a failure is still reported through the Connected / Disconnected events and
   * does not become an unhandled rejection.
   */
  setConnected(connected) {
    const p = attempt(() => (checkBool('Connected', connected) ? this.connect() : this.disconnect()));
    p.catch(() => {});
    return p;
  }

  get connected() {
    return this.isConnected();
  }

  set connected(v) {
    checkBool('Connected', v);
    this.setConnected(v);
  }

  // ---- read-only properties: accessors only, and plain properties that refuse writes ----

  isReadyToSend() {
    return this[NATIVE].isReadyToSend();
  }

  /**
   * Reconnecting (an extension; the documented class has no such member): true while
   * AutoReconnect brings a lost connection back, waiting out its delay or attempting. In a
   * Disconnected listener, or a failed attempt's Connected, it already says whether another
   * attempt follows; false once connected again, after disconnect(), interrupt() or reset(),
   * and once reconnecting gives up.
   */
  isReconnecting() {
    return this[NATIVE].isReconnecting();
  }

  /** IncomingMessages: a frozen array of frozen MQTTMessage objects (a snapshot). */
  getIncomingMessages() {
    return decodeMessages(this[NATIVE].getIncomingMessages());
  }

  /** OutgoingMessages: a frozen array of frozen MQTTMessage objects (a snapshot). */
  getOutgoingMessages() {
    return decodeMessages(this[NATIVE].getOutgoingMessages());
  }

  /** SSLServerCert: the server's certificate of the last TLS connection (empty before one). */
  getSSLServerCert() {
    return wrapCertificate(this[NATIVE].getSSLServerCert());
  }
}

// ---- listener names ----

// Node's own events, which an EventEmitter accepts whatever it emits: 'newListener' and
// 'removeListener' (EventEmitter emits them itself) and 'error' (events.on() and
// events.once() listen for it on any emitter). The engine's failures come as the documented
// Error event and as rejections: the client never emits 'error'.
const NODE_EVENTS = ['error', 'newListener', 'removeListener'];
const LISTENABLE = new Set([...EVENT_NAMES, ...NODE_EVENTS]);

// A listener for a name no client emits would never run: a misspelt or foreign name
// ('message', MQTT.js's) is refused when the listener is added. Symbols pass (they are
// never typed by mistake, and Node's helpers use their own).
function checkEventName(event) {
  if (typeof event === 'symbol' || LISTENABLE.has(event)) return;
  const e = new TypeError(
    `mqtt has no event ${describe(event)}: the events are ${EVENT_NAMES.join(', ')} ` +
      `(and Node's own ${NODE_EVENTS.join(', ')})`,
  );
  /** @type {TypeError & { code?: number }} */ (e).code = INVALID_ARGUMENT;
  throw e;
}

for (const method of ['on', 'addListener', 'prependListener', 'once', 'prependOnceListener']) {
  const add = EventEmitter.prototype[method];
  Object.defineProperty(mqtt.prototype, method, {
    /**
     * @this {mqtt}
     * @param {string | symbol} event
     * @param {(...args: any[]) => void} listener
     */
    value: function (event, listener) {
      checkEventName(event);
      return add.call(this, event, listener);
    },
    writable: true,
    configurable: true,
  });
}

// Options of ClientState.call for publishes: no drain, and "what" for an interrupt.
const PUBLISHING = { settle: false, what: 'publishing' };

// Log, MessageAck, MessageIn, MessageOut: the kinds `fire` does nothing with but emit, so
// they may be left out when nobody listens (see ClientState.unheard).
const SKIPPABLE_KINDS = ['Log', 'MessageAck', 'MessageIn', 'MessageOut'].map(kindOf);

// The text form of a large payload (null from the addon) is made from its bytes when first
// read: most handlers read one form or the other, and decoding (invalid UTF-8 becomes
// U+FFFD, as the engine's own text form does) costs as much as the copy that delivered the
// bytes. A small payload's text (under 256 bytes) comes made: a getter would cost more
// than the string. One property descriptor per payload field, shared by every event.
/**
 * @param {string} name
 * @param {string} bytesName
 */
function lazyText(name, bytesName) {
  /** @this {Record<string, any>} */
  function set(text) {
    Object.defineProperty(this, name, { value: text, writable: true, enumerable: true, configurable: true });
  }
  /** @this {Record<string, any>} */
  function get() {
    const text = this[bytesName].toString('utf8');
    set.call(this, text);
    return text;
  }
  return { get, set, enumerable: true, configurable: true };
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

// A decoder for one described field list: `decode(a, i)` builds the object from the flat
// array `a` at `i` (the addon writes the fields in the described order: one slot per field,
// two for a payload, text then bytes) and `width` says how many slots it read. The decoder
// is compiled from the field list once, at load time, into one object literal, so every
// object of a kind has the same shape and building one costs what the hand-written code
// did. Bytes arrive as null when empty (napi-rs cannot make an empty Buffer): they become
// an empty Buffer. `lazy`: a payload's text may arrive as null, to be made on first read.
function compileDecoder(fields, lazy) {
  const props = [];
  const lazies = [];
  const fixes = [];
  let slot = 0;
  const at = () => `a[i + ${slot++}]`;
  for (const f of fields) {
    if (!IDENTIFIER.test(f.name)) throw new Error(`ferromq: bad field name ${f.name} from the addon`);
    const key = JSON.stringify(f.name);
    if (f.kind === 'payload') {
      const bytesName = `${f.name}B`;
      props.push(`${key}: ${at()}`, `${JSON.stringify(bytesName)}: ${at()} ?? Buffer.alloc(0)`);
      if (lazy) {
        fixes.push(`if (e[${key}] === null) Object.defineProperty(e, ${key}, lazies[${lazies.length}]);`);
        lazies.push(lazyText(f.name, bytesName));
      }
    } else if (f.kind === 'bytes') {
      props.push(`${key}: ${at()} ?? Buffer.alloc(0)`);
    } else if (f.kind === 'properties') {
      // A message without properties (most, and every 3.1.1 one) comes as null.
      props.push(`${key}: ${at()} ?? {}`);
    } else {
      props.push(`${key}: ${at()}`);
    }
  }
  const body = `return function decode(a, i) {\n  const e = { ${props.join(', ')} };\n  ${fixes.join('\n  ')}\n  return e;\n};`;
  const decode = new Function('Buffer', 'lazies', body)(Buffer, lazies);
  const answer = fields.find((f) => f.answer);
  return { decode, width: slot, answer: answer === undefined ? null : answer.name };
}

// Per kind (EVENT_NAMES index): its decoder.
const EVENT_DECODERS = DESCRIPTION.events.map((k) => compileDecoder(k.fields, true));
const MESSAGE_DECODER = compileDecoder(DESCRIPTION.messageFields, false);

/** The one event of a flat batch (a request's response). */
function decodeEvent(flat) {
  return EVENT_DECODERS[flat[1]].decode(flat, 2);
}

function decodeMessages(flat) {
  const { decode, width } = MESSAGE_DECODER;
  const out = [];
  for (let i = 0; i < flat.length; i += width) out.push(Object.freeze(decode(flat, i)));
  return Object.freeze(out);
}

// [Name, accessor]: read-only members. Assigning the plain property throws (10022) in
// sloppy and strict code alike, rather than being ignored.
const READ_ONLY = [
  ['ReadyToSend', 'isReadyToSend'],
  ['Reconnecting', 'isReconnecting'],
  ['IncomingMessages', 'getIncomingMessages'],
  ['OutgoingMessages', 'getOutgoingMessages'],
  ['SSLServerCert', 'getSSLServerCert'],
];

// The plain property's name: the reference's name in lower camel case, a leading acronym
// lowered whole (ClientId → clientId, SSLEnabled → sslEnabled).
function propName(Name) {
  return Name.replace(/^[A-Z]+(?=[A-Z][a-z])|^[A-Z]/, (s) => s.toLowerCase());
}

for (const [Name, getter] of READ_ONLY) {
  const prop = propName(Name);
  Object.defineProperty(mqtt.prototype, prop, {
    get() {
      return this[getter]();
    },
    set() {
      throw mqttError(INVALID_ARGUMENT, `${Name} is read-only`);
    },
    enumerable: true,
    configurable: true,
  });
}

// The documented properties: [Name, kind]. Each gets the reference's accessors
// (getName/setName, or isName/setName for booleans) and a plain property (`name`).
const PROPERTIES = [
  ['ClientId', 'string'],
  ['CleanSession', 'boolean'],
  ['KeepAliveInterval', 'int'],
  ['User', 'string'],
  ['Password', 'string'],
  ['Version', 'int'],
  ['RemoteHost', 'string'],
  ['RemotePort', 'int'],
  ['LocalHost', 'string'],
  ['LocalPort', 'int'],
  ['Timeout', 'int'],
  ['WillTopic', 'string'],
  ['WillMessage', 'string'],
  ['SSLEnabled', 'boolean'],
  ['SSLProvider', 'int'],
  ['SSLCert', 'certificate'],
  ['SSLAcceptServerCert', 'certificate'],
  ['Firewall', 'firewall'],
];

// Per kind: the check that turns a JavaScript value into the addon's (throwing 10022 for
// the wrong type), and the wrapper that turns the addon's value into the documented one.
const same = (v) => v;
const KINDS = {
  string: { check: checkString, wrap: same },
  boolean: { check: checkBool, wrap: same },
  int: { check: checkInt, wrap: same },
  certificate: { check: certificateArg, wrap: wrapCertificate },
  firewall: { check: firewallArg, wrap: wrapFirewall },
};

// Like the generated ones below, `connected` shows up when the client is enumerated.
Object.defineProperty(mqtt.prototype, 'connected', {
  ...Object.getOwnPropertyDescriptor(mqtt.prototype, 'connected'),
  enumerable: true,
});

for (const [Name, kind] of PROPERTIES) {
  const getter = (kind === 'boolean' ? 'is' : 'get') + Name;
  const setter = 'set' + Name;
  const { check, wrap } = KINDS[kind];
  const prop = propName(Name);
  Object.defineProperty(mqtt.prototype, getter, {
    value: function () {
      return wrap(this[NATIVE][getter]());
    },
    writable: true,
    configurable: true,
  });
  Object.defineProperty(mqtt.prototype, setter, {
    value: function (v) {
      this[NATIVE][setter](check(Name, v));
    },
    writable: true,
    configurable: true,
  });
  Object.defineProperty(mqtt.prototype, prop, {
    get() {
      return wrap(this[NATIVE][getter]());
    },
    set(v) {
      this[NATIVE][setter](check(Name, v));
    },
    enumerable: true,
    configurable: true,
  });
}

/** Runs `fn` and turns a synchronous throw into a rejected Promise. */
function attempt(fn) {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}

const DONE = Promise.resolve();

// One turn of the drain fires events for at most this long (plus the last listener's own
// time), then gives the event loop a turn (timers, I/O, promise reactions) and goes on in a
// later one: a server that sends faster than the listeners keep up must not take the
// application's thread away. The engine's queue is bounded, so memory stays flat while
// JavaScript is behind. Measured under the scripted flood (tests/harness/hostile-peer): a
// 10 ms interval ran at most 16 ms late with listeners of 1 ms per message, and at most
// ~33 ms late (garbage collection included) with empty ones at ~200 000 events/s, the
// same rate as when the drain ran until the queue was empty (when no timer ever ran).
const SLICE_MS = 20;

// The kinds (EVENT_NAMES indexes) the face itself looks at.
const CONNECTED = kindOf('Connected');
const DISCONNECTED = kindOf('Disconnected');
const SUBSCRIBED = kindOf('Subscribed');
const UNSUBSCRIBED = kindOf('Unsubscribed');

// A finished call settles once the events queued before it finished have fired. The face
// cannot see where in the queue that is, so it settles when the queue is found empty, or
// when an event of the kind the call ends with (Subscribed for subscribe, ...) has fired
// since the call began, or at the latest after this many more events: more than the queue
// can hold when the call finishes (4096 plus what one read adds). Only a flood ever gets
// past the first test.
const SETTLE_AFTER = 16384;

// Per-client bookkeeping kept off the public object.
class ClientState {
  constructor(client) {
    this.client = client;
    this.native = client[NATIVE];
    this.draining = false;
    // A taken batch (takeEvents' flat array) not fired to its end yet, and where to go on.
    this.batch = null;
    this.next = 0;
    // The setImmediate that goes on with the drain, while one is scheduled.
    this.resume = null;
    // Events fired, per kind and in all: finished calls look at them to settle.
    this.fired = new Array(EVENT_NAMES.length).fill(0);
    this.firedTotal = 0;
    // Finished calls waiting for their events to fire: {kind, seen, limit, done}.
    this.settling = [];
    // Connections that may still deliver events: one per connect call until it fails,
    // and one per established connection until its Disconnected event.
    this.holds = 0;
    // unref() clears it: the client then never keeps the process alive by itself.
    this.refd = true;
    // What the native side was last told about keeping the process alive.
    this.kept = false;
    // Resolvers waiting for holds to reach 0 (interrupt(), reset()).
    this.idleWaiters = [];
    // Calls still waiting for the engine: {reject, what}. interrupt() ends them.
    this.waiting = new Set();
  }

  /**
   * Connected, connecting, or reconnecting: the engine will deliver more by itself. The
   * engine settles whether it reconnects before it queues the event that reports a loss or
   * a failed attempt, so asking when that event is handled gets the final word. It is
   * connected a moment before its Connected event arrives (which takes a hold), and no
   * longer reconnecting from then on: isConnected() covers that moment.
   */
  active() {
    return this.holds > 0 || this.native.isReconnecting() || this.native.isConnected();
  }

  // An active client is kept from the garbage collector (its listeners are still expected
  // to fire) and, unless unref'd, keeps the process alive through the drain function's
  // reference: the one handle the addon has on the event loop.
  update() {
    const active = this.active();
    if (active) live.add(this.client);
    else live.delete(this.client);
    const keep = active && this.refd;
    if (keep !== this.kept) {
      this.kept = keep;
      this.native.keepAlive(keep);
    }
  }

  setRef(on) {
    this.refd = on;
    if (this.resume !== null) {
      if (on) this.resume.ref();
      else this.resume.unref();
    }
    this.update();
  }

  acquire() {
    this.holds++;
    this.update();
  }

  release() {
    if (this.holds === 0) return;
    this.holds--;
    this.update();
    if (this.holds === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  onConnected(statusCode) {
    // A connection the engine made by itself (AutoReconnect) holds the client too, until
    // its Disconnected event. After a failed attempt of the engine's, reconnecting already
    // says whether another one follows.
    if (statusCode === 0 && this.holds === 0) this.acquire();
    else this.update();
  }

  onDisconnected() {
    this.release();
  }

  /** Resolves once no connection or attempt is left, after firing what is pending. */
  idle() {
    return DONE.then(() => {
      this.drain();
      if (this.holds === 0) return undefined;
      return new Promise((resolve) => this.idleWaiters.push(resolve));
    });
  }

  /** Rejects every call still waiting with 301, now; the engine's own outcome is dropped. */
  interruptAll() {
    const calls = [...this.waiting];
    this.waiting.clear();
    for (const c of calls) c.reject(addon.interruptedError(c.what));
  }

  // Native methods return null when they finished at once, or a Promise. For calls whose
  // outcome is also reported as events (`settle`: connect, disconnect, subscribe,
  // unsubscribe), those events are fired before the returned Promise settles, as the
  // blocking faces fire them before returning (`outcome`: the kind the call ends with;
  // see SETTLE_AFTER for a call whose events are behind a flood); even a call that
  // finished at once waits a microtask for that, so listeners never run inside the call
  // itself. `failed` (connect) hears the engine's own failure, even after interrupt()
  // settled the returned Promise.
  /**
   * @param {() => (PromiseLike<unknown> | null | undefined)} start
   * @param {{ settle?: boolean, what?: string, failed?: (() => void) | null, outcome?: number }} [options]
   * @returns {Promise<void>}
   */
  call(start, { settle = true, what = 'waiting', failed = null, outcome = -1 } = {}) {
    const seen = outcome >= 0 ? this.fired[outcome] : 0;
    let pending;
    try {
      pending = start();
    } catch (err) {
      if (failed) failed();
      return settle ? DONE.then(() => {
        this.drain();
        throw err;
      }) : Promise.reject(err);
    }
    if (pending == null) return settle ? DONE.then(() => this.drain()) : DONE;
    return new Promise((resolve, reject) => {
      const entry = { reject, what };
      this.waiting.add(entry);
      const ended = (kind, done) => {
        this.waiting.delete(entry);
        if (!settle) {
          this.drain();
          done();
          return;
        }
        this.settling.push({ kind, seen, limit: this.firedTotal + SETTLE_AFTER, done });
        // The turn settles what it can when it ends; when a turn is already under way or
        // scheduled, that one's end does.
        this.drain();
      };
      pending.then(
        () => ended(outcome, resolve),
        // Only a failed connect reports itself as an event (Connected with the error).
        (err) => ended(failed ? outcome : -1, () => {
          if (failed) failed();
          reject(err);
        }),
      );
    });
  }

  /**
   * A call with a result: the addon gives the value when the call finished at once, or a
   * Promise of it. No event has to fire before it settles.
   * @param {() => unknown} start
   * @param {string} what
   * @returns {Promise<any>}
   */
  callValue(start, what) {
    let pending;
    try {
      pending = start();
    } catch (err) {
      return Promise.reject(err);
    }
    if (!(pending instanceof Promise)) return Promise.resolve(pending);
    return new Promise((resolve, reject) => {
      const entry = { reject, what };
      this.waiting.add(entry);
      const ended = (done) => {
        if (!this.waiting.delete(entry)) return; // interrupt() already rejected it
        this.drain();
        done();
      };
      pending.then((v) => ended(() => resolve(v)), (err) => ended(() => reject(err)));
    });
  }

  connecting(start) {
    this.acquire();
    // Whatever the reason (refused arguments, already connected, the server said no), a
    // failed attempt delivers nothing more; an established connection's hold ends with
    // its Disconnected event instead.
    return this.call(start, { what: 'connecting', failed: () => this.release(), outcome: CONNECTED });
  }

  // The kinds (a bit per EVENT_NAMES index) nobody listens to and whose delivery does
  // nothing else here: the addon leaves them out of the batch instead of copying their
  // payloads into JavaScript for no one. The engine's own bookkeeping (the in-flight collections) has moved on for
  // them all the same.
  unheard() {
    const c = this.client;
    let bits = 0;
    for (const k of SKIPPABLE_KINDS) if (c.listenerCount(EVENT_NAMES[k]) === 0) bits |= 1 << k;
    return bits;
  }

  /**
   * Fires pending events for one turn (SLICE_MS); schedules the next turn if some are left.
   * `resumed`: called by that scheduled turn.
   */
  drain(resumed = false) {
    // A listener that causes a drain (doEvents, a settled call) must not fire later events
    // before the earlier ones of the batch in progress; the outer loop picks them up. A
    // scheduled turn does the same for a drain asked for in between (the notifier's).
    if (this.draining || this.resume !== null) return;
    this.draining = true;
    const deadline = Date.now() + SLICE_MS;
    let empty = false;
    try {
      do {
        if (this.batch === null) {
          const flat = this.native.takeEvents(EVENT_BATCH, this.unheard());
          if (flat[0] === 0) {
            empty = true;
            break;
          }
          this.batch = flat;
          this.next = 1; // after the count of events taken
        }
        // Events already taken are fired in later turns if need be: a batch ends after a
        // MessageAck or SSLServerAuthentication, so what is left of one never includes an
        // event whose in-flight view or answer depends on the moment it fires.
        this.next = this.fire(this.batch, this.next, deadline);
        if (this.next >= this.batch.length) this.batch = null;
      } while (Date.now() < deadline);
    } catch (err) {
      this.batch = null;
      throw err;
    } finally {
      this.draining = false;
    }
    if (!empty) this.scheduleTurn(resumed);
    // Reconnecting may also end with no Connected or Disconnected to say so (an attempt
    // that could not even start, after the last one allowed): whatever event came with
    // it brought the drain here.
    else if (this.holds === 0 && live.has(this.client)) this.update();
    this.settleReady(empty);
  }

  // The next turn runs as an immediate. One queued while immediates run (by a turn itself)
  // waits for the next iteration of the event loop; one queued from elsewhere (the notifier
  // in the poll phase, a promise reaction) would run in this iteration's check phase, right
  // after the turn that queued it, so it takes one hop more: at most one turn per iteration.
  scheduleTurn(resumed) {
    const turn = () => {
      this.resume = null;
      this.drain(true);
    };
    const hop = () => {
      this.resume = null;
      this.queueImmediate(turn);
    };
    this.queueImmediate(resumed ? turn : hop);
  }

  queueImmediate(fn) {
    this.resume = setImmediate(fn);
    if (!this.refd) this.resume.unref();
  }

  settleReady(empty) {
    if (this.settling.length === 0) return;
    const finished = this.settling;
    this.settling = [];
    for (const s of finished) {
      if (empty || s.kind < 0 || this.fired[s.kind] > s.seen || this.firedTotal >= s.limit) s.done();
      else this.settling.push(s);
    }
  }

  /** Fires the events of batch `a` from index `i` until its end or `deadline`; returns where it stopped. */
  fire(a, i, deadline) {
    const client = this.client;
    while (i < a.length) {
      const kind = a[i++];
      const d = EVENT_DECODERS[kind];
      if (d === undefined) throw new Error(`ferromq: unknown event kind ${kind} from the addon`);
      const e = d.decode(a, i);
      i += d.width;
      if (kind === CONNECTED) this.onConnected(e.statusCode);
      else if (kind === DISCONNECTED) this.onDisconnected();
      try {
        client.emit(EVENT_NAMES[kind], e);
      } catch (err) {
        // As with any EventEmitter, a throwing listener is the application's uncaught
        // exception; the remaining events of the batch are still delivered first.
        process.nextTick(() => {
          throw err;
        });
      }
      this.fired[kind]++;
      this.firedTotal++;
      // The TLS handshake waits for this answer (SSLServerAuthentication's `accept`, the
      // kind's described answer) as the listeners left it: what the engine proposed when
      // nobody listens, or when a listener threw before changing it. Only `true` accepts,
      // and the engine only takes a server its settings allowed.
      if (d.answer !== null) this.native.answerServerAuthentication(e[d.answer] === true);
      if (Date.now() >= deadline) break;
    }
    return i;
  }
}

/** Every setting `config()` answers: name, group, kind, readOnly, versions, default, indexed. */
function configSettings() {
  return addon.configSettings();
}

module.exports = { mqtt, MQTTError, ErrorCodes, Certificate, Firewall, MQTTVersions, EVENT_NAMES, configSettings };
