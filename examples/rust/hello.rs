//! Connect, subscribe, publish, receive, disconnect — the Rust face in a few lines.
//!
//!     MQTT_BROKER=127.0.0.1:1883 cargo run -p ferromq --example hello

use ferromq::{Event, Mqtt};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let broker = std::env::var("MQTT_BROKER").unwrap_or_else(|_| "127.0.0.1:1883".into());
    let (host, port) = broker
        .rsplit_once(':')
        .ok_or_else(|| format!("MQTT_BROKER={broker:?} is not host:port"))?;
    let port: i32 = port.parse()?;

    let client = Mqtt::new();
    let received = Arc::new(Mutex::new(None::<String>));
    let slot = received.clone();
    // Pull mode: handlers run on this thread, inside blocking calls and do_events().
    client.set_event_handler(Some(Arc::new(move |event: &mut Event| {
        if let Event::MessageIn(m) = event {
            let text = String::from_utf8_lossy(&m.message).into_owned();
            println!("received {text:?} on {} at QoS {}", m.topic, m.qos);
            *slot.lock().unwrap() = Some(text);
        }
    })));

    client.connect_to(host, port)?;
    println!("connected to {broker} as {}", client.client_id());
    let topic = format!("ferromq/examples/rust/{}", std::process::id());
    client.subscribe(&topic, 1)?;
    client.publish_message(&topic, 1, "hello from rust")?;

    let deadline = Instant::now() + Duration::from_secs(10);
    while received.lock().unwrap().is_none() && Instant::now() < deadline {
        client.do_events()?;
    }
    client.disconnect()?;
    let got = received.lock().unwrap().take();
    got.map(|_| ())
        .ok_or_else(|| "the message did not come back within 10 s".into())
}
