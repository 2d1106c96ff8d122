'use strict';
// Connects to MQTT_BROKER (host:port, default 127.0.0.1:1883), subscribes to a topic of
// its own, publishes "hello from node" at QoS 1, prints it when it comes back, and
// disconnects. Exits 0 only if the message was received.
const crypto = require('node:crypto');
const { mqtt } = require('ferromq');

async function main() {
  const [host, portText] = (process.env.MQTT_BROKER || '127.0.0.1:1883').split(':');
  const port = Number(portText || 1883);
  const topic = `ferromq/hello/node/${crypto.randomBytes(6).toString('hex')}`;

  const client = new mqtt();
  client.timeout = 10;
  const received = new Promise((resolve) => {
    client.on('MessageIn', (e) => {
      console.log(`received "${e.message}" on ${e.topic} (QoS ${e.QOS})`);
      resolve(e.message);
    });
  });

  await client.connectTo(host, port);
  console.log(`connected to ${host}:${port} from ${client.localHost}:${client.localPort} as ${client.clientId}`);
  await client.subscribe(topic, 1);
  await client.publishMessage(topic, 1, 'hello from node');

  let timer;
  const timeout = new Promise((resolve) => { timer = setTimeout(resolve, 10000, null); });
  const message = await Promise.race([received, timeout]);
  clearTimeout(timer); // a pending timer would keep the process alive for the full 10 s
  await client.disconnect();
  if (message !== 'hello from node') {
    console.error('the message did not come back within 10 s');
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(`error ${err.code}: ${err.message}`);
  process.exitCode = 1;
});
