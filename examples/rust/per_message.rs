//! MQTT 5.0 per message: options given with each publish, its acknowledgement awaited,
//! the properties of a received message, and request/response.
//!
//!     MQTT_BROKER=127.0.0.1:1883 cargo run -p ferromq --example per_message

use ferromq::codec::Properties;
use ferromq::{Event, Mqtt, PublishOptions};
use std::sync::Arc;
use std::time::Duration;

fn main() -> Result<(), ferromq::Error> {
    let broker = std::env::var("MQTT_BROKER").unwrap_or("127.0.0.1:1883".into());
    let (host, port) = broker.rsplit_once(':').expect("MQTT_BROKER is host:port");
    let port = port.parse().unwrap_or(1883);
    let service = format!("examples/{}/time", std::process::id());

    // A responder: answers each request on its ResponseTopic with its CorrelationData.
    let responder = Mqtt::new();
    responder.set_version(1)?; // MQTT 5.0
    let me = responder.downgrade();
    responder.set_event_handler(Some(Arc::new(move |e: &mut Event| {
        if let (Event::MessageIn(request), Some(me)) = (e, me.upgrade()) {
            let unit = &request.properties.user_properties;
            println!("request {:?}, user properties {unit:?}", request.message);
            let _ = me.respond(request, "12:00", &PublishOptions::default());
        }
    })));
    responder.connect_to(host, port)?;
    responder.subscribe(&service, 1)?;
    let serving = responder.clone();
    std::thread::spawn(move || while serving.do_events().is_ok() {});

    let client = Mqtt::new();
    client.set_version(1)?;
    client.connect_to(host, port)?;

    // One publish with its own options; wait() returns at its PUBACK.
    let options = PublishOptions {
        qos: 1,
        retain: false,
        properties: Properties {
            content_type: Some("text/plain".into()),
            user_properties: vec![("unit".into(), "C".into())],
            ..Properties::default()
        },
    };
    let acked = client
        .publish_with("examples/temperature", "21.5", &options)?
        .wait()?;
    println!(
        "PUBACK: packet {} reason {}",
        acked.packet_id, acked.reason_code
    );

    // A request: the response topic, correlation data and the subscription are ours.
    let answer = client.request(&service, "now?", Duration::from_secs(10), &options)?;
    println!("response {:?}", String::from_utf8_lossy(&answer.message));
    client.disconnect()?;
    responder.disconnect()
}
