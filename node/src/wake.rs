//! The push-mode notifier: the core calls it from an engine thread when events are waiting;
//! it queues one call of the JS drain function (given to the constructor) on the JS thread,
//! which then takes the events with `takeEvents`.

use ferromq::EventNotifier;
use napi::threadsafe_function::{ErrorStrategy, ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, JsFunction};
use std::sync::Arc;

pub type Drain = ThreadsafeFunction<(), ErrorStrategy::Fatal>;

/// An unbounded queue is fine: the core calls the notifier once per batch, not per event.
pub fn drain_function(env: &Env, js_drain: &JsFunction) -> napi::Result<Drain> {
    let mut tsfn: Drain = js_drain.create_threadsafe_function(0, |_ctx| Ok(Vec::<u32>::new()))?;
    // A client that is not connected must not keep the process alive; `index.js` refs it
    // while the client is connected, connecting or about to reconnect (unless unref'd).
    tsfn.unref(env)?;
    Ok(tsfn)
}

pub fn notifier(drain: &Drain) -> EventNotifier {
    let drain = drain.clone();
    Arc::new(move || {
        // Closing only happens while Node shuts down; the events then have nobody to go to.
        let _ = drain.call((), ThreadsafeFunctionCallMode::NonBlocking);
    })
}
