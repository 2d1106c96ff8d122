'use strict';
// The transport scenarios of tests/scenarios.tsv (tls_connect ... socket_settings), one test
// named scenario_<id> each, against the real servers of tests/harness/transports (mosquitto
// TLS listeners, websockify, aedes, tinyproxy, dante, microsocks, a SOCKS4A server); then the
// Certificate and Firewall values, and SSLServerAuthentication answered by the listeners
// (the Node face is push mode: the handshake waits for index.js to answer).
//
// The servers' addresses come from the FERROMQ_* variables tests/harness/with-brokers exports.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const h = require('./helpers');
const { mqtt, Certificate, Firewall } = require('ferromq');

const TLS_CERT_VERIFY = 280;
const TLS_HANDSHAKE = 276;
const TLS_STORE = 271;
const TLS_CERT_NOT_FOUND = 272;
const TLS_CREDENTIALS = 273;
const FIREWALL = 118;
const INVALID_ARGUMENT = 10022;
const HOST_NOT_FOUND = 11001;
const TIMEOUT = 201;

const NO_TRANSPORTS = process.env.FERROMQ_TLS_PORT
  ? false
  : 'no transport servers: run under tests/harness/with-brokers (without FERROMQ_NO_TRANSPORTS=1)';
const opts = { skip: NO_TRANSPORTS, timeout: 120000 };

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run with tests/harness/with-brokers (it starts tests/harness/transports)`);
  return v;
}
const port = (name) => Number(env(name));
const text = (name) => fs.readFileSync(env(name), 'utf8');

/** Every event of `m`, in order; `named(n)` gives those of one kind. */
function recorder(m) {
  const seen = [];
  const { EVENT_NAMES } = require('ferromq');
  for (const n of EVENT_NAMES) m.on(n, (e) => seen.push([n, e]));
  return {
    seen,
    named: (n) => seen.filter(([k]) => k === n).map(([, e]) => e),
    clear: () => { seen.length = 0; },
  };
}

/** A client (timeout 10 s) that records every event it fires; closed after the test. */
function newClient(t) {
  const m = new mqtt();
  m.timeout = 10;
  t.after(() => h.closeQuietly(m));
  return { m, rec: recorder(m) };
}

/** A client with TLS on that trusts the harness's test CA. */
function tlsClient(t) {
  const c = newClient(t);
  c.m.sslEnabled = true;
  c.m.configSync(`SSLServerCACerts=${text('FERROMQ_CA_CERT')}`);
  return c;
}

const messagesIn = (rec, topic) => rec.named('MessageIn').filter((e) => e.topic === topic);

/** Subscribe, publish at QoS 1 to our own subscription and see it come back whole. */
async function roundtrip({ m, rec }, payload) {
  const topic = h.uniqueTopic('transport');
  await m.subscribe(topic, 1);
  await m.publishData(topic, 1, payload);
  await h.until(() => messagesIn(rec, topic).length >= 1, `the message on ${topic}`, 20000);
  const got = messagesIn(rec, topic);
  assert.equal(got.length, 1, 'the message came back once');
  assert.ok(Buffer.from(got[0].messageB).equals(Buffer.from(payload)), 'the payload came back whole');
}

/** Asserts that `fn` throws an Error with the numeric `code` whose text holds every word. */
function throwsCode(fn, code, words = []) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof Error, 'an Error object');
    assert.equal(err.code, code, err.message);
    for (const w of words) assert.ok(err.message.includes(w), `${JSON.stringify(w)} not in: ${err.message}`);
    return true;
  });
}

/** A connectTo that must fail with `code`, its message holding every word; returns the error. */
async function refused(m, host, p, code, words = []) {
  let caught = null;
  await assert.rejects(m.connectTo(host, p), (err) => {
    caught = err;
    assert.ok(err instanceof Error, 'an Error object');
    assert.equal(err.code, code, `${host}:${p}: ${err.message}`);
    for (const w of words) assert.ok(err.message.includes(w), `${JSON.stringify(w)} not in: ${err.message}`);
    return true;
  });
  assert.equal(m.connected, false);
  return caught;
}

const statuses = (rec) => rec.named('ConnectionStatus').map((e) => e.connectionEvent);

// ---- TLS ----

test('scenario_tls_connect: TLS 1.3 to a trusted server, both versions, by name and by address', opts, async (t) => {
  for (const version of [0, 1]) {
    const c = tlsClient(t);
    const { m, rec } = c;
    m.version = version;
    assert.ok(m.sslServerCert instanceof Certificate);
    assert.ok(m.sslServerCert.isEmpty());
    await m.connectTo('localhost', port('FERROMQ_TLS_PORT'));
    const auth = rec.named('SSLServerAuthentication');
    assert.equal(auth.length, 1, 'one SSLServerAuthentication');
    assert.equal(auth[0].status, 'OK');
    assert.equal(auth[0].accept, true);
    assert.ok(auth[0].certSubject.includes('localhost'), auth[0].certSubject);
    assert.ok(rec.named('SSLStatus').length > 0, 'SSLStatus fires during the handshake');
    assert.deepEqual(statuses(rec), ['SSL handshake complete', 'Remote host connection complete']);
    const cert = m.sslServerCert;
    assert.ok(cert instanceof Certificate);
    assert.equal(cert.isEmpty(), false);
    assert.equal(cert.subject, auth[0].certSubject);
    assert.ok(cert.encodedB.equals(auth[0].certEncodedB));
    assert.equal(cert.encoded, auth[0].certEncoded);
    assert.equal(cert.fingerprintSHA256.length, 32 * 3 - 1);
    assert.ok(cert.subjectAltNames.includes('127.0.0.1'), cert.subjectAltNames);
    assert.equal(cert.privateKeyAvailable, false);
    assert.ok(cert.equals(m.getSSLServerCert()), 'accessor and property agree');
    assert.equal(m.configSync('SSLNegotiatedVersion'), 'TLS1.3');
    assert.notEqual(m.configSync('SSLNegotiatedCipherSuite'), '');
    assert.equal(await m.config('SSLNegotiatedKeyExchange'), 'ECDHE');
    await roundtrip(c, Buffer.from('over TLS'));
    await m.disconnect();
    // An IP address is checked against the certificate's IP names.
    await m.connectTo('127.0.0.1', port('FERROMQ_TLS_PORT'));
    await m.disconnect();
  }
});

test('scenario_tls_refusals: untrusted, wrong host, expired, not TLS, no client certificate', opts, async (t) => {
  const { m } = tlsClient(t);
  for (let i = 0; i < 2; i++) {
    // Twice: a second attempt verifies again.
    await refused(m, 'localhost', port('FERROMQ_TLS_UNTRUSTED_PORT'), TLS_CERT_VERIFY, ['not signed by a trusted']);
  }
  await refused(m, 'localhost', port('FERROMQ_TLS_WRONG_HOST_PORT'), TLS_CERT_VERIFY, ['not valid for the host name']);
  await refused(m, 'localhost', port('FERROMQ_TLS_EXPIRED_PORT'), TLS_CERT_VERIFY, ['expired']);
  await refused(m, '127.0.0.1', port('FERROMQ_PLAIN_PORT'), TLS_HANDSHAKE);
  for (const [mask, what] of [[0x0c00, 'TLS 1.2'], [0x3000, 'TLS 1.3']]) {
    m.configSync(`SSLEnabledProtocols=${mask}`);
    const e = await refused(m, 'localhost', port('FERROMQ_TLS_CLIENT_CERT_PORT'), TLS_HANDSHAKE);
    assert.ok(e.message.includes('requires a client certificate'), `${what}: ${e.message}`);
  }
  const { m: plain } = newClient(t);
  await refused(plain, '127.0.0.1', port('FERROMQ_TLS_PORT'), 10054, ['enable SSL']);
});

test('scenario_tls_accept_server_cert: a pinned certificate, and the listener deciding', opts, async (t) => {
  // Exactly the untrusted server's certificate, taken from a first refused attempt.
  const { m, rec } = tlsClient(t);
  await refused(m, 'localhost', port('FERROMQ_TLS_UNTRUSTED_PORT'), TLS_CERT_VERIFY);
  const seen = rec.named('SSLServerAuthentication');
  assert.equal(seen.length, 1);
  assert.equal(seen[0].accept, false, 'a failed certificate is not accepted by default');
  assert.ok(seen[0].status.includes('not signed by a trusted'), seen[0].status);
  const pinned = Certificate.fromEncoded(seen[0].certEncodedB);
  // The base64 text gives the same certificate as the DER bytes.
  assert.ok(Certificate.fromEncoded(seen[0].certEncoded).equals(pinned));
  m.sslAcceptServerCert = pinned;
  assert.ok(m.sslAcceptServerCert.equals(pinned));
  assert.ok(m.getSSLAcceptServerCert().equals(pinned));
  await m.connectTo('localhost', port('FERROMQ_TLS_UNTRUSTED_PORT'));
  assert.ok(m.sslServerCert.encodedB.equals(pinned.encodedB));
  await m.disconnect();
  // A different pinned certificate does not open the door.
  m.setSSLAcceptServerCert(Certificate.fromFile(env('FERROMQ_CA_CERT')));
  await refused(m, 'localhost', port('FERROMQ_TLS_UNTRUSTED_PORT'), TLS_CERT_VERIFY);

  // SSLAcceptAnyServerCert leaves the decision to the listener.
  const { m: any } = newClient(t);
  any.sslEnabled = true;
  any.configSync('SSLAcceptAnyServerCert=True');
  let refuse = true;
  const proposed = [];
  any.on('SSLServerAuthentication', (e) => {
    proposed.push(e.accept);
    e.accept = !refuse;
  });
  await refused(any, 'localhost', port('FERROMQ_TLS_UNTRUSTED_PORT'), TLS_CERT_VERIFY, ['refused by the application']);
  assert.deepEqual(proposed, [true], 'allowed by SSLAcceptAnyServerCert, refused by the listener');
  refuse = false;
  await any.connectTo('localhost', port('FERROMQ_TLS_UNTRUSTED_PORT'));
  assert.equal(any.connected, true);
  await any.disconnect();
});

test('a listener cannot accept what the settings did not allow', opts, async (t) => {
  const { m } = tlsClient(t);
  m.on('SSLServerAuthentication', (e) => { e.accept = true; });
  await refused(m, 'localhost', port('FERROMQ_TLS_UNTRUSTED_PORT'), TLS_CERT_VERIFY, ['not signed by a trusted']);
});

function clientCertificates() {
  const pw = env('FERROMQ_CLIENT_P12_PASSWORD');
  const p12 = fs.readFileSync(env('FERROMQ_CLIENT_P12'));
  return [
    ['PKCS#12 file', Certificate.fromStore(2, env('FERROMQ_CLIENT_P12'), pw, '*')],
    ['PKCS#12 file, default subject', Certificate.fromStore(2, env('FERROMQ_CLIENT_P12'), pw)],
    ['PKCS#12 blob', Certificate.fromStore(3, p12, pw, '')],
    ['PKCS#12 blob as an ArrayBuffer', Certificate.fromStore(3, Uint8Array.from(p12).buffer, pw, '')],
    ['PEM file', Certificate.fromStore(6, env('FERROMQ_CLIENT_PEM'), '', '')],
    [
      'PEM key blob with its certificate',
      Certificate.fromStoreEncoded(7, fs.readFileSync(env('FERROMQ_CLIENT_KEY')), '', fs.readFileSync(env('FERROMQ_CLIENT_CERT'))),
    ],
    [
      'PEM key text with its certificate text',
      Certificate.fromStoreEncoded(7, text('FERROMQ_CLIENT_KEY'), '', text('FERROMQ_CLIENT_CERT')),
    ],
  ];
}

test('scenario_tls_client_cert: every store type authenticates, bad stores are refused', opts, async (t) => {
  for (const [what, cert] of clientCertificates()) {
    assert.ok(cert instanceof Certificate, what);
    assert.equal(cert.privateKeyAvailable, true, what);
    assert.ok(cert.subject, what);
    assert.ok(cert.thumbprintSHA1, what);
    assert.equal(cert.privateKey, '', 'the key never leaves the engine');
    for (const mask of [0x0c00, 0x3000]) {
      const c = tlsClient(t);
      c.m.sslCert = cert;
      assert.ok(c.m.sslCert.equals(cert), what);
      c.m.configSync(`SSLEnabledProtocols=${mask}`);
      try {
        await c.m.connectTo('localhost', port('FERROMQ_TLS_CLIENT_CERT_PORT'));
      } catch (e) {
        assert.fail(`${what}, protocols 0x${mask.toString(16)}: [${e.code}] ${e.message}`);
      }
      await roundtrip(c, Buffer.from(what));
      await c.m.disconnect();
    }
  }
  // Bad stores are refused where the certificate is named.
  const pw = env('FERROMQ_CLIENT_P12_PASSWORD');
  const p12 = fs.readFileSync(env('FERROMQ_CLIENT_P12'));
  for (const [args, code] of [
    [[3, p12, 'wrong password', ''], TLS_STORE],
    [[1, 'MY', '', ''], TLS_STORE],
    [[3, p12, pw, 'CN=nobody-has-this'], TLS_CERT_NOT_FOUND],
  ]) {
    throwsCode(() => Certificate.fromStore(...args), code);
  }
  // A certificate without its key cannot authenticate, and nothing changes.
  const m = new mqtt();
  throwsCode(() => { m.sslCert = Certificate.fromFile(env('FERROMQ_CLIENT_CERT')); }, TLS_CREDENTIALS, ['no private key']);
  assert.ok(m.sslCert.isEmpty());
});

test('scenario_tls_settings_checked: bad TLS settings refused, chosen ones negotiated', opts, async (t) => {
  const m = new mqtt();
  for (const [setting, words] of [
    ['SSLEnabledProtocols=192', ['SSLEnabledProtocols', '192']],
    ['SSLEnabledProtocols=768', ['768']],
    ['SSLEnabledCipherSuites=TLS_BOGUS_SUITE', ['TLS_BOGUS_SUITE']],
    ['TLS12SupportedGroups=ecdhe_bogus', ['ecdhe_bogus']],
  ]) {
    throwsCode(() => m.configSync(setting), INVALID_ARGUMENT, words);
    await assert.rejects(m.config(setting), (err) => err.code === INVALID_ARGUMENT);
  }
  throwsCode(() => { m.sslProvider = 3; }, INVALID_ARGUMENT, ['SSLProvider']);
  throwsCode(() => m.setSSLProvider(-1), INVALID_ARGUMENT);
  assert.equal(m.sslProvider, 0, 'a refused value changes nothing');
  // Accepted, without effect: another TLS stack's settings.
  for (const s of ['OpenSSLCipherList=HIGH:!aNULL', 'SSLSecurityFlags=128', 'ReuseSSLSession=True', 'SSLCipherStrength=256']) {
    assert.equal(m.configSync(s), '', s);
  }
  m.sslProvider = 1;
  assert.equal(m.sslProvider, 1);
  assert.equal(m.getSSLProvider(), 1);

  // A chosen suite is negotiated, TLS 1.2 when asked, and the key log is written.
  const keylog = h.tempFile('keylog');
  t.after(() => fs.rmSync(keylog, { force: true }));
  const { m: c } = tlsClient(t);
  c.configSync('SSLEnabledCipherSuites=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384');
  c.configSync('SSLEnabledProtocols=3072');
  c.configSync(`SSLKeyLogFile=${keylog}`);
  await c.connectTo('localhost', port('FERROMQ_TLS_PORT'));
  assert.equal(c.configSync('SSLNegotiatedVersion'), 'TLS1.2');
  assert.equal(c.configSync('SSLNegotiatedCipherSuite'), 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384');
  assert.equal(c.configSync('SSLNegotiatedCipherStrength'), '256');
  await c.disconnect();
  const log = fs.readFileSync(keylog, 'utf8');
  assert.ok(log.includes('CLIENT_RANDOM'), log);
  // The trust file of the OpenSSL settings works as SSLServerCACerts does.
  const { m: o } = newClient(t);
  o.setSSLEnabled(true);
  assert.equal(o.isSSLEnabled(), true);
  o.configSync(`OpenSSLCAFile=${env('FERROMQ_CA_CERT')}`);
  await o.connectTo('localhost', port('FERROMQ_TLS_PORT'));
  await o.disconnect();
});

// ---- WebSockets ----

test('scenario_websocket_connect: ws:// and wss:// through websockify, both versions, and aedes', opts, async (t) => {
  const big = Uint8Array.from({ length: 300000 }, (_, i) => i % 251);
  for (const version of [0, 1]) {
    for (const url of [
      `ws://127.0.0.1:${port('FERROMQ_WS_PORT')}/mqtt`,
      `wss://localhost:${port('FERROMQ_WSS_PORT')}/mqtt`,
    ]) {
      const c = tlsClient(t);
      const { m, rec } = c;
      // wss:// needs no sslEnabled; ws:// ignores the TLS settings.
      m.sslEnabled = false;
      m.version = version;
      m.remoteHost = url;
      try {
        await m.connect();
      } catch (e) {
        assert.fail(`${url}: [${e.code}] ${e.message}`);
      }
      assert.ok(statuses(rec).includes('Remote host connection complete'), url);
      await roundtrip(c, Buffer.from('small'));
      // Far larger than one of websockify's frames: split across frames.
      await roundtrip(c, big);
      // A burst: several packets per frame.
      const topic = h.uniqueTopic('ws-burst');
      await m.subscribe(topic, 0);
      for (let i = 0; i < 200; i++) await m.publishMessage(topic, 0, String(i));
      await h.until(() => messagesIn(rec, topic).length >= 200, `200 messages over ${url}`, 20000);
      assert.deepEqual(messagesIn(rec, topic).map((e) => e.message), Array.from({ length: 200 }, (_, i) => String(i)), url);
      await m.disconnect();
    }
  }
  // A second broker implementation behind ws://.
  const a = newClient(t);
  a.m.remoteHost = `ws://127.0.0.1:${port('FERROMQ_AEDES_WS_PORT')}`;
  await a.m.connect();
  await roundtrip(a, Buffer.from('aedes'));
  await a.m.disconnect();
  await assert.rejects(new mqtt().connectTo('http://127.0.0.1/', 80), (err) => err.code === INVALID_ARGUMENT);
});

