'use strict';
// Shared by the test files: broker coordinates, unique topics, and waiting for events.
const crypto = require('node:crypto');
const { mqtt } = require('ferromq');

const HOST = process.env.FERROMQ_TEST_HOST || '127.0.0.1';
const PORT = Number(process.env.FERROMQ_TEST_PORT || 0);
const AUTH_PORT = Number(process.env.FERROMQ_TEST_AUTH_PORT || 0);
const USER = process.env.FERROMQ_TEST_USER || '';
const PASSWORD = process.env.FERROMQ_TEST_PASSWORD || '';
const CLOSED_PORT = Number(process.env.FERROMQ_TEST_CLOSED_PORT || 0);

/** Set when the FERROMQ_TEST_* variables are missing: broker tests skip themselves. */
const NO_BROKER = PORT ? false : 'no broker: run under tests/harness/with-brokers';

/** A topic no other test (or parallel run) uses. */
function uniqueTopic(name) {
  return `ferromq/test/node/${name}/${process.pid}-${crypto.randomBytes(6).toString('hex')}`;
}

/** The next `event` of `client` for which `pred` holds, or a rejection after `ms`. */
function nextEvent(client, event, pred = () => true, ms = 10000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off(event, on);
      reject(new Error(`timed out after ${ms} ms waiting for ${event}`));
    }, ms);
    function on(e) {
      if (!pred(e)) return;
      clearTimeout(timer);
      client.off(event, on);
      resolve(e);
    }
    client.on(event, on);
  });
}

/** Collects every event of the given names, in order, as [name, event] pairs. */
function record(client, names) {
  const seen = [];
  for (const n of names) client.on(n, (e) => seen.push([n, e]));
  return seen;
}

/** Resolves once `cond()` holds (checked every 10 ms), rejects after `ms`. */
async function until(cond, what, ms = 10000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A client connected to the plain listener (version 0 = 3.1.1, 1 = 5.0). */
async function connected(version = 0) {
  const m = new mqtt();
  m.version = version;
  m.timeout = 20;
  await m.connectTo(HOST, PORT);
  return m;
}

/** Disconnect if still connected; never throws (used in cleanups). */
async function closeQuietly(m) {
  try {
    if (m.isConnected()) await m.disconnect();
  } catch {
    // the test already failed or the server went away; nothing to clean
  }
}

module.exports = {
  mqtt,
  HOST,
  PORT,
  AUTH_PORT,
  USER,
  PASSWORD,
  CLOSED_PORT,
  NO_BROKER,
  uniqueTopic,
  nextEvent,
  record,
  until,
  connected,
  closeQuietly,
};
