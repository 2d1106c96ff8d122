//! `NativeMqtt`: the core's `Mqtt` as a napi class. `index.js` builds the documented
//! `mqtt` class on top of it (accessors, properties, events, argument checks).
//!
//! Conventions: every entry point runs in [`guarded`]; failures are JS errors with the
//! documented numeric `.code`; asynchronous methods return `null` when they already
//! finished, or a Promise when they wait for the network (see `promise.rs`).

use crate::errors;
use crate::events;
use crate::guard::guarded;
use crate::promise;
use crate::properties::{self, PropertyArgs};
use crate::transport::{FirewallFields, NativeCertificate};
use crate::wake::{self, Drain};
use bytes::Bytes;
use ferromq::{Delivered, Event, Mqtt, PublishOptions};
use napi::bindgen_prelude::{Either, Uint8Array};
use napi::{Env, JsFunction, JsObject, JsUnknown};
use napi_derive::napi;
use std::time::Duration;

#[napi]
pub struct NativeMqtt {
    inner: Mqtt,
    drain: Drain,
}

/// Map a core result of a synchronous call onto napi, building the JS error on this thread.
fn sync<T>(env: &Env, r: ferromq::Result<T>) -> napi::Result<T> {
    r.map_err(|e| errors::to_js(env, &e))
}

#[napi]
impl NativeMqtt {
    /// `drain` is called on the JS thread whenever events are waiting; it should call
    /// `takeEvents` until that returns an empty array.
    #[napi(constructor)]
    pub fn new(env: Env, drain: JsFunction) -> napi::Result<Self> {
        guarded(|| {
            let inner = Mqtt::new();
            let drain = wake::drain_function(&env, &drain)?;
            inner.set_event_notifier(Some(wake::notifier(&drain)));
            // index.js answers every SSLServerAuthentication (`answerServerAuthentication`)
            // once its listeners ran, so the handshake waits for that answer.
            inner.set_push_answers_server_authentication(true);
            Ok(NativeMqtt { inner, drain })
        })
    }

    /// Whether pending deliveries keep the Node process alive: `index.js` turns it on while
    /// a connection exists, is being made or is to be made again (AutoReconnect), unless
    /// the application unref'd the client.
    #[napi(js_name = "keepAlive")]
    pub fn keep_alive(&mut self, env: Env, on: bool) -> napi::Result<()> {
        guarded(|| {
            if on {
                self.drain.refer(&env)
            } else {
                self.drain.unref(&env)
            }
        })
    }

    /// Up to `max` pending events, flattened (see `events.rs`).
    #[napi(js_name = "takeEvents")]
    pub fn take_events(&self, env: Env, max: u32, unheard: u32) -> napi::Result<JsObject> {
        guarded(|| events::encode(&env, self.inner.take_events(max.max(1) as usize), unheard))
    }

    // ---- properties ----