// ---- proxies ----

function withProxy(m, firewallType, portVar, auth) {
  const fw = new Firewall();
  fw.firewallType = firewallType;
  fw.host = '127.0.0.1';
  fw.port = port(portVar);
  if (auth) {
    fw.user = env('FERROMQ_PROXY_USER');
    fw.password = env('FERROMQ_PROXY_PASSWORD');
  }
  m.firewall = fw;
  assert.ok(m.firewall.equals(fw), `${m.firewall.host}:${m.firewall.port}`);
  assert.equal(m.configSync('FirewallType'), String(firewallType));
  return fw;
}

test('scenario_proxy_connect: plain, TLS and wss through HTTP, SOCKS4, SOCKS5, SOCKS4A', opts, async (t) => {
  const through = [
    [1, 'FERROMQ_PROXY_HTTP_PORT', false],
    [1, 'FERROMQ_PROXY_HTTP_AUTH_PORT', true],
    [2, 'FERROMQ_PROXY_SOCKS_PORT', false],
    [3, 'FERROMQ_PROXY_SOCKS_PORT', false],
    [3, 'FERROMQ_PROXY_SOCKS5_AUTH_PORT', true],
    [10, 'FERROMQ_PROXY_SOCKS4A_PORT', false],
  ];
  for (const [firewallType, proxy, auth] of through) {
    for (const [what, host, portVar, tls] of [
      ['plain', '127.0.0.1', 'FERROMQ_PLAIN_PORT', false],
      ['TLS', 'localhost', 'FERROMQ_TLS_PORT', true],
      ['wss', '', 'FERROMQ_WSS_PORT', false],
    ]) {
      const c = tlsClient(t);
      const { m, rec } = c;
      m.sslEnabled = tls;
      withProxy(m, firewallType, proxy, auth);
      try {
        if (host) {
          await m.connectTo(host, port(portVar));
        } else {
          m.remoteHost = `wss://localhost:${port(portVar)}/`;
          await m.connect();
        }
      } catch (e) {
        assert.fail(`${what} through type ${firewallType} at ${proxy}: [${e.code}] ${e.message}`);
      }
      assert.ok(statuses(rec).includes('Firewall connection complete'), `${what} through ${proxy}`);
      await roundtrip(c, Buffer.from(what));
      await m.disconnect();
    }
  }
  // "*" before the host: the SOCKS4A proxy resolves the name.
  const s = newClient(t);
  withProxy(s.m, 10, 'FERROMQ_PROXY_SOCKS4A_PORT', false);
  await s.m.connectTo('*localhost', port('FERROMQ_PLAIN_PORT'));
  await s.m.disconnect();
  const logFile = env('FERROMQ_PROXY_SOCKS4A_LOG');
  const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
  assert.ok(log.includes(`v4 localhost ${port('FERROMQ_PLAIN_PORT')}`), log);
  // A host on the exceptions list is reached directly, even with a dead proxy.
  const d = newClient(t);
  withProxy(d.m, 1, 'FERROMQ_CLOSED_PORT', false);
  d.m.configSync('ProxyExceptionsList=example.com;127.0.0.1');
  await d.m.connectTo('127.0.0.1', port('FERROMQ_PLAIN_PORT'));
  assert.ok(!statuses(d.rec).includes('Firewall connection complete'));
  await d.m.disconnect();
});

