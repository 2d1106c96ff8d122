use ferromq::{Event, Mqtt};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

fn main() -> Result<(), ferromq::Error> {
    let broker = std::env::var("MQTT_BROKER").unwrap_or("127.0.0.1:1883".into());
    let (host, port) = broker.rsplit_once(':').expect("MQTT_BROKER is host:port");

    let client = Mqtt::new();
    let got = Arc::new(AtomicBool::new(false));
    let seen = got.clone();
    client.set_event_handler(Some(Arc::new(move |e: &mut Event| {
        if let Event::MessageIn(m) = e {
            println!("{}: {}", m.topic, String::from_utf8_lossy(&m.message));
            seen.store(true, Ordering::SeqCst);
        }
    })));
    client.connect_to(host, port.parse().unwrap_or(1883))?;
    client.subscribe("sensors/#", 1)?;
    client.publish_message("sensors/t1", 1, "21.5")?;
    while !got.load(Ordering::SeqCst) {
        client.do_events()?; // handlers fire here, and inside every blocking call
    }
    client.disconnect()
}
