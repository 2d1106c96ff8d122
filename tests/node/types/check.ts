// Compiled (never run) by types.test.js: the shipped index.d.ts must describe the API.
import {
  mqtt,
  MQTTVersions,
  MQTTError,
  MessageEvent,
  MessageProperties,
  PublishOptions,
  Delivered,
  MQTTMessage,
  MQTTMessageList,
  configSettings,
  EVENT_NAMES,
  Certificate,
  Firewall,
  SSLServerAuthenticationEvent,
} from 'ferromq';

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
  m.setLocalHost(m.getLocalHost());
  m.localHost = '127.0.0.1';
  m.setLocalPort(m.getLocalPort());
  m.localPort = 0;
  const ready: boolean = m.isReadyToSend() && m.readyToSend;
  void ready;
  const again: boolean = m.isReconnecting() || m.reconnecting;
  void again;
  const incoming: MQTTMessageList = m.getIncomingMessages();
  const outgoing: readonly MQTTMessage[] = m.outgoingMessages;
  for (const msg of [...incoming, ...outgoing, ...m.incomingMessages, ...m.getOutgoingMessages()]) {
    const fields: [number, string, number, string, Uint8Array, boolean, boolean, number] = [
      msg.packetId,
      msg.topic,
      msg.QoS,
      msg.message,
      msg.messageB,
      msg.retained,
      msg.duplicate,
      msg.state,
    ];
    const v5: [string, string, number, number, string, string, number] = [
      msg.contentType,
      msg.correlationData,
      msg.messageExpInterval,
      msg.payloadFormatIndicator,
      msg.responseTopic,
      msg.subscriptionIdentifiers,
      msg.topicAlias,
    ];
    void fields;
    void v5;
    // @ts-expect-error: messages are read-only snapshots
    msg.topic = 'x';
  }
  // @ts-expect-error: ReadyToSend is read-only
  m.readyToSend = true;
  // @ts-expect-error: Reconnecting is read-only
  m.reconnecting = false;
  // @ts-expect-error: no setter for Reconnecting either
  m.setReconnecting(false);
  // @ts-expect-error: the collections are read-only
  m.incomingMessages = [];
  // @ts-expect-error: no setter for a read-only member
  m.setReadyToSend(true);
  // @ts-expect-error: a collection cannot be changed in place
  m.getOutgoingMessages().push(m.getOutgoingMessages()[0]);

  // TLS, certificates and the proxy.
  m.setSSLEnabled(!m.isSSLEnabled());
  m.sslEnabled = true;
  m.setSSLProvider(m.getSSLProvider());
  m.sslProvider = 1;
  const none = new Certificate();
  const pinned: Certificate = Certificate.fromEncoded(new Uint8Array([0x30]));
  const ours = Certificate.fromStore(3, new Uint8Array(8), 'pw');
  const fromFile = Certificate.fromStore(2, 'client.p12', 'pw', '*');
  const apart = Certificate.fromStoreEncoded(7, 'KEY', '', Certificate.fromFile('ca.crt').encoded);
  void [fromFile, apart];
  m.setSSLCert(ours);
  m.sslCert = none;
  m.setSSLAcceptServerCert(m.getSSLAcceptServerCert());
  m.sslAcceptServerCert = pinned;
  const server: Certificate = m.getSSLServerCert();
  const certFields: [string, Uint8Array, string, Uint8Array, boolean, number, number, boolean, boolean] = [
    server.subject,
    server.encodedB,
    m.sslServerCert.fingerprintSHA256,
    server.storeB,
    server.privateKeyAvailable,
    server.publicKeyLength,
    server.usageFlags,
    server.isEmpty(),
    server.equals(pinned),
  ];
  void certFields;
  // @ts-expect-error: SSLServerCert is read-only
  m.sslServerCert = none;
  // @ts-expect-error: no setter for a read-only member
  m.setSSLServerCert(none);
  // @ts-expect-error: a Certificate never changes
  server.subject = 'x';
  // @ts-expect-error: sslCert takes a Certificate
  m.sslCert = 'client.p12';
  const fw: Firewall = m.getFirewall();
  fw.firewallType = 3;
  fw.host = 'proxy.example';
  fw.port = 1080;
  fw.user = fw.password = '';
  fw.autoDetect = false;
  m.firewall = fw;
  m.setFirewall(new Firewall({ firewallType: 1, host: 'proxy', port: 3128 }));
  const same2: boolean = m.firewall.equals(new Firewall());
  void same2;
  // @ts-expect-error: not a field of Firewall
  void new Firewall({ type: 1 });
  m.on('SSLServerAuthentication', (e: SSLServerAuthenticationEvent) => {
    const der: Uint8Array = e.certEncodedB;
    void der;
    e.accept = e.status === 'OK';
    // @ts-expect-error: the event's certificate fields are read-only
    e.certSubject = 'x';
  }).on('SSLStatus', (e) => void e.message);

  const level: string = await m.config('LogLevel');
  const same: string = m.configSync('LogLevel');
  void level;
  void same;
  for (const s of configSettings()) {
    const ro: boolean = s.readOnly && s.indexed;
    const def: string = s.default;
    void ro;
    void def;
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
    .on('MessageAck', (e) => {
      const list = e.direction === 0 ? m.getOutgoingMessages() : m.getIncomingMessages();
      const at: MQTTMessage | undefined = list[e.index];
      void at;
    })
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
    // Per-message options, acknowledged publishes, request/response.
    const acked: Delivered = await m.publish('a/b', 'text', {
      qos: 1,
      retain: false,
      properties: {
        contentType: 'text/plain',
        correlationData: 'id-1',
        messageExpiryInterval: 60,
        payloadFormatIndicator: 1,
        responseTopic: 'replies',
        userProperties: [['k', 'v'], ['k', 'w']],
      },
    });
    const n: number = acked.packetId + acked.reasonCode;
    void n;
    await m.publish('a/b', new Uint8Array([1]), { properties: { userProperties: { k: ['v', 'w'], j: 'x' }, correlationData: new Uint8Array([0]) } });
    await m.publish('a/b', 'no options');
    const options: PublishOptions = { qos: 2 };
    // @ts-expect-error: only a server sets subscription identifiers
    await m.publish('a/b', 'x', { properties: { subscriptionIdentifiers: [1] } });
    // @ts-expect-error: unknown option
    await m.publish('a/b', 'x', { qos: 1, dup: true });
    const response: MessageEvent = await m.request('service', 'q', { ...options, timeout: 5000 });
    const props: MessageProperties = response.properties;
    const pairs: Array<[string, string]> | undefined = props.userProperties;
    const ids: number[] | undefined = props.subscriptionIdentifiers;
    const corr: Uint8Array | undefined = props.correlationData;
    void pairs;
    void ids;
    void corr;
    const answered: Delivered = await m.respond(response, 're', { qos: 1 });
    void answered;
    await m.doEvents();
    // Both return the client, like net.Socket's.
    const same: mqtt = m.unref().ref();
    void same;
    // @ts-expect-error: unref() takes no argument
    m.unref(true);
    await m.interrupt();
    await m.reset();
    const state: string = await m.saveSession();
    await m.restoreSession(state);
    // @ts-expect-error: the saved state is text
    await m.restoreSession(42);
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
