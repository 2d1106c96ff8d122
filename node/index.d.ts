// Type declarations for ferromq's Node.js face. The client is a Node EventEmitter, so they
// read Node's own types (@types/node). `events.on(client, name)` and `events.once(client,
// name)` are typed per event from @types/node 25 on, where node:events declares them as
// functions that a package may overload (older versions declare them as static methods,
// which cannot be; there, compile with skipLibCheck and they yield `any[]`).
/// <reference types="node" />
import { EventEmitter } from 'node:events';

/**
 * What every call of the face throws or rejects with (`instanceof MQTTError`, `instanceof
 * Error`): an argument refused before anything is sent, or a failure of the engine. The
 * one exception: adding a listener for a name that is no event throws a TypeError.
 */
export declare class MQTTError extends Error {
  constructor(message: string, code: number);
  /** The documented error number (500–505 protocol, 1xx/2xx/11xx socket, 10xxx OS, ...): see {@link ErrorCodes}. */
  code: number;
}

/**
 * The documented error numbers by name (`ErrorCodes.INVALID_QOS === 505`), from the core's
 * table at run time: compare `err.code` with them rather than with literal numbers.
 */
export declare const ErrorCodes: Readonly<Record<string, number>>;

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
  /**
   * The MQTT 5.0 properties of this very message: what the server sent (MessageIn), what
   * we sent (MessageOut). `{}` under 3.1.1 and for a message without any.
   */
  readonly properties: MessageProperties;
}

/**
 * A message's MQTT 5.0 properties (a plain object): a key is there only when the message
 * carries the property; a list only when it holds something.
 */
export interface MessageProperties {
  /** 0 unspecified bytes, 1 UTF-8 text. */
  readonly payloadFormatIndicator?: number;
  /** Seconds (the server counts it down while it keeps the message). */
  readonly messageExpiryInterval?: number;
  readonly contentType?: string;
  readonly responseTopic?: string;
  /** Bytes (a Buffer). */
  readonly correlationData?: Uint8Array;
  /** The identifiers of the subscriptions the message matched (received only). */
  readonly subscriptionIdentifiers?: number[];
  readonly topicAlias?: number;
  /** [name, value] pairs in the order sent; a name may repeat. */
  readonly userProperties?: Array<[string, string]>;
}

/**
 * The properties a publish may be given: those of {@link MessageProperties} but
 * subscriptionIdentifiers (only a server sets it), with two more forms accepted.
 */
export interface PublishProperties
  extends Omit<MessageProperties, 'subscriptionIdentifiers' | 'correlationData' | 'userProperties'> {
  /** Bytes, or text sent as its UTF-8 bytes. */
  readonly correlationData?: Uint8Array | string;
  /** [name, value] pairs in order, or MQTT.js's form: `{ name: value | value[] }`. */
  readonly userProperties?: ReadonlyArray<readonly [string, string]> | Readonly<Record<string, string | readonly string[]>>;
}

/** The options of one publish; each one left out takes its default. */
export interface PublishOptions {
  /** 0 (the default), 1 or 2. */
  qos?: number;
  /** Default false. */
  retain?: boolean;
  /** MQTT 5.0 only (10022 under 3.1.1). */
  properties?: PublishProperties;
}

export interface RequestOptions extends PublishOptions {
  /** Milliseconds to wait for the response (default 10000); then the request rejects with 201. */
  timeout?: number;
}

/** A publish complete for its QoS. */
export interface Delivered {
  /** -1 for QoS 0. */
  readonly packetId: number;
  /** The acknowledgement's reason code (0 under 3.1.1 and for QoS 0; 16 "no matching subscribers" is a success). */
  readonly reasonCode: number;
}

