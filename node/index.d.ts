// Type declarations for ferromq's Node.js face. Self-contained: no @types/node needed.

/** A failure reported by ferromq: a plain `Error` whose `code` is the documented number. */
export interface MQTTError extends Error {
  /** The documented error number (500–505 protocol, 1xx/2xx/11xx socket, 10xxx OS, ...). */
  code: number;
}

/** Values of `version`: 0 = MQTT 3.1.1, 1 = MQTT 5.0. */
export declare const MQTTVersions: {
  readonly mvV3: 0;
  readonly mvV5: 1;
};
export type MQTTVersion = 0 | 1;

export interface ConnectedEvent {
  /** 0 when the server accepted the connection, otherwise the error number. */
  readonly statusCode: number;
  readonly description: string;
}
export interface ConnectionStatusEvent {
  readonly connectionEvent: string;
  readonly statusCode: number;
  readonly description: string;
}
export interface DisconnectedEvent {
  /** 0 for an orderly disconnect, otherwise the error number. */
  readonly statusCode: number;
  readonly description: string;
}
export interface ErrorEvent {
  readonly errorCode: number;
  readonly description: string;
}
export interface LogEvent {
  /** 1 info, 2 verbose, 3 debug. */
  readonly logLevel: number;
  readonly message: string;
  /** "Info", "Packet", "Reconnect" or "Session". */
  readonly logType: string;
}
export interface MessageAckEvent {
  readonly packetId: number;
  /** 0: a message we published; 1: a message the server sent us. */
  readonly direction: number;
  readonly index: number;
  readonly responseCode: number;
}
/** MessageIn and MessageOut. */
export interface MessageEvent {
  /** -1 for QoS 0. */
  readonly packetId: number;
  readonly topic: string;
  readonly QOS: number;
  /** The payload as text (invalid UTF-8 replaced by U+FFFD). */
  readonly message: string;
  /** The payload bytes (a Buffer). */
  readonly messageB: Uint8Array;
  readonly retained: boolean;
  readonly duplicate: boolean;
}
export interface ReadyToSendEvent {}
export interface SSLServerAuthenticationEvent {
  readonly certEncoded: string;
  readonly certEncodedB: Uint8Array;
  readonly certSubject: string;
  readonly certIssuer: string;
  readonly status: string;
  /** Informational in Node: events arrive after the engine has decided. */
  accept: boolean;
}
export interface SSLStatusEvent {
  readonly message: string;
}
export interface SubscribedEvent {
  readonly topicFilter: string;
  /** The granted QoS, or -1 when the server refused the filter. */
  readonly QOS: number;
  readonly responseCode: number;
}
export interface UnsubscribedEvent {
  readonly topicFilters: string;
  readonly responseCode: number;
}

/** Every event and the listener it takes. */
export interface MQTTEvents {
  Connected: (e: ConnectedEvent) => void;
  ConnectionStatus: (e: ConnectionStatusEvent) => void;
  Disconnected: (e: DisconnectedEvent) => void;
  Error: (e: ErrorEvent) => void;
  Log: (e: LogEvent) => void;
  MessageAck: (e: MessageAckEvent) => void;
  MessageIn: (e: MessageEvent) => void;
  MessageOut: (e: MessageEvent) => void;
  ReadyToSend: (e: ReadyToSendEvent) => void;
  SSLServerAuthentication: (e: SSLServerAuthenticationEvent) => void;
  SSLStatus: (e: SSLStatusEvent) => void;
  Subscribed: (e: SubscribedEvent) => void;
  Unsubscribed: (e: UnsubscribedEvent) => void;
}
export type MQTTEventName = keyof MQTTEvents;

export declare const EVENT_NAMES: readonly MQTTEventName[];

export interface ConfigSetting {
  name: string;
  group: string;
  kind: 'bool' | 'int' | 'string';
  readOnly: boolean;
  versions: 'both' | '3.1.1' | '5.0';
}
/** Every setting `config()` answers. */
export declare function configSettings(): ConfigSetting[];

