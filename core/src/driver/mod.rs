//! Layer 5: one tokio task per connection joins a transport to a protocol state machine.
//!
//! The state machine sits in an [`Engine`] behind a short-held lock shared with the API
//! threads (as quinn shares its `Connection`): a publish is encoded on the caller's thread
//! into the engine's output buffer, and the task is only woken to write it. No lock is held
//! across an `.await`.

mod engine;
mod runtime;
mod task;

pub use engine::{AutoSave, Engine, EngineState, EventSink, Full, LinkEvent};
pub use runtime::runtime;
pub use task::{spawn, spawn_after, ConnectParams};