/** Text (sent as UTF-8) or bytes. */
export type Payload = string | Uint8Array | ArrayBuffer | ArrayBufferView;
export interface ReadyToSendEvent {}
export interface SSLServerAuthenticationEvent {
  /** The server's certificate, base64 (`Certificate.fromEncoded` takes it, e.g. to pin it). */
  readonly certEncoded: string;
  /** The server's certificate, DER (a Buffer). */
  readonly certEncodedB: Uint8Array;
  readonly certSubject: string;
  readonly certIssuer: string;
  /** "OK", or why verification failed ("... not signed by a trusted ...", "... expired"). */
  readonly status: string;
  /**
   * The engine's verdict; the TLS handshake waits for the listeners and takes this field as
   * they leave it (set it synchronously). Setting it to false refuses the server (280); only
   * `true` accepts, and only a server the settings allowed (verified, pinned with
   * `sslAcceptServerCert`, or `SSLAcceptAnyServerCert`): a listener cannot accept a
   * certificate that failed verification by itself.
   */
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

/**
 * One message of `incomingMessages` / `outgoingMessages` (the documented MQTTMessage): a
 * frozen snapshot taken when the collection was read. The MQTT 5.0 fields are empty / 0
 * under 3.1.1.
 */
export interface MQTTMessage {
  readonly packetId: number;
  readonly topic: string;
  /** 1 or 2 (QoS 0 messages are never listed). */
  readonly QoS: number;
  /** The payload as text (invalid UTF-8 replaced by U+FFFD). */
  readonly message: string;
  /** The payload bytes (a Buffer, copied). */
  readonly messageB: Uint8Array;
  readonly retained: boolean;
  readonly duplicate: boolean;
  /**
   * Outgoing: 0 waiting for PUBACK, 1 waiting for PUBREC, 2 PUBREC received, 3 waiting for
   * PUBCOMP, 4 done. Incoming: 5 sending PUBACK, 6 sending PUBREC, 7 waiting for PUBREL,
   * 8 sending PUBCOMP, 9 done.
   */
  readonly state: MQTTMessageState;
  readonly contentType: string;
  /** Hex digits. */
  readonly correlationData: string;
  /** Seconds; 0 when absent. */
  readonly messageExpInterval: number;
  /** 0 unspecified bytes, 1 UTF-8 text. */
  readonly payloadFormatIndicator: number;
  readonly responseTopic: string;
  /** Comma-separated, as the server sent them. */
  readonly subscriptionIdentifiers: string;
  readonly topicAlias: number;
}
export type MQTTMessageState = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
/** IncomingMessages / OutgoingMessages: a frozen array. */
export type MQTTMessageList = readonly MQTTMessage[];

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
/** The object an event's listener receives: `MQTTEvent<'MessageIn'>` is a MessageEvent. */
export type MQTTEvent<K extends MQTTEventName> = Parameters<MQTTEvents[K]>[0];
/**
 * Node's own events, which the listener methods accept beside the documented ones. The
 * client never emits 'error' (failures come as the Error event and as rejections); it is
 * accepted because events.on() and events.once() listen for it on any emitter.
 */
export type NodeEventName = 'error' | 'newListener' | 'removeListener';
/** What `events.on()` / `events.once()` give for a name that is no event of the client. */
export interface NotAnMQTTEvent {
  readonly 'not an event of the mqtt client: see MQTTEventName': never;
}

export declare const EVENT_NAMES: readonly MQTTEventName[];

export interface ConfigSetting {
  name: string;
  group: string;
  kind: 'bool' | 'int' | 'string';
  readOnly: boolean;
  versions: 'both' | '3.1.1' | '5.0';
  /** What a new client (or one after reset()) reads. */
  default: string;
  /** The name ends in "[i]": "Name[2]" addresses one element, "Name" the whole array (JSON). */
  indexed: boolean;
}
/** Every setting `config()` answers. */
export declare function configSettings(): ConfigSetting[];

/** Text (taken as UTF-8) or bytes. */
export type CertificateData = string | Uint8Array | ArrayBuffer | ArrayBufferView;

/**
 * A certificate: the server's (`sslServerCert`), one to pin (`sslAcceptServerCert`), or ours
 * with its private key (`sslCert`). `new Certificate()` is the empty certificate; the static
 * factories build the others and throw an {@link MQTTError} (271 store, 272 certificate not
 * found, 10022 an argument of the wrong type) when it cannot be read. Read-only and frozen.
 */
export declare class Certificate {
  /** The empty certificate (no certificate: every field at its default). */
  constructor();
  /** An X.509 certificate read from a file (PEM, base64 or DER). */
  static fromFile(path: string): Certificate;
  /** An X.509 certificate from PEM or base64 text, or DER bytes. */
  static fromEncoded(encoded: CertificateData): Certificate;
  /**
   * A certificate and its private key from a store: storeType 2 (PKCS#12 file), 3 (PKCS#12
   * blob), 6 (PEM file), 7 (PEM blob) or 99 (detect). `store` is the file name for the file
   * types and the content for the blob types. `subject`: "" or "*" takes the first
   * certificate with a key, otherwise a subject (or part of one) or "Thumbprint=HEX".
   */
  static fromStore(storeType: number, store: CertificateData, storePassword?: string, subject?: string): Certificate;
  /** A store holding the private key, with its certificate given apart (`encoded`). */
  static fromStoreEncoded(
    storeType: number,
    store: CertificateData,
    storePassword: string,
    encoded: CertificateData,
  ): Certificate;
  /** Whether this is the empty certificate. */
  isEmpty(): boolean;
  /** The same certificate from the same store. */
  equals(other: unknown): boolean;