    #[napi(js_name = "getClientId")]
    pub fn get_client_id(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.client_id()))
    }
    #[napi(js_name = "setClientId")]
    pub fn set_client_id(&self, env: Env, v: String) -> napi::Result<()> {
        guarded(|| sync(&env, self.inner.set_client_id(&v)))
    }
    #[napi(js_name = "isCleanSession")]
    pub fn is_clean_session(&self) -> napi::Result<bool> {
        guarded(|| Ok(self.inner.clean_session()))
    }
    #[napi(js_name = "setCleanSession")]
    pub fn set_clean_session(&self, env: Env, v: bool) -> napi::Result<()> {
        guarded(|| sync(&env, self.inner.set_clean_session(v)))
    }
    #[napi(js_name = "getKeepAliveInterval")]
    pub fn get_keep_alive_interval(&self) -> napi::Result<i32> {
        guarded(|| Ok(self.inner.keep_alive_interval()))
    }
    #[napi(js_name = "setKeepAliveInterval")]
    pub fn set_keep_alive_interval(&self, env: Env, v: i32) -> napi::Result<()> {
        guarded(|| sync(&env, self.inner.set_keep_alive_interval(v)))
    }
    #[napi(js_name = "getUser")]
    pub fn get_user(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.user()))
    }
    #[napi(js_name = "setUser")]
    pub fn set_user(&self, env: Env, v: String) -> napi::Result<()> {
        guarded(|| sync(&env, self.inner.set_user(&v)))
    }
    #[napi(js_name = "getPassword")]
    pub fn get_password(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.password()))
    }
    #[napi(js_name = "setPassword")]
    pub fn set_password(&self, env: Env, v: String) -> napi::Result<()> {
        guarded(|| sync(&env, self.inner.set_password(&v)))
    }
    #[napi(js_name = "getVersion")]
    pub fn get_version(&self) -> napi::Result<i32> {
        guarded(|| Ok(self.inner.version()))
    }
    #[napi(js_name = "setVersion")]
    pub fn set_version(&self, env: Env, v: i32) -> napi::Result<()> {
        guarded(|| sync(&env, self.inner.set_version(v)))
    }
    #[napi(js_name = "getRemoteHost")]
    pub fn get_remote_host(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.remote_host()))
    }
    #[napi(js_name = "setRemoteHost")]
    pub fn set_remote_host(&self, env: Env, v: String) -> napi::Result<()> {
        guarded(|| sync(&env, self.inner.set_remote_host(&v)))
    }
    #[napi(js_name = "getRemotePort")]
    pub fn get_remote_port(&self) -> napi::Result<i32> {
        guarded(|| Ok(self.inner.remote_port()))
    }
    #[napi(js_name = "setRemotePort")]
    pub fn set_remote_port(&self, env: Env, v: i32) -> napi::Result<()> {
        guarded(|| sync(&env, self.inner.set_remote_port(v)))
    }
    #[napi(js_name = "getTimeout")]
    pub fn get_timeout(&self) -> napi::Result<i32> {
        guarded(|| Ok(self.inner.timeout()))
    }
    #[napi(js_name = "setTimeout")]
    pub fn set_timeout(&self, env: Env, v: i32) -> napi::Result<()> {
        guarded(|| sync(&env, self.inner.set_timeout(v)))
    }
    #[napi(js_name = "isConnected")]
    pub fn is_connected(&self) -> napi::Result<bool> {
        guarded(|| Ok(self.inner.connected()))
    }
    #[napi(js_name = "getWillTopic")]
    pub fn get_will_topic(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.will_topic()))
    }
    #[napi(js_name = "setWillTopic")]
    pub fn set_will_topic(&self, env: Env, v: String) -> napi::Result<()> {
        guarded(|| sync(&env, self.inner.set_will_topic(&v)))
    }
    #[napi(js_name = "getWillMessage")]
    pub fn get_will_message(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.will_message()))
    }
    #[napi(js_name = "setWillMessage")]
    pub fn set_will_message(&self, env: Env, v: String) -> napi::Result<()> {
        guarded(|| sync(&env, self.inner.set_will_message(&v)))
    }

    /// LocalHost: the interface to bind; while connected, the connection's own address.
    #[napi(js_name = "getLocalHost")]
    pub fn get_local_host(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.local_host()))
    }
    #[napi(js_name = "setLocalHost")]
    pub fn set_local_host(&self, env: Env, v: String) -> napi::Result<()> {
        guarded(|| sync(&env, self.inner.set_local_host(&v)))
    }
    /// LocalPort: the port to bind (0: the system's choice); while connected, the port in use.
    #[napi(js_name = "getLocalPort")]
    pub fn get_local_port(&self) -> napi::Result<i32> {
        guarded(|| Ok(self.inner.local_port()))
    }
    #[napi(js_name = "setLocalPort")]
    pub fn set_local_port(&self, env: Env, v: i32) -> napi::Result<()> {
        guarded(|| sync(&env, self.inner.set_local_port(v)))
    }
    /// Whether AutoReconnect is bringing a lost connection back (an extension: the
    /// documented class has no such member). Already settled when the event reporting the
    /// loss or a failed attempt fires, so `index.js` asks it there.
    #[napi(js_name = "isReconnecting")]
    pub fn is_reconnecting(&self) -> napi::Result<bool> {
        guarded(|| Ok(self.inner.reconnecting()))
    }
    #[napi(js_name = "isReadyToSend")]
    pub fn is_ready_to_send(&self) -> napi::Result<bool> {
        guarded(|| Ok(self.inner.ready_to_send()))
    }
    /// IncomingMessages, flattened like events (see `events::encode_messages`).
    #[napi(js_name = "getIncomingMessages")]
    pub fn get_incoming_messages(&self, env: Env) -> napi::Result<JsObject> {
        guarded(|| events::encode_messages(&env, self.inner.incoming_messages()))
    }
    /// OutgoingMessages, flattened like events.
    #[napi(js_name = "getOutgoingMessages")]
    pub fn get_outgoing_messages(&self, env: Env) -> napi::Result<JsObject> {
        guarded(|| events::encode_messages(&env, self.inner.outgoing_messages()))
    }

    // ---- TLS and proxy ----

    #[napi(js_name = "isSSLEnabled")]
    pub fn is_ssl_enabled(&self) -> napi::Result<bool> {
        guarded(|| Ok(self.inner.ssl_enabled()))
    }
    #[napi(js_name = "setSSLEnabled")]
    pub fn set_ssl_enabled(&self, env: Env, v: bool) -> napi::Result<()> {
        guarded(|| sync(&env, self.inner.set_ssl_enabled(v)))
    }
    #[napi(js_name = "getSSLProvider")]
    pub fn get_ssl_provider(&self) -> napi::Result<i32> {
        guarded(|| Ok(self.inner.ssl_provider()))
    }
    #[napi(js_name = "setSSLProvider")]
    pub fn set_ssl_provider(&self, env: Env, v: i32) -> napi::Result<()> {
        guarded(|| sync(&env, self.inner.set_ssl_provider(v)))
    }
    /// SSLCert: our certificate and its private key (273 for one without a key).
    #[napi(js_name = "getSSLCert")]
    pub fn get_ssl_cert(&self) -> napi::Result<NativeCertificate> {
        guarded(|| Ok(NativeCertificate::wrap(self.inner.ssl_cert())))
    }
    #[napi(js_name = "setSSLCert")]
    pub fn set_ssl_cert(&self, env: Env, v: &NativeCertificate) -> napi::Result<()> {
        guarded(|| sync(&env, self.inner.set_ssl_cert(v.inner.clone())))
    }
    /// SSLAcceptServerCert: a server certificate accepted even when verification fails.
    #[napi(js_name = "getSSLAcceptServerCert")]
    pub fn get_ssl_accept_server_cert(&self) -> napi::Result<NativeCertificate> {
        guarded(|| Ok(NativeCertificate::wrap(self.inner.ssl_accept_server_cert())))
    }
    #[napi(js_name = "setSSLAcceptServerCert")]
    pub fn set_ssl_accept_server_cert(&self, env: Env, v: &NativeCertificate) -> napi::Result<()> {
        guarded(|| sync(&env, self.inner.set_ssl_accept_server_cert(v.inner.clone())))
    }
    /// SSLServerCert (read-only): the server's certificate of the last connection.
    #[napi(js_name = "getSSLServerCert")]
    pub fn get_ssl_server_cert(&self) -> napi::Result<NativeCertificate> {
        guarded(|| Ok(NativeCertificate::wrap(self.inner.ssl_server_cert())))
    }
    /// Firewall: a copy of the Firewall* settings.
    #[napi(js_name = "getFirewall")]
    pub fn get_firewall(&self) -> napi::Result<FirewallFields> {
        guarded(|| Ok(FirewallFields::from_core(self.inner.firewall())))
    }
    #[napi(js_name = "setFirewall")]
    pub fn set_firewall(&self, env: Env, v: FirewallFields) -> napi::Result<()> {
        guarded(|| sync(&env, self.inner.set_firewall(&v.into_core())))
    }

    /// The answer to the SSLServerAuthentication event just fired: its `accept` as the
    /// listeners left it. The core only lets it accept what the settings allowed.
    #[napi(js_name = "answerServerAuthentication")]
    pub fn answer_server_authentication(&self, accept: bool) -> napi::Result<()> {
        guarded(|| {
            self.inner.answer_server_authentication(accept);
            Ok(())
        })
    }

    // ---- methods ----

    /// Returns at once; the call waiting in `index.js` is ended there with 301.
    #[napi]
    pub fn interrupt(&self, env: Env) -> napi::Result<()> {
        guarded(|| sync(&env, self.inner.interrupt()))
    }

    /// Closes any connection (without DISCONNECT) and restores every property and setting.
    #[napi]
    pub fn reset(&self, env: Env) -> napi::Result<()> {
        guarded(|| sync(&env, self.inner.reset()))
    }

    /// The session state as text (also written to SessionStateFile when that is set; the
    /// file is small, so it is written on this thread).
    #[napi(js_name = "saveSession")]
    pub fn save_session(&self, env: Env) -> napi::Result<String> {
        guarded(|| sync(&env, self.inner.save_session()))
    }

    /// Loads a saved session for the next connect (from SessionStateFile when that is set).
    #[napi(js_name = "restoreSession")]
    pub fn restore_session(&self, env: Env, state_data: String) -> napi::Result<()> {
        guarded(|| sync(&env, self.inner.restore_session(&state_data)))
    }

    #[napi]
    pub fn config(&self, env: Env, setting: String) -> napi::Result<String> {
        guarded(|| sync(&env, self.inner.config(&setting)))
    }

    #[napi]
    pub fn connect(&self, env: Env) -> napi::Result<Option<JsObject>> {
        guarded(|| promise::start(&env, self.inner.connect_async()))
    }

    #[napi(js_name = "connectTo")]
    pub fn connect_to(&self, env: Env, host: String, port: i32) -> napi::Result<Option<JsObject>> {
        guarded(|| promise::start(&env, self.inner.connect_to_async(&host, port)))
    }

    #[napi]
    pub fn disconnect(&self, env: Env) -> napi::Result<Option<JsObject>> {
        guarded(|| promise::start(&env, self.inner.disconnect_async()))
    }

    #[napi]
    pub fn subscribe(
        &self,
        env: Env,
        topic_filter: String,
        qos: i32,
    ) -> napi::Result<Option<JsObject>> {
        guarded(|| promise::start(&env, self.inner.subscribe_async(&topic_filter, qos)))
    }

    #[napi]
    pub fn unsubscribe(&self, env: Env, topic_filter: String) -> napi::Result<Option<JsObject>> {
        guarded(|| promise::start(&env, self.inner.unsubscribe_async(&topic_filter)))
    }

    /// The JS string is already a fresh Rust `String`; its buffer becomes the payload
    /// without another copy.
    #[napi(js_name = "publishMessage")]
    pub fn publish_message(
        &self,
        env: Env,
        topic: String,
        qos: i32,
        message: String,
    ) -> napi::Result<Option<JsObject>> {
        guarded(|| self.publish(&env, &topic, qos, Bytes::from(message.into_bytes())))
    }

    /// The bytes are copied once: JavaScript may reuse or change its buffer as soon as the
    /// call returns, while the engine may hold the payload until it is acknowledged.
    #[napi(js_name = "publishData")]
    pub fn publish_data(
        &self,
        env: Env,
        topic: String,
        qos: i32,
        data: Uint8Array,
    ) -> napi::Result<Option<JsObject>> {
        guarded(|| self.publish(&env, &topic, qos, Bytes::copy_from_slice(&data)))
    }

    /// One publish with its own options; the value (or Promise) is `{ packetId, reasonCode }`
    /// once it is complete for its QoS (see `Mqtt::publish_with_async`).
    #[napi(js_name = "publishWith")]
    pub fn publish_with(
        &self,
        env: Env,
        topic: String,
        payload: Either<String, Uint8Array>,
        qos: i32,
        retain: bool,
        properties: Option<PropertyArgs>,
    ) -> napi::Result<JsUnknown> {
        guarded(|| {
            let options = sync(&env, publish_options(qos, retain, properties))?;
            let call = self
                .inner
                .publish_with_async(&topic, payload_bytes(payload), &options);
            promise::start_with(&env, call, delivered)
        })
    }

    /// A request: the value (or Promise) is the response as a flat MessageIn event.
    // One napi argument per value index.js checked: the options' object stays in JavaScript.
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn request(
        &self,
        env: Env,
        topic: String,
        payload: Either<String, Uint8Array>,
        timeout_ms: u32,
        qos: i32,
        retain: bool,
        properties: Option<PropertyArgs>,
    ) -> napi::Result<JsUnknown> {
        guarded(|| {
            let options = sync(&env, publish_options(qos, retain, properties))?;
            let call = self.inner.request_async(
                &topic,
                payload_bytes(payload),
                Duration::from_millis(timeout_ms.into()),
                &options,
            );
            promise::start_with(&env, call, |env, m| {
                Ok(events::encode(env, vec![Event::MessageIn(m)], 0)?.into_unknown())
            })
        })
    }

    /// ManualAck: acknowledges an incoming QoS 1/2 message now (acknowledgements still go
    /// out in the order the messages arrived). Never waits.
    #[napi]
    pub fn ack(&self, env: Env, packet_id: i32) -> napi::Result<()> {
        guarded(|| sync(&env, self.inner.ack(packet_id)))
    }

    /// Answers a request, given as the topic and properties of its MessageEvent (all the
    /// core reads of it); the value (or Promise) is `{ packetId, reasonCode }`.
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn respond(
        &self,
        env: Env,
        request_topic: String,
        request_properties: Option<PropertyArgs>,
        payload: Either<String, Uint8Array>,
        qos: i32,
        retain: bool,
        properties: Option<PropertyArgs>,
    ) -> napi::Result<JsUnknown> {
        guarded(|| {
            let request = sync(&env, properties::from_args(request_properties))?;
            let options = sync(&env, publish_options(qos, retain, properties))?;
            let call = self.inner.respond_to_async(
                &request_topic,
                &request,
                payload_bytes(payload),
                &options,
            );
            promise::start_with(&env, call, delivered)
        })
    }
}

