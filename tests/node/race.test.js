'use strict';
// The scenario connect_setter_race (tests/scenarios.tsv). JavaScript runs on one thread, so
// no setter can run while Connect reads the properties; what a setter can do is come after
// connect() started and before its promise settled. It is refused then with the documented
// code, as it is once connected, and the CONNECT carries the value set before connect().
const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');
const { mqtt } = require('ferromq');

const opts = { skip: h.NO_BROKER, timeout: 120000 };

const SENT = /^sending CONNECT .*client id "([^"]*)"/;

/** Each connect-time setter with a value and the code it is refused with while busy. */
function setters(free) {
  return [
    ['ClientId', 'late-id', 211],
    ['CleanSession', false, 211],
    ['KeepAliveInterval', 30, 211],
    ['User', 'someone', 211],
    ['Password', 'secret', 211],
    ['Version', 1, 211],
    ['WillTopic', 'wills/late', 211],
    ['WillMessage', 'gone', 211],
    ['RemoteHost', 'localhost', 101],
    ['RemotePort', h.PORT + 1, 100],
    ['LocalHost', '127.0.0.1', 107],
    ['LocalPort', free, 106],
  ];
}

function refusedAll(m, cases, when) {
  for (const [Name, v, code] of cases) {
    assert.throws(
      () => m['set' + Name](v),
      (err) => {
        assert.equal(err.code, code, `${Name} ${when}: ${err.message}`);
        return true;
      },
      `${Name} ${when}`,
    );
  }
  // config() answers a write with a promise; the refusal is decided by the call itself.
  let cfg;
  try {
    cfg = Promise.resolve(m.config('MaxLineLength=1024'));
  } catch (err) {
    cfg = Promise.reject(err);
  }
  return assert.rejects(
    cfg,
    (err) => err.code === 112 && /MaxLineLength/.test(err.message),
    `MaxLineLength ${when}`,
  );
}

test('scenario_connect_setter_race: a setter while connect() is pending or settled is refused; the CONNECT carries what was set before', opts, async (t) => {
  const free = await h.freePort();
  for (let i = 0; i < 20; i++) {
    const m = new mqtt();
    t.after(() => h.closeQuietly(m));
    m.timeout = 20;
    m.remoteHost = h.HOST;
    m.remotePort = h.PORT;
    const id = h.uniqueClientId(`race${i}`);
    m.clientId = id;
    const sent = [];
    m.on('Log', (e) => {
      const found = SENT.exec(e.message);
      if (found) sent.push(found[1]);
    });
    const connecting = m.connect();
    const pending = refusedAll(m, setters(free), 'while connect() is pending');
    await connecting;
    await pending;
    await refusedAll(m, setters(free), 'once connected');
    await h.until(() => sent.length > 0, 'the Log event announcing the CONNECT');
    assert.equal(sent[0], id, 'the CONNECT carries the id set before connect()');
    assert.equal(m.clientId, id);
    await m.disconnect();
  }
});