  readonly effectiveDate: string;
  readonly expirationDate: string;
  /** The extended key usages (OIDs), comma separated. */
  readonly extendedKeyUsage: string;
  /** MD5, hex pairs separated by colons. */
  readonly fingerprint: string;
  readonly fingerprintSHA1: string;
  readonly fingerprintSHA256: string;
  readonly issuer: string;
  /** The private key's password (the store's: one password opens both). */
  readonly keyPassword: string;
  /** Always "": the private key never leaves the TLS stack (see privateKeyAvailable). */
  readonly privateKey: string;
  /** Whether a private key goes with this certificate (built from a store). */
  readonly privateKeyAvailable: boolean;
  /** A Windows key container's name; always "" here. */
  readonly privateKeyContainer: string;
  /** Hex. */
  readonly publicKey: string;
  readonly publicKeyAlgorithm: string;
  /** Bits. */
  readonly publicKeyLength: number;
  /** Hex. */
  readonly serialNumber: string;
  readonly signatureAlgorithm: string;
  /** The file name, or a blob store as text; "MY" when not from a store. */
  readonly store: string;
  /** The store as bytes (a Buffer). */
  readonly storeB: Uint8Array;
  readonly storePassword: string;
  /** 0 when not from a store. */
  readonly storeType: number;
  /** Comma separated. */
  readonly subjectAltNames: string;
  /** Upper-case hex without separators. */
  readonly thumbprintMD5: string;
  readonly thumbprintSHA1: string;
  readonly thumbprintSHA256: string;
  readonly usage: string;
  readonly usageFlags: number;
  /** The X.509 version ("3"). */
  readonly version: string;
  readonly subject: string;
  /** Base64 (PEM without its armour lines). */
  readonly encoded: string;
  /** DER (a Buffer). */
  readonly encodedB: Uint8Array;
}

/** The fields of a {@link Firewall}; each one left out takes its default. */
export interface FirewallFields {
  autoDetect?: boolean;
  firewallType?: number;
  host?: string;
  password?: string;
  port?: number;
  user?: string;
}

/**
 * The proxy to connect through: assign one to `mqtt.firewall`. A plain record: reading
 * `mqtt.firewall` gives a copy, so assign a changed one back. The values are checked when
 * assigned to a client (10022).
 */
export declare class Firewall {
  /** An unknown field name, or anything but an object, throws 10022. */
  constructor(fields?: FirewallFields);
  /** Take the proxy from the environment (ALL_PROXY, HTTPS_PROXY, HTTP_PROXY, NO_PROXY) when firewallType is 0. */
  autoDetect: boolean;
  /** 0 none, 1 HTTP CONNECT tunnel, 2 SOCKS4, 3 SOCKS5, 10 SOCKS4A. */
  firewallType: number;
  /** Name or address of the proxy. */
  host: string;
  /** "" = none. */
  password: string;
  /** 0 takes the type's usual port (80 for the tunnel, 1080 for SOCKS). */
  port: number;
  /** "" = none. */
  user: string;
  /** Every field the same. */
  equals(other: unknown): boolean;
}

/**
 * An MQTT 3.1.1 / 5.0 client. Methods return Promises and never block the JS thread;
 * events are fired on the JS thread (the class is a Node EventEmitter). Invalid values are
 * refused by throwing (setters) or rejecting (methods) with an {@link MQTTError}.
 */
/**
 * The client: a Node EventEmitter whose listener methods take the documented events (each
 * listener typed with its event) and Node's own ({@link NodeEventName}); adding a listener
 * for any other name throws a TypeError naming the events.
 */
export declare class mqtt extends EventEmitter {
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