fn publish_options(
    qos: i32,
    retain: bool,
    properties: Option<PropertyArgs>,
) -> ferromq::Result<PublishOptions> {
    Ok(PublishOptions {
        qos,
        retain,
        properties: properties::from_args(properties)?,
    })
}

/// A text payload's fresh `String` becomes the payload without a copy; bytes are copied once
/// (JavaScript may change its buffer as soon as the call returns).
fn payload_bytes(payload: Either<String, Uint8Array>) -> Bytes {
    match payload {
        Either::A(text) => Bytes::from(text.into_bytes()),
        Either::B(data) => Bytes::copy_from_slice(&data),
    }
}

fn delivered(env: &Env, d: Delivered) -> napi::Result<JsUnknown> {
    let mut obj = env.create_object()?;
    obj.set_named_property("packetId", env.create_int32(d.packet_id)?)?;
    obj.set_named_property("reasonCode", env.create_int32(d.reason_code)?)?;
    Ok(obj.into_unknown())
}

impl NativeMqtt {
    /// With Timeout 0 a publish never waits for room in the send buffer: the core's
    /// non-blocking form answers at once, with 135 (would block) over the bound, and
    /// ReadyToSend follows once the buffer is written out. Otherwise the async form waits
    /// for room (up to the send buffer's turn order) without blocking the JS thread.
    fn publish(
        &self,
        env: &Env,
        topic: &str,
        qos: i32,
        data: Bytes,
    ) -> napi::Result<Option<JsObject>> {
        if self.inner.timeout() == 0 {
            sync(env, self.inner.publish_data(topic, qos, data)).map(|()| None)
        } else {
            promise::start(env, self.inner.publish_data_async(topic, qos, data))
        }
    }
}