test('scenario_proxy_refusals: proxy authentication, a dead proxy, a refused target, bad values', opts, async (t) => {
  const plain = port('FERROMQ_PLAIN_PORT');
  const { m } = newClient(t);
  withProxy(m, 1, 'FERROMQ_PROXY_HTTP_AUTH_PORT', false);
  await refused(m, '127.0.0.1', plain, FIREWALL, ['407']);
  withProxy(m, 1, 'FERROMQ_PROXY_HTTP_AUTH_PORT', true);
  m.configSync('FirewallPassword=wrong');
  assert.equal(m.firewall.password, 'wrong', 'the property and the settings are one value');
  await refused(m, '127.0.0.1', plain, FIREWALL, ['401']);
  withProxy(m, 3, 'FERROMQ_PROXY_SOCKS5_AUTH_PORT', true);
  m.configSync('FirewallPassword=wrong');
  await refused(m, '127.0.0.1', plain, FIREWALL, ['SOCKS5']);
  withProxy(m, 3, 'FERROMQ_CLOSED_PORT', false);
  await refused(m, '127.0.0.1', plain, FIREWALL, ['cannot reach']);
  withProxy(m, 2, 'FERROMQ_PROXY_SOCKS_PORT', false);
  await refused(m, '127.0.0.1', port('FERROMQ_CLOSED_PORT'), FIREWALL, ['reply 91']);
  throwsCode(() => m.configSync('FirewallType=4'), INVALID_ARGUMENT);
  const before = m.firewall;
  for (const [firewallType, fwPort, word] of [[1, 70000, '70000'], [4, 8080, '4']]) {
    throwsCode(() => { m.firewall = new Firewall({ firewallType, host: '127.0.0.1', port: fwPort }); }, INVALID_ARGUMENT, [word]);
    throwsCode(() => m.setFirewall(new Firewall({ firewallType, host: '127.0.0.1', port: fwPort })), INVALID_ARGUMENT, [word]);
    assert.ok(m.firewall.equals(before), 'a refused Firewall changes nothing');
  }
  // Not a Firewall, or a field of the wrong JavaScript type: 10022 too.
  throwsCode(() => { m.firewall = { firewallType: 1 }; }, INVALID_ARGUMENT, ['Firewall must be a Firewall']);
  throwsCode(() => { m.firewall = new Firewall({ firewallType: 1, port: '8080' }); }, INVALID_ARGUMENT, ['FirewallPort']);
  throwsCode(() => { m.firewall = new Firewall({ firewallType: 1.5 }); }, INVALID_ARGUMENT, ['FirewallType']);
  assert.ok(m.firewall.equals(before), 'nothing changed');
});

