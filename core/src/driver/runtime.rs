//! The one process-wide tokio runtime, started on first use and shared by every client.

use std::sync::OnceLock;
use tokio::runtime::{Builder, Runtime};

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// The shared runtime. Its threads only run driver tasks, which never block.
pub fn runtime() -> &'static Runtime {
    RUNTIME.get_or_init(|| {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .clamp(1, 4);
        Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("ferromq")
            .enable_all()
            .build()
            // Without a runtime no client can work at all; there is nothing to fall back to.
            .expect("ferromq: cannot start the tokio runtime")
    })
}
