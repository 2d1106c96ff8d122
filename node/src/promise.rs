//! Runs the core's `*_async` futures without ever blocking the JS thread.
//!
//! Most calls (a publish, a refused argument) finish on their first poll, so we poll once
//! right here on the JS thread: a finished call costs no task, no promise and no thread
//! hop (`index.js` turns "done" into a resolved Promise). Only a call that has to wait for
//! the network becomes a task on the core runtime, settling a napi promise on the JS thread
//! when it ends.

use crate::errors;
use crate::guard::panic_message;
use ferromq::code;
use napi::bindgen_prelude::ToNapiValue;
use napi::{Env, JsObject, JsUnknown};
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Wake, Waker};

type BoxedCall<T> = Pin<Box<dyn Future<Output = ferromq::Result<T>> + Send>>;

/// `Ok(None)`: finished successfully now. `Ok(Some(promise))`: still running.
/// `Err`: failed now (a JS error carrying the documented code).
pub fn start<F>(env: &Env, call: F) -> napi::Result<Option<JsObject>>
where
    F: Future<Output = ferromq::Result<()>> + Send + 'static,
{
    match first_poll(call) {
        Ok(Ok(())) => Ok(None),
        Ok(Err(e)) => Err(errors::to_js(env, &e)),
        Err(call) => spawn(env, call, |_env, ()| Ok(())).map(Some),
    }
}

/// A call with a result (`convert` makes its JavaScript value on the JS thread): that value
/// when it finished now, else a Promise resolving to it (`index.js` tells them apart).
pub fn start_with<T, F, C>(env: &Env, call: F, convert: C) -> napi::Result<JsUnknown>
where
    T: Send + 'static,
    F: Future<Output = ferromq::Result<T>> + Send + 'static,
    C: FnOnce(&Env, T) -> napi::Result<JsUnknown> + Send + 'static,
{
    match first_poll(call) {
        Ok(Ok(v)) => convert(env, v),
        Ok(Err(e)) => Err(errors::to_js(env, &e)),
        Err(call) => spawn(env, call, convert).map(JsObject::into_unknown),
    }
}

/// Polls once on this thread; gives the call back when it has to wait.
fn first_poll<T, F>(call: F) -> Result<ferromq::Result<T>, BoxedCall<T>>
where
    F: Future<Output = ferromq::Result<T>> + Send + 'static,
{
    let mut call: BoxedCall<T> = Box::pin(call);
    // Inside the core runtime's context, as every later poll is, so the first poll sees the
    // same context as the rest (the core's futures make their timers on the runtime
    // themselves; core/tests/it/per_message.rs polls them outside any runtime).
    let _rt = ferromq::driver::runtime().enter();
    let waker = idle_waker();
    let mut cx = Context::from_waker(&waker);
    match call.as_mut().poll(&mut cx) {
        Poll::Ready(r) => Ok(r),
        Poll::Pending => Err(call),
    }
}

/// The call goes on as a task on the core runtime; its Promise settles on the JS thread.
fn spawn<T, C, V>(env: &Env, call: BoxedCall<T>, convert: C) -> napi::Result<JsObject>
where
    T: Send + 'static,
    C: FnOnce(&Env, T) -> napi::Result<V> + Send + 'static,
    V: ToNapiValue + 'static,
{
    let (deferred, promise) = env.create_deferred()?;
    // The task polls again with a real waker, which replaces the idle one.
    ferromq::driver::runtime().spawn(async move {
        let outcome = NoUnwind(call).await;
        deferred.resolve(move |env: Env| match outcome {
            Ok(v) => convert(&env, v),
            Err(e) => Err(errors::to_js(&env, &e)),
        });
    });
    Ok(promise)
}

/// The waker for the first, synchronous poll: nobody waits on it, the runtime task that
/// takes over polls again with its own.
fn idle_waker() -> Waker {
    struct Idle;
    impl Wake for Idle {
        fn wake(self: Arc<Self>) {}
    }
    static IDLE: OnceLock<Waker> = OnceLock::new();
    IDLE.get_or_init(|| Waker::from(Arc::new(Idle))).clone()
}

/// A panic inside the core while the task polls becomes a rejection, so the promise always
/// settles (an unsettled napi promise would also keep the process alive for ever).
struct NoUnwind<T>(BoxedCall<T>);

impl<T> Future for NoUnwind<T> {
    type Output = ferromq::Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = &mut self.0;
        match catch_unwind(AssertUnwindSafe(|| inner.as_mut().poll(cx))) {
            Ok(p) => p,
            Err(payload) => Poll::Ready(Err(ferromq::Error::new(
                code::BAD_STATE,
                format!(
                    "ferromq: internal error (Rust panic): {}",
                    panic_message(payload.as_ref())
                ),
            ))),
        }
    }
}