/**
 * An MQTT 3.1.1 / 5.0 client. Methods return Promises and never block the JS thread;
 * events are fired on the JS thread (the class is a Node EventEmitter). Invalid values are
 * refused by throwing (setters) or rejecting (methods) with an {@link MQTTError}.
 */
export declare class mqtt {
  constructor();

  // ---- properties (accessors and plain properties are the same values) ----
  getClientId(): string;
  setClientId(clientId: string): void;
  clientId: string;

  isCleanSession(): boolean;
  setCleanSession(cleanSession: boolean): void;
  cleanSession: boolean;

  getKeepAliveInterval(): number;
  setKeepAliveInterval(keepAliveInterval: number): void;
  keepAliveInterval: number;

  getUser(): string;
  setUser(user: string): void;
  user: string;

  getPassword(): string;
  setPassword(password: string): void;
  password: string;

  getVersion(): MQTTVersion;
  setVersion(version: MQTTVersion): void;
  version: MQTTVersion;

  getRemoteHost(): string;
  setRemoteHost(remoteHost: string): void;
  remoteHost: string;

  getRemotePort(): number;
  setRemotePort(remotePort: number): void;
  remotePort: number;

  /** Seconds a method may wait before rejecting with 201; 0 waits without limit. */
  getTimeout(): number;
  setTimeout(timeout: number): void;
  timeout: number;

  isConnected(): boolean;
  /** true connects, false disconnects; failures also arrive as events. */
  setConnected(connected: boolean): Promise<void>;
  /** Assigning starts connect()/disconnect() without waiting for it. */
  connected: boolean;

  getWillTopic(): string;
  setWillTopic(willTopic: string): void;
  willTopic: string;

  getWillMessage(): string;
  setWillMessage(willMessage: string): void;
  willMessage: string;

  // ---- methods ----
  /** "Name" reads a setting; "Name=Value" writes it and resolves to "". */
  config(configurationString: string): Promise<string>;
  /** config() answered synchronously; throws an MQTTError. */
  configSync(configurationString: string): string;
  /** Resolves once the server accepted the connection (Connected has fired). */
  connect(): Promise<void>;
  connectTo(host: string, port: number): Promise<void>;
  /** Resolves once the connection is closed (Disconnected has fired). */
  disconnect(): Promise<void>;
  /** Fires pending events, then yields to the event loop once. */
  doEvents(): Promise<void>;
  /** Resolves when the PUBLISH is queued for sending; acknowledgements arrive as events. */
  publishData(topic: string, QOS: number, data: Uint8Array | ArrayBuffer | ArrayBufferView): Promise<void>;
  publishMessage(topic: string, QOS: number, message: string): Promise<void>;
  /** One or more filters separated by the TopicDelimiter setting (","); resolves at SUBACK. */
  subscribe(topicFilter: string, QOS: number): Promise<void>;
  /** Resolves at UNSUBACK. */
  unsubscribe(topicFilter: string): Promise<void>;

  // ---- events ----
  on<K extends MQTTEventName>(event: K, listener: MQTTEvents[K]): this;
  addListener<K extends MQTTEventName>(event: K, listener: MQTTEvents[K]): this;
  prependListener<K extends MQTTEventName>(event: K, listener: MQTTEvents[K]): this;
  once<K extends MQTTEventName>(event: K, listener: MQTTEvents[K]): this;
  prependOnceListener<K extends MQTTEventName>(event: K, listener: MQTTEvents[K]): this;
  off<K extends MQTTEventName>(event: K, listener: MQTTEvents[K]): this;
  removeListener<K extends MQTTEventName>(event: K, listener: MQTTEvents[K]): this;
  removeAllListeners(event?: MQTTEventName): this;
  listenerCount(event: MQTTEventName): number;
  listeners<K extends MQTTEventName>(event: K): Array<MQTTEvents[K]>;
  emit<K extends MQTTEventName>(event: K, e: Parameters<MQTTEvents[K]>[0]): boolean;
}
