//! Issue 4's last fault: the publishing process itself is killed (SIGKILL) twice in the
//! middle of a stream of 10 000 QoS 1 and 10 000 QoS 2 messages, and restarted from its
//! SessionStateFile (SessionAutoSave=1). Every message must arrive, every QoS 2 message
//! exactly once; the test prints its lost and duplicated counts.
//!
//! The publisher is this test binary run again (the ignored `publisher_process` test, given
//! its job in the environment), so it is a real process with its own sockets and its own
//! death.

use crate::common::private_broker;

use ferromq::{Event, Mqtt};
use private_broker::PrivateBroker;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PER_QOS: u64 = 10_000;
const JOB: &str = "FERROMQ_PUBLISHER_JOB";
/// Unacknowledged messages the publisher lets pile up before it waits: keeps the saved
/// session (written at every change) small, as a real producer's window would.
const WINDOW: usize = 100;

/// The `i`-th message of the stream: the first PER_QOS at QoS 1, the rest at QoS 2.
fn message(i: u64) -> (i32, String) {
    if i < PER_QOS {
        (1, format!("1:{i}"))
    } else {
        (2, format!("2:{}", i - PER_QOS))
    }
}

/// The child's side: restore the session if the file is there, connect, and publish the
/// stream from SessionPublishCount on; exit once everything is acknowledged.
#[test]
#[ignore = "the child process of killing_the_publishing_process_mid_stream_…, run by it"]
fn publisher_process() {
    let job = std::env::var(JOB).expect("run by killing_the_publishing_process_mid_stream_…");
    let parts: Vec<&str> = job.split('|').collect();
    let [port, topic, file, client_id] = parts[..] else {
        panic!("bad job {job}");
    };
    let mqtt = Mqtt::new();
    mqtt.set_client_id(client_id).unwrap();
    mqtt.set_clean_session(false).unwrap();
    mqtt.set_timeout(20).unwrap();
    mqtt.config(&format!("SessionStateFile={file}")).unwrap();
    mqtt.config("SessionAutoSave=1").unwrap();
    if std::path::Path::new(file).exists() {
        mqtt.restore_session("").unwrap();
    }
    let start: u64 = mqtt.config("SessionPublishCount").unwrap().parse().unwrap();
    println!(
        "resume at {start} with {} message(s) restored",
        mqtt.outgoing_messages().len()
    );
    mqtt.connect_to("127.0.0.1", port.parse().unwrap()).unwrap();
    for i in start..2 * PER_QOS {
        while mqtt.outgoing_messages().len() >= WINDOW {
            mqtt.do_events().unwrap();
        }
        let (qos, payload) = message(i);
        mqtt.publish_message(topic, qos, &payload).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while !mqtt.outgoing_messages().is_empty() && Instant::now() < deadline {
        mqtt.do_events().unwrap();
    }
    assert!(mqtt.outgoing_messages().is_empty(), "not all acknowledged");
    assert_eq!(
        mqtt.config("SessionPublishCount").unwrap(),
        (2 * PER_QOS).to_string()
    );
    mqtt.disconnect().unwrap();
    println!("finished");
}

fn spawn_publisher(job: &str) -> (Child, Arc<Mutex<Vec<String>>>) {
    // A test's name inside the binary is its module path without the crate's name.
    let (_, module) = module_path!().split_once("::").unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--nocapture", "--exact"])
        .arg(format!("{module}::publisher_process"))
        .env(JOB, job)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let lines: Arc<Mutex<Vec<String>>> = Arc::default();
    let out = child.stdout.take().unwrap();
    let l = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            l.lock().unwrap().push(line);
        }
    });
    (child, lines)
}

#[test]
fn killing_the_publishing_process_mid_stream_loses_and_duplicates_nothing() {
    let broker = PrivateBroker::start("");
    let dir = std::env::temp_dir().join(format!("ferromq-pubkill-{}", fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("publisher.session");
    let topic = format!("ferromq/fault/pubkill/{}", fastrand::u64(..));
    let job = format!(
        "{}|{topic}|{}|ferromq-pubkill-{}",
        broker.port,
        file.display(),
        fastrand::u64(..)
    );

    let sub = Mqtt::new();
    sub.set_client_id(&format!("ferromq-pubkill-sub-{}", fastrand::u64(..)))
        .unwrap();
    sub.set_timeout(20).unwrap();
    let received: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let r = received.clone();
    sub.set_event_handler(Some(Arc::new(move |e: &mut Event| {
        if let Event::MessageIn(m) = e {
            *r.lock()
                .unwrap()
                .entry(String::from_utf8_lossy(&m.message).into_owned())
                .or_default() += 1;
        }
    })));
    sub.connect_to("127.0.0.1", broker.port as i32).unwrap();
    sub.subscribe(&topic, 2).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let pump = {
        let (m, stop) = (sub.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let _ = m.do_events();
            }
        })
    };
    let arrived = || received.lock().unwrap().len() as u64;

    // Two kills, at a third and at two thirds of the stream as the subscriber sees it.
    let mut resumes = Vec::new();
    for third in 1..=2u64 {
        let (mut child, lines) = spawn_publisher(&job);
        let deadline = Instant::now() + Duration::from_secs(120);
        while arrived() < 2 * PER_QOS * third / 3 && Instant::now() < deadline {
            assert!(
                child.try_wait().unwrap().is_none(),
                "the publisher ended before it was killed: {:?}",
                lines.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        println!(
            "publisher killed with {} distinct message(s) arrived; it said {:?}",
            arrived(),
            lines.lock().unwrap()
        );
        resumes.extend(lines.lock().unwrap().clone());
    }
    let (mut child, lines) = spawn_publisher(&job);
    let status = child.wait().unwrap();
    let said = lines.lock().unwrap().clone();
    assert!(status.success(), "the last publisher failed: {said:?}");
    resumes.extend(said);

    let deadline = Instant::now() + Duration::from_secs(30);
    while arrived() < 2 * PER_QOS && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::SeqCst);
    pump.join().unwrap();
    let got = received.lock().unwrap().clone();
    let lost = |qos: u64| {
        (0..PER_QOS)
            .filter(|i| !got.contains_key(&format!("{qos}:{i}")))
            .count()
    };
    let dup = |qos: u64| {
        (0..PER_QOS)
            .filter(|i| got.get(&format!("{qos}:{i}")).copied().unwrap_or(0) > 1)
            .count()
    };
    let resumed: Vec<&String> = resumes.iter().filter(|l| l.starts_with("resume")).collect();
    println!(
        "published {PER_QOS} QoS 1 + {PER_QOS} QoS 2 from 3 processes (2 killed); {resumed:?}; lost QoS 1: {}, lost QoS 2: {}, duplicated QoS 1: {}, duplicated QoS 2: {}",
        lost(1),
        lost(2),
        dup(1),
        dup(2)
    );
    assert_eq!(resumed.len(), 3, "{resumes:?}");
    assert_eq!(
        (lost(1), lost(2), dup(2)),
        (0, 0, 0),
        "lost QoS 1, lost QoS 2, duplicated QoS 2"
    );
    sub.disconnect().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