  /** The interface to bind ("" lets the system choose); while connected, the address in use. */
  getLocalHost(): string;
  setLocalHost(localHost: string): void;
  localHost: string;

  /** The port to bind (0 lets the system choose); while connected, the port in use. */
  getLocalPort(): number;
  setLocalPort(localPort: number): void;
  localPort: number;

  // ---- TLS and proxy ----

  /** Whether the connection uses TLS (wss:// URLs use it regardless). */
  isSSLEnabled(): boolean;
  setSSLEnabled(sslEnabled: boolean): void;
  sslEnabled: boolean;

  /** 0 automatic, 1 platform, 2 internal (every value uses the same TLS stack). */
  getSSLProvider(): number;
  setSSLProvider(sslProvider: number): void;
  sslProvider: number;

  /** Our certificate with its private key (273 for one without a key). */
  getSSLCert(): Certificate;
  setSSLCert(sslCert: Certificate): void;
  sslCert: Certificate;

  /** A server certificate accepted even when verification fails (a pinned certificate). */
  getSSLAcceptServerCert(): Certificate;
  setSSLAcceptServerCert(sslAcceptServerCert: Certificate): void;
  sslAcceptServerCert: Certificate;

  /** The proxy, as a copy of the Firewall* settings: assign a changed one back. */
  getFirewall(): Firewall;
  setFirewall(firewall: Firewall): void;
  firewall: Firewall;

  // Read-only members: there is no setter, TypeScript refuses an assignment, and in
  // JavaScript assigning the property throws an MQTTError (code 10022).

  /** True while connected, except between a 135 (would block) and the ReadyToSend event. */
  isReadyToSend(): boolean;
  readonly readyToSend: boolean;

  /**
   * True while AutoReconnect brings a lost connection back (waiting out its delay, or
   * attempting). An extension: the documented class has no such member. In a Disconnected
   * listener, or a failed attempt's Connected listener, it already says whether another
   * attempt follows; false once connected again, after disconnect(), interrupt() or reset(),
   * and once reconnecting gives up.
   */
  isReconnecting(): boolean;
  readonly reconnecting: boolean;

  /** QoS 1/2 messages from the server not fully acknowledged yet (a snapshot). */
  getIncomingMessages(): MQTTMessageList;
  readonly incomingMessages: MQTTMessageList;

  /** Our QoS 1/2 messages not fully acknowledged yet (a snapshot). */
  getOutgoingMessages(): MQTTMessageList;
  readonly outgoingMessages: MQTTMessageList;