// ---- socket settings ----

test('scenario_socket_settings: local address, TCP options, IPv6, rate limit, connection timeout', opts, async (t) => {
  const plain = port('FERROMQ_PLAIN_PORT');
  // localHost/localPort: bound as asked, and read back while connected.
  const c = newClient(t);
  const { m } = c;
  const local = await h.freePort();
  m.localHost = '127.0.0.1';
  m.localPort = local;
  for (const s of ['TCPKeepAlive=True', 'KeepAliveTime=30000', 'KeepAliveInterval=5000', 'Linger=False',
    'InBufferSize=65536', 'OutBufferSize=65536', 'TcpNoDelay=False']) {
    m.configSync(s);
  }
  await m.connectTo('127.0.0.1', plain);
  assert.equal(m.localPort, local);
  assert.equal(m.configSync('LocalPort'), String(local));
  assert.equal(m.localHost, '127.0.0.1');
  for (const [setting, code] of [['LocalPort=0', 106], ['LocalHost=', 107], ['MaxLineLength=4096', 112]]) {
    throwsCode(() => m.configSync(setting), code);
  }
  await roundtrip(c, Buffer.from('socket options'));
  await m.disconnect();
  assert.equal(m.localPort, local, 'the setting again once closed');

  // UseIPv6 against the [::1] listener.
  const v6 = port('FERROMQ_V6_PORT');
  const { m: six } = newClient(t);
  six.configSync('UseIPv6=1');
  await six.connectTo('::1', v6);
  assert.equal(six.localHost, '::1');
  await six.disconnect();
  // IPv6 first, IPv4 after: both listeners are reachable by their address.
  six.configSync('UseIPv6=2');
  await six.connectTo('::1', v6);
  await six.disconnect();
  await six.connectTo('127.0.0.1', plain);
  assert.equal(six.localHost, '127.0.0.1');
  await six.disconnect();
  // IPv6 only cannot reach an IPv4 address, IPv4 only an IPv6 one.
  six.configSync('UseIPv6=1');
  await refused(six, '127.0.0.1', plain, HOST_NOT_FOUND);
  six.configSync('UseIPv6=0');
  await refused(six, '::1', v6, HOST_NOT_FOUND, ['UseIPv6']);
  throwsCode(() => six.configSync('UseIPv6=3'), INVALID_ARGUMENT);

  // MaxTransferRate: 64 KiB at 32 KiB/s cannot take much less than 2 s.
  const r = newClient(t);
  r.m.configSync('MaxTransferRate=32768');
  await r.m.connectTo('127.0.0.1', plain);
  const started = Date.now();
  await roundtrip(r, new Uint8Array(64 * 1024).fill(7));
  const took = Date.now() - started;
  assert.ok(took >= 1500, `${took} ms`);
  await r.m.disconnect();

  // ConnectionTimeout bounds a connection that is never answered (the TCP handshake
  // completes, no CONNACK ever comes), well before the 10 s timeout.
  const silent = await h.silentListener();
  t.after(() => silent.close());
  const { m: s } = newClient(t);
  s.configSync('ConnectionTimeout=1');
  const t0 = Date.now();
  await refused(s, '127.0.0.1', silent.port, TIMEOUT);
  assert.ok(Date.now() - t0 < 5000, `${Date.now() - t0} ms`);
  s.configSync('MaxLineLength=4096');
  assert.equal(s.configSync('MaxLineLength'), '4096');
});

