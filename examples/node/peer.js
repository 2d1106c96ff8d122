'use strict';
// The Node peer of the cross-language exchange (tests/cross/README.md):
//   examples/node/run peer NAME RUN_ID EXPECTED      with MQTT_BROKER=host:port
const { mqtt } = require('ferromq');

const [name, runId, expectedList] = process.argv.slice(2);
if (!name || !runId || !expectedList) {
  console.error('usage: peer NAME RUN_ID EXPECTED (a comma list of peer names)');
  process.exit(2);
}
const expected = expectedList.split(',').map((s) => s.trim()).filter(Boolean);
const [host, portText] = (process.env.MQTT_BROKER || '127.0.0.1:1883').split(':');
const port = Number(portText || 1883);

function say(line) {
  // One write per line, so lines of concurrent peers never interleave mid-line.
  process.stdout.write(`[${name}] ${line}\n`);
}

async function main() {
  const heard = new Set();
  const client = new mqtt();
  client.clientId = `ferromq-peer-${name}-${runId}`;
  client.cleanSession = true;
  client.version = 0;
  client.timeout = 20;

  let finish;
  const allHeard = new Promise((resolve) => { finish = resolve; });
  client.on('MessageIn', (e) => {
    const from = e.topic.slice(e.topic.lastIndexOf('/') + 1);
    say(`got "${e.message}" from ${from}`);
    heard.add(from);
    if (expected.every((n) => heard.has(n))) finish(true);
  });

  const giveUp = setTimeout(() => finish(false), 20000);
  await client.connectTo(host, port);
  await client.subscribe(`ferromq/xlang/${runId}/+`, 1);
  await client.config('Retain=true');
  await client.publishMessage(`ferromq/xlang/${runId}/${name}`, 1, `hello from ${name}`);

  const ok = await allHeard;
  clearTimeout(giveUp);
  if (ok) {
    say(`heard all ${expected.length} peers`);
    await client.disconnect();
    process.exitCode = 0;
  } else {
    say(`missing: ${expected.filter((n) => !heard.has(n)).join(',')}`);
    await client.disconnect().catch(() => {});
    process.exitCode = 1;
  }
}

main().catch((err) => {
  say(`error ${err.code}: ${err.message}`);
  process.exitCode = 1;
});
