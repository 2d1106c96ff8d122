//! The Rust peer of the cross-language exchange (tests/cross/README.md has the contract).
//!
//!     MQTT_BROKER=host:port cargo run -p ferromq --example peer -- NAME RUN_ID rust,c,python,node

use ferromq::{Event, Mqtt};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn main() {
    if let Err(e) = run() {
        eprintln!("peer: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [name, run_id, expected] = args.as_slice() else {
        return Err("usage: peer NAME RUN_ID EXPECTED (with MQTT_BROKER=host:port)".into());
    };
    let broker = std::env::var("MQTT_BROKER").map_err(|_| "MQTT_BROKER is not set")?;
    let (host, port) = broker
        .rsplit_once(':')
        .ok_or_else(|| format!("MQTT_BROKER={broker:?} is not host:port"))?;
    let expected: BTreeSet<String> = expected.split(',').map(str::to_string).collect();

    let client = Mqtt::new();
    let heard = Arc::new(Mutex::new(BTreeSet::new()));
    let (me, log) = (name.clone(), heard.clone());
    client.set_event_handler(Some(Arc::new(move |event: &mut Event| {
        if let Event::MessageIn(m) = event {
            let from = m.topic.rsplit('/').next().unwrap_or_default().to_string();
            println!(
                "[{me}] got {:?} from {from}",
                String::from_utf8_lossy(&m.message)
            );
            log.lock().unwrap().insert(from);
        }
    })));
    client.set_client_id(&format!("ferromq-peer-{name}-{run_id}"))?;
    client.connect_to(host, port.parse()?)?;
    client.subscribe(&format!("ferromq/xlang/{run_id}/+"), 1)?;
    client.config("Retain=true")?;
    client.publish_message(
        &format!("ferromq/xlang/{run_id}/{name}"),
        1,
        &format!("hello from {name}"),
    )?;

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let missing: Vec<String> = expected
            .difference(&heard.lock().unwrap())
            .cloned()
            .collect();
        if missing.is_empty() {
            println!("[{name}] heard all {} peers", expected.len());
            client.disconnect()?;
            return Ok(());
        }
        if Instant::now() >= deadline {
            println!("[{name}] missing: {}", missing.join(","));
            std::process::exit(1);
        }
        client.do_events()?;
    }
}
