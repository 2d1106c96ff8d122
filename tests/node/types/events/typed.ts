// Compiled (never run) by ecosystem.test.js: node:events' on() and once() on a client give
// the typed event of the name.
import * as events from 'node:events';
import { on, once } from 'node:events';
import { mqtt, MQTTError, ErrorCodes, MessageEvent } from 'ferromq';

async function subscriber(m: mqtt, signal: AbortSignal): Promise<string[]> {
  const seen: string[] = [];
  const [c] = await events.once(m, 'Connected');
  const status: number = c.statusCode;
  void status;
  for await (const [msg] of events.on(m, 'MessageIn', { signal })) {
    const topic: string = msg.topic;
    const bytes: Uint8Array = msg.messageB;
    const qos: number = msg.QOS;
    const asEvent: MessageEvent = msg;
    seen.push(`${topic} ${bytes.length} ${qos} ${asEvent.message}`);
  }
  for await (const [s] of on(m, 'Subscribed')) {
    const granted: number = s.QOS;
    void granted;
    break;
  }
  const [d] = await once(m, 'Disconnected');
  seen.push(d.description);
  return seen;
}

function listeners(m: mqtt): void {
  m.on('MessageIn', (msg) => void msg.topic).once('Connected', (c) => void c.statusCode);
  m.prependListener('Error', (e) => void e.errorCode);
  m.on('error', (err: Error) => void err.message);
}

function failure(err: unknown): number {
  if (err instanceof MQTTError && err.code === ErrorCodes.INVALID_QOS) return err.code;
  return err instanceof Error ? -1 : -2;
}

const ee: events.EventEmitter = new mqtt();
void ee;
void subscriber;
void listeners;
void failure;
