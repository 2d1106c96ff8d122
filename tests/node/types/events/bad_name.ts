// Must not compile: 'message' is MQTT.js's event, not one of the client's.
import * as events from 'node:events';
import { mqtt } from 'ferromq';

async function subscriber(m: mqtt): Promise<void> {
  for await (const [msg] of events.on(m, 'message')) void msg;
}
void subscriber;