  /** The server's certificate of the last TLS connection (empty before one). */
  getSSLServerCert(): Certificate;
  readonly sslServerCert: Certificate;

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
  /**
   * Fires pending events (for one turn of about 20 ms when they keep coming), then yields to
   * the event loop once.
   */
  doEvents(): Promise<void>;
  /**
   * Ends every call still waiting at once (it rejects with 301) and disconnects. Resolves
   * once the connection is gone (Disconnected, or the failed attempt's Connected, has fired).
   */
  interrupt(): Promise<void>;
  /**
   * Resolves when the PUBLISH is queued for sending; a QoS 1/2 message is listed in
   * `outgoingMessages` once the pending events are delivered (after `doEvents()`, or by the
   * next turn of the event loop). Acknowledgements arrive as events. With timeout 0 it never waits for
   * room in the send buffer: over the bound it rejects with 135 (the message says whether
   * this message was accepted) and ReadyToSend follows. A QoS 1/2 publish while
   * MaxOutgoingMessages of them are already kept is refused the same way (not accepted).
   * While AutoReconnect re-establishes a lost connection the message is queued for it (up to
   * OfflineQueueLimit; 212 beyond).
   */
  publishData(topic: string, QOS: number, data: Uint8Array | ArrayBuffer | ArrayBufferView): Promise<void>;
  publishMessage(topic: string, QOS: number, message: string): Promise<void>;
  /**
   * One message with its own QoS, retain flag and MQTT 5.0 properties; the client-wide
   * settings (Retain, OutgoingMessageProperties, ...) are neither read nor changed, so
   * concurrent calls never mix options. Resolves once the message is complete for its QoS:
   * written (QoS 0), PUBACK (1), PUBCOMP (2). Rejects with 506 when the acknowledgement's
   * reason code refuses the message, with the connection's error when the connection is
   * lost first, and with 10022 (naming the key) / 505 for bad options.
   */
  publish(topic: string, payload: Payload, options?: PublishOptions): Promise<Delivered>;
  /**
   * MQTT 5.0: publishes a request with a ResponseTopic and a CorrelationData of its own
   * (don't set them) and resolves with the response. Many may be in flight at once. Rejects
   * with 201 when no response came within `timeout` ms.
   */
  request(topic: string, payload: Payload, options?: RequestOptions): Promise<MessageEvent>;
  /**
   * With `config('ManualAck=true')`: acknowledges the incoming QoS 1/2 message with this
   * packet id (its MessageIn's `packetId`) once the application has dealt with it; until
   * then the server holds it against our Receive Maximum, and sends it again after a
   * reconnection of a persistent session. Synchronous, never waits: acknowledgements go out
   * in the order the messages arrived. Throws an {@link MQTTError}: 211 when no message with
   * that id waits for acknowledgement, 1117 when not connected, 10022 for a bad id.
   */
  ack(packetId: number): void;
  /**
   * Answers a request (a MessageIn event): publishes to its ResponseTopic with its
   * CorrelationData. Rejects with 10022 when the message has no ResponseTopic.
   */
  respond(request: MessageEvent, payload: Payload, options?: PublishOptions): Promise<Delivered>;
  /**
   * The session state (unacknowledged QoS 1/2 messages both ways) as text; also written to
   * the SessionStateFile setting's file when that is set.
   */
  saveSession(): Promise<string>;
  /**
   * Loads a saved session (from SessionStateFile when set, else `stateData`) for the next
   * connect and sets cleanSession to false; `outgoingMessages` / `incomingMessages` list what
   * it holds. Rejects, loading nothing, with 10022 for text that is not a whole, unchanged
   * saved session, 302 when SessionStateFile names a file that cannot be read, and 211 while
   * connected.
   */
  restoreSession(stateData: string): Promise<void>;
  /**
   * Closes any connection at once (one that is up is sent DISCONNECT, so no Will is published;
   * the broker publishes the Will when the process ends without disconnecting) and restores every
   * property and config setting; listeners stay. Calls still waiting reject with 301.
   * Resolves once the connection is gone.
   */
  reset(): Promise<void>;
  /**
   * Lets the process exit even while this client is connected, connecting or reconnecting,
   * as `net.Socket#unref()` does: the client then never keeps the event loop alive by itself.
   * Returns the client.
   */
  unref(): this;
  /**
   * Undoes `unref()`: the client keeps the process alive again while it is connected,
   * connecting or about to reconnect (the default). Returns the client.
   */
  ref(): this;
  /** One or more filters separated by the TopicDelimiter setting (","); resolves at SUBACK. */
  subscribe(topicFilter: string, QOS: number): Promise<void>;
  /** Resolves at UNSUBACK. */
  unsubscribe(topicFilter: string): Promise<void>;

