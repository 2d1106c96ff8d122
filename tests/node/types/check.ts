// Compiled (never run) by types.test.js: the shipped index.d.ts must describe the API.
import { mqtt, MQTTVersions, MQTTError, MessageEvent, configSettings, EVENT_NAMES } from 'ferromq';

async function main(): Promise<void> {
  const m = new mqtt();
  m.setClientId('typed');
  const id: string = m.getClientId();
  m.clientId = id;
  m.setCleanSession(m.isCleanSession());
  m.cleanSession = true;
  m.keepAliveInterval = m.getKeepAliveInterval();
  m.user = m.getUser();
  m.password = m.getPassword();
  m.setVersion(MQTTVersions.mvV5);
  m.version = 0;
  m.remoteHost = m.getRemoteHost();
  m.remotePort = m.getRemotePort();
  m.timeout = m.getTimeout();
  m.willTopic = m.getWillTopic();
  m.willMessage = m.getWillMessage();
  const up: boolean = m.isConnected() && m.connected;
  void up;

  const level: string = await m.config('LogLevel');
  const same: string = m.configSync('LogLevel');
  void level;
  void same;
  for (const s of configSettings()) {
    const ro: boolean = s.readOnly;
    void ro;
  }
  const names: readonly string[] = EVENT_NAMES;
  void names;

  m.on('MessageIn', (e: MessageEvent) => {
    const bytes: Uint8Array = e.messageB;
    const text: string = e.message;
    const qos: number = e.QOS;
    void bytes;
    void text;
    void qos;
  })
    .on('Connected', (e) => {
      const code: number = e.statusCode;
      void code;
    })
    .once('Subscribed', (e) => void e.topicFilter)
    .on('MessageAck', (e) => void (e.packetId + e.direction + e.index + e.responseCode))
    .on('Log', (e) => void (e.logLevel + e.message + e.logType))
    .on('ReadyToSend', () => undefined);

  // @ts-expect-error: not an event of the class
  m.on('NoSuchEvent', () => undefined);
  // @ts-expect-error: Connected events have no topic
  m.on('Connected', (e) => e.topic);

  try {
    await m.connectTo('127.0.0.1', 1883);
    await m.subscribe('a/b,c/#', 1);
    await m.publishMessage('a/b', 1, 'text');
    await m.publishData('a/b', 0, new Uint8Array([1, 2, 3]));
    await m.unsubscribe('a/b');
    await m.doEvents();
    await m.setConnected(false);
    await m.disconnect();
  } catch (err) {
    const e = err as MQTTError;
    const code: number = e.code;
    const message: string = e.message;
    void code;
    void message;
  }
}

void main;
