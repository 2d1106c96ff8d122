// Must not compile: a MessageEvent has `topic`, not `topc`.
import * as events from 'node:events';
import { mqtt } from 'ferromq';

async function subscriber(m: mqtt): Promise<void> {
  for await (const [msg] of events.on(m, 'MessageIn')) void msg.topc;
}
void subscriber;
