#![allow(dead_code)]
//! A mosquitto of a test's own, for tests that stop and restart the broker (the shared one
//! from tests/harness serves every other test at the same time and must stay up).

use std::io::Write;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct PrivateBroker {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

fn mosquitto() -> PathBuf {
    for p in ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"] {
        if std::path::Path::new(p).exists() {
            return p.into();
        }
    }
    "mosquitto".into()
}

impl PrivateBroker {
    /// Start on a free port; `extra` lines go into the listener's config (`{dir}` in them
    /// stands for the broker's own folder, e.g. for its persistence file).
    pub fn start(extra: &str) -> PrivateBroker {
        let dir = std::env::temp_dir().join(format!(
            "ferromq-private-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let mut b = PrivateBroker {
                port,
                dir: dir.clone(),
                child: None,
            };
            let mut conf = std::fs::File::create(dir.join("mosquitto.conf")).unwrap();
            writeln!(
                conf,
                "listener {port} 127.0.0.1\nallow_anonymous true\nuser root\nmax_queued_messages 100000\n{}",
                extra.replace("{dir}", &dir.display().to_string())
            )
            .unwrap();
            if b.spawn() {
                return b;
            }
        }
        panic!("cannot start a private mosquitto");
    }

    fn spawn(&mut self) -> bool {
        let child = Command::new(mosquitto())
            .arg("-c")
            .arg(self.dir.join("mosquitto.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto is installed (scripts/setup.sh)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return true;
            }
            if let Some(Ok(Some(_))) = self.child.as_mut().map(|c| c.try_wait()) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// SIGKILL: no goodbye to the clients, nothing saved beyond what autosave wrote.
    pub fn kill(&mut self) {
        self.resume();
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Start again on the same port and config.
    pub fn restart(&mut self) {
        self.kill();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.spawn() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("mosquitto did not come back on port {}", self.port);
    }

    /// Freeze the broker (SIGSTOP): connections stay open but nothing is answered.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, sig: &str) {
        if let Some(c) = &self.child {
            let _ = Command::new("kill")
                .arg(sig)
                .arg(c.id().to_string())
                .status();
        }
    }

    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }
}

impl Drop for PrivateBroker {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
