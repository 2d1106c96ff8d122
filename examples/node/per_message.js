// MQTT 5.0 per message: options given with each publish, its acknowledgement awaited,
// the properties of a received message, and request/response.
//
//     MQTT_BROKER=127.0.0.1:1883 examples/node/run per_message
const { mqtt } = require('ferromq');

async function main() {
  const [host, port] = (process.env.MQTT_BROKER || '127.0.0.1:1883').split(':');
  const service = `examples/${process.pid}/time`;

  // A responder: answers each request on its ResponseTopic with its CorrelationData.
  const responder = new mqtt();
  responder.version = 1; // MQTT 5.0
  responder.on('MessageIn', (request) => {
    console.log(`request ${request.message}, user properties`, request.properties.userProperties);
    responder.respond(request, '12:00').catch((e) => console.error(`[${e.code}] ${e.message}`));
  });
  await responder.connectTo(host, Number(port));
  await responder.subscribe(service, 1);

  const client = new mqtt();
  client.version = 1;
  await client.connectTo(host, Number(port));

  // One publish with its own options; resolves at its PUBACK.
  const options = { qos: 1, properties: { contentType: 'text/plain', userProperties: [['unit', 'C']] } };
  const acked = await client.publish('examples/temperature', '21.5', options);
  console.log(`PUBACK: packet ${acked.packetId} reason ${acked.reasonCode}`);

  // A request: the response topic, correlation data and the subscription are ours.
  const answer = await client.request(service, 'now?', { ...options, timeout: 10000 });
  console.log(`response ${answer.message}`);
  await client.disconnect();
  await responder.disconnect();
}

main().catch((e) => { console.error(`[${e.code}] ${e.message}`); process.exit(1); });