// ---- the value types ----

test('Certificate and Firewall values: defaults, copies, checks', async () => {
  const empty = new Certificate();
  assert.ok(empty.isEmpty());
  assert.deepEqual(
    [empty.store, empty.storeType, empty.subject, empty.encoded, empty.privateKeyAvailable, empty.publicKeyLength],
    ['MY', 0, '', '', false, 0],
  );
  assert.ok(Buffer.isBuffer(empty.storeB) && empty.storeB.equals(Buffer.from('MY')));
  assert.ok(Buffer.isBuffer(empty.encodedB) && empty.encodedB.length === 0);
  assert.ok(empty.equals(new Certificate()));
  assert.equal(empty.equals('MY'), false);
  assert.ok(Object.isFrozen(empty));
  assert.throws(() => { 'use strict'; empty.subject = 'x'; }, TypeError);
  const m = new mqtt();
  for (const name of ['sslCert', 'sslAcceptServerCert', 'sslServerCert']) {
    assert.ok(m[name] instanceof Certificate, name);
    assert.ok(m[name].isEmpty(), name);
  }
  assert.ok(m.getSSLCert().isEmpty() && m.getSSLAcceptServerCert().isEmpty() && m.getSSLServerCert().isEmpty());
  assert.deepEqual([m.sslEnabled, m.sslProvider, m.isSSLEnabled(), m.getSSLProvider()], [false, 0, false, 0]);
  // SSLServerCert is read-only: assigning throws (sloppy code too), and there is no setter.
  const assign = new Function('m', 'name', 'value', 'm[name] = value;');
  throwsCode(() => assign(m, 'sslServerCert', empty), INVALID_ARGUMENT, ['SSLServerCert is read-only']);
  assert.equal(m.setSSLServerCert, undefined);
  // Not a Certificate, or arguments of the wrong type: 10022.
  throwsCode(() => { m.sslAcceptServerCert = Buffer.from('not a certificate'); }, INVALID_ARGUMENT, ['Certificate']);
  throwsCode(() => m.setSSLCert(null), INVALID_ARGUMENT, ['SSLCert must be a Certificate']);
  throwsCode(() => { m.sslEnabled = 'yes'; }, INVALID_ARGUMENT, ['SSLEnabled']);
  throwsCode(() => { m.sslProvider = 1.5; }, INVALID_ARGUMENT, ['SSLProvider']);
  throwsCode(() => Certificate.fromEncoded(42), INVALID_ARGUMENT, ['encoded']);
  throwsCode(() => Certificate.fromFile(Buffer.from('/x')), INVALID_ARGUMENT, ['path']);
  throwsCode(() => Certificate.fromStore('3', Buffer.alloc(1)), INVALID_ARGUMENT, ['StoreType']);
  throwsCode(() => Certificate.fromStore(3, {}), INVALID_ARGUMENT, ['store']);
  throwsCode(() => Certificate.fromStore(3, Buffer.alloc(1), 7), INVALID_ARGUMENT, ['storePassword']);
  // The engine's refusals.
  throwsCode(() => Certificate.fromEncoded(Buffer.from('not a certificate')), TLS_CERT_NOT_FOUND);
  throwsCode(() => Certificate.fromEncoded(''), TLS_CERT_NOT_FOUND);
  throwsCode(() => Certificate.fromFile('/nonexistent/ferromq.pem'), TLS_STORE, ['/nonexistent/ferromq.pem']);
  m.sslEnabled = true;
  m.sslProvider = 2;

  const fw = m.firewall;
  assert.ok(fw instanceof Firewall);
  assert.ok(fw.equals(new Firewall()));
  assert.deepEqual({ ...fw }, { autoDetect: false, firewallType: 0, host: '', password: '', port: 0, user: '' });
  fw.firewallType = 3;
  fw.host = 'proxy.example';
  assert.equal(m.firewall.firewallType, 0, 'a copy: nothing changes until it is assigned');
  m.firewall = fw;
  // Port 0 takes the type's usual port.
  assert.ok(m.firewall.equals(new Firewall({ firewallType: 3, host: 'proxy.example', port: 1080 })));
  assert.ok(m.getFirewall().equals(m.firewall));
  assert.deepEqual([m.configSync('FirewallHost'), m.configSync('FirewallPort')], ['proxy.example', '1080']);
  m.configSync('FirewallUser=u');
  assert.equal(m.firewall.user, 'u');
  m.setFirewall(new Firewall({ autoDetect: true }));
  assert.equal(m.configSync('FirewallAutoDetect'), 'True');
  const util = require('node:util');
  assert.ok(!util.inspect(new Firewall({ password: 'secret' })).includes('secret'), 'the password is not shown');
  throwsCode(() => new Firewall({ type: 1 }), INVALID_ARGUMENT, ['type']);
  throwsCode(() => new Firewall('socks'), INVALID_ARGUMENT);
  await m.reset();
  assert.ok(m.firewall.equals(new Firewall()));
  assert.deepEqual([m.sslEnabled, m.sslProvider], [false, 0]);
});

