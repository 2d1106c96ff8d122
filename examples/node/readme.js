const { mqtt } = require('ferromq');

async function main() {
  const [host, port] = (process.env.MQTT_BROKER || '127.0.0.1:1883').split(':');
  const m = new mqtt();
  const got = new Promise((resolve) => m.once('MessageIn', resolve));
  m.on('MessageIn', (e) => console.log(`${e.topic}: ${e.message}`));
  await m.connectTo(host, Number(port));
  await m.subscribe('sensors/#', 1);
  await m.publishMessage('sensors/t1', 1, '21.5');
  await got; // listeners run on this thread, in batches
  await m.disconnect();
}

main().catch((e) => { console.error(`[${e.code}] ${e.message}`); process.exit(1); });