  // ---- events (EventEmitter, typed per event) ----
  on<K extends MQTTEventName>(event: K, listener: MQTTEvents[K]): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'newListener' | 'removeListener', listener: (event: string | symbol, listener: (...args: any[]) => void) => void): this;
  addListener<K extends MQTTEventName>(event: K, listener: MQTTEvents[K]): this;
  addListener(event: 'error', listener: (err: Error) => void): this;
  addListener(event: 'newListener' | 'removeListener', listener: (event: string | symbol, listener: (...args: any[]) => void) => void): this;
  prependListener<K extends MQTTEventName>(event: K, listener: MQTTEvents[K]): this;
  prependListener(event: 'error', listener: (err: Error) => void): this;
  prependListener(event: 'newListener' | 'removeListener', listener: (event: string | symbol, listener: (...args: any[]) => void) => void): this;
  once<K extends MQTTEventName>(event: K, listener: MQTTEvents[K]): this;
  once(event: 'error', listener: (err: Error) => void): this;
  once(event: 'newListener' | 'removeListener', listener: (event: string | symbol, listener: (...args: any[]) => void) => void): this;
  prependOnceListener<K extends MQTTEventName>(event: K, listener: MQTTEvents[K]): this;
  prependOnceListener(event: 'error', listener: (err: Error) => void): this;
  prependOnceListener(event: 'newListener' | 'removeListener', listener: (event: string | symbol, listener: (...args: any[]) => void) => void): this;
  off<K extends MQTTEventName>(event: K, listener: MQTTEvents[K]): this;
  off(event: 'error', listener: (err: Error) => void): this;
  off(event: 'newListener' | 'removeListener', listener: (event: string | symbol, listener: (...args: any[]) => void) => void): this;
  removeListener<K extends MQTTEventName>(event: K, listener: MQTTEvents[K]): this;
  removeListener(event: 'error', listener: (err: Error) => void): this;
  removeListener(event: 'newListener' | 'removeListener', listener: (event: string | symbol, listener: (...args: any[]) => void) => void): this;
  removeAllListeners(event?: MQTTEventName | NodeEventName): this;
  listenerCount(event: MQTTEventName | NodeEventName): number;
  listeners<K extends MQTTEventName>(event: K): Array<MQTTEvents[K]>;
  rawListeners<K extends MQTTEventName>(event: K): Array<MQTTEvents[K]>;
  emit<K extends MQTTEventName>(event: K, e: MQTTEvent<K>): boolean;
}

// events.on(client, name) and events.once(client, name) from node:events, typed per event:
// `for await (const [msg] of on(client, 'MessageIn'))` gives MessageEvents. A name that is
// no event gives NotAnMQTTEvent, which is neither iterable nor a Promise, so a misspelt
// name fails to compile instead of falling back to Node's untyped `any[]`.
declare module 'events' {
  namespace EventEmitter {
    function on<K extends MQTTEventName>(
      emitter: mqtt,
      eventName: K,
      options?: { signal?: AbortSignal; close?: readonly string[]; highWaterMark?: number; lowWaterMark?: number },
    ): AsyncIterableIterator<[MQTTEvent<K>]>;
    function on(emitter: mqtt, eventName: 'error', options?: { signal?: AbortSignal }): AsyncIterableIterator<[Error]>;
    function on(emitter: mqtt, eventName: string, options?: { signal?: AbortSignal }): NotAnMQTTEvent;
    function once<K extends MQTTEventName>(
      emitter: mqtt,
      eventName: K,
      options?: { signal?: AbortSignal },
    ): Promise<[MQTTEvent<K>]>;
    function once(emitter: mqtt, eventName: 'error', options?: { signal?: AbortSignal }): Promise<[Error]>;
    function once(emitter: mqtt, eventName: string, options?: { signal?: AbortSignal }): NotAnMQTTEvent;
  }
}