// ---- SSLServerAuthentication answered by the listeners (push mode) ----

// [name, SSLAcceptAnyServerCert, listener, connects]
const ANSWERS = [
  ['any-refused: the listener refusal is the answer', true, 'refuse', false],
  ['any-accepted', true, 'accept', true],
  ['any-no-listener: the engine\'s own verdict is the answer', true, null, true],
  ['strict-accept: a listener cannot take what was not allowed', false, 'accept', false],
  ['strict-no-listener', false, null, false],
];

for (const [name, acceptAny, listener, connects] of ANSWERS) {
  test(`SSLServerAuthentication answered at once: ${name}`, opts, async (t) => {
    const { m } = newClient(t);
    m.sslEnabled = true;
    if (acceptAny) m.configSync('SSLAcceptAnyServerCert=True');
    const proposed = [];
    if (listener !== null) {
      m.on('SSLServerAuthentication', (e) => {
        proposed.push(e.accept);
        e.accept = listener === 'accept';
      });
    }
    const started = Date.now();
    if (connects) {
      await m.connectTo('localhost', port('FERROMQ_TLS_UNTRUSTED_PORT'));
      assert.equal(m.connected, true);
      await m.disconnect();
    } else {
      await refused(m, 'localhost', port('FERROMQ_TLS_UNTRUSTED_PORT'), TLS_CERT_VERIFY);
    }
    // Answered at once, not at the end of the 10 s timeout.
    assert.ok(Date.now() - started < 5000, `${Date.now() - started} ms`);
    if (listener !== null) assert.deepEqual(proposed, [acceptAny], 'the engine\'s verdict before the listener');
  });
}