/// Every setting `config()` answers, from the core's registry (for tools, docs and tests).
#[napi(object)]
pub struct ConfigSetting {
    pub name: String,
    pub group: String,
    /// "bool", "int" or "string".
    pub kind: String,
    #[napi(js_name = "readOnly")]
    pub read_only: bool,
    /// "both", "3.1.1" or "5.0".
    pub versions: String,
    /// What a new client (or one after reset()) reads.
    pub default: String,
    /// The name ends in `[i]`: `Name[3]` addresses one element, `Name` the whole array.
    pub indexed: bool,
}

#[napi(js_name = "configSettings")]
pub fn config_settings() -> napi::Result<Vec<ConfigSetting>> {
    use ferromq::component::config::{settings, Applies, SettingType};
    guarded(|| {
        Ok(settings()
            .iter()
            .map(|s| ConfigSetting {
                name: s.name.to_string(),
                group: s.group.to_string(),
                kind: match s.kind {
                    SettingType::Bool => "bool",
                    SettingType::Int => "int",
                    SettingType::String => "string",
                }
                .to_string(),
                read_only: s.read_only,
                versions: match s.applies {
                    Applies::Both => "both",
                    Applies::V311Only => "3.1.1",
                    Applies::V5Only => "5.0",
                }
                .to_string(),
                default: s.default.to_string(),
                indexed: s.indexed(),
            })
            .collect())
    })
}