test('SSLServerAuthentication: only true accepts; every listener sees the same event', opts, async (t) => {
  const { m } = newClient(t);
  m.sslEnabled = true;
  m.configSync('SSLAcceptAnyServerCert=True');
  const saw = [];
  m.on('SSLServerAuthentication', (e) => { saw.push(e.accept); e.accept = 1; });
  m.on('SSLServerAuthentication', (e) => { saw.push(e.accept); });
  await refused(m, 'localhost', port('FERROMQ_TLS_UNTRUSTED_PORT'), TLS_CERT_VERIFY, ['refused by the application']);
  assert.deepEqual(saw, [true, 1]);
});

test('SSLServerAuthentication: a listener that throws leaves accept as it was, and is uncaught', opts, async () => {
  const r = await h.runChild(`
    const { mqtt } = require('ferromq');
    let uncaught = [];
    process.on('uncaughtException', (e) => { uncaught.push(e.message); });
    (async () => {
      for (const acceptAny of [true, false]) {
        const m = new mqtt();
        m.timeout = 10;
        m.sslEnabled = true;
        if (acceptAny) m.configSync('SSLAcceptAnyServerCert=True');
        m.on('SSLServerAuthentication', () => { throw new Error('listener failed ' + acceptAny); });
        const started = Date.now();
        let outcome;
        try {
          await m.connectTo('localhost', Number(process.env.FERROMQ_TLS_UNTRUSTED_PORT));
          outcome = 'connected ' + m.connected;
          await m.disconnect();
        } catch (e) {
          outcome = 'refused ' + e.code;
        }
        console.log(acceptAny, outcome, Date.now() - started < 5000 ? 'at once' : 'late');
      }
      await new Promise((r) => setImmediate(r));
      console.log('uncaught ' + uncaught.join(','));
    })().catch((e) => { console.error(e); process.exit(3); });`, 30000);
  assert.equal(r.timedOut, false, r.stdout + r.stderr);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^true connected true at once$/m);
  assert.match(r.stdout, new RegExp(`^false refused ${TLS_CERT_VERIFY} at once$`, 'm'));
  assert.match(r.stdout, /^uncaught listener failed true,listener failed false$/m);
});

test('SSLServerAuthentication is still answered after reset(); reset() clears the TLS properties', opts, async (t) => {
  const { m } = newClient(t);
  m.sslEnabled = true;
  m.sslAcceptServerCert = Certificate.fromFile(env('FERROMQ_SERVER_CERT'));
  m.firewall = new Firewall({ firewallType: 3, host: '127.0.0.1' });
  await m.reset();
  assert.equal(m.sslEnabled, false);
  assert.ok(m.sslAcceptServerCert.isEmpty());
  assert.ok(m.firewall.equals(new Firewall()));
  m.timeout = 10;
  m.sslEnabled = true;
  m.configSync('SSLAcceptAnyServerCert=True');
  const proposed = [];
  m.on('SSLServerAuthentication', (e) => { proposed.push(e.accept); e.accept = false; });
  const started = Date.now();
  await refused(m, 'localhost', port('FERROMQ_TLS_UNTRUSTED_PORT'), TLS_CERT_VERIFY, ['refused by the application']);
  assert.ok(Date.now() - started < 5000, `${Date.now() - started} ms`);
  assert.deepEqual(proposed, [true]);
});
