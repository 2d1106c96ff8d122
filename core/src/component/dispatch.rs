//! Firing events: DoEvents, the handler and the push-mode notifier, `take_events`, the
//! SSLServerAuthentication answer, and the waits of blocking and async methods (which fire
//! events while they wait).

use super::completion::Completion;
use super::event::Event;
use super::{EventHandler, EventNotifier, Mqtt, WaitCheck, WAIT_CHECK_EVERY};
use crate::driver;
use crate::error::{code, Error, Result};
use std::future::Future;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// How long one turn of firing handlers may last before the dispatching thread looks at
/// its own deadline again (a handler's own time aside: it is never cut short). Without a
/// bound, a server that sends faster than the handlers run keeps the thread firing for
/// ever: `do_events` never returns and a Timeout is never honoured.
const DISPATCH_SLICE: Duration = Duration::from_millis(100);

/// How long `do_events` waits for an event when none is pending.
const DO_EVENTS_WAIT: Duration = Duration::from_millis(100);

impl Mqtt {
    // ---- events ----

    /// Fires every pending event; when none is pending waits briefly for one.
    ///
    /// Returns after one turn of firing (`DISPATCH_SLICE` at most, a handler's own time
    /// aside) even when more keep arriving: the caller's loop stays in control.
    pub fn do_events(&self) -> Result<()> {
        if self.dispatch_pending() == 0 && !self.push_mode() {
            let sh = self.sh();
            let until = Instant::now() + DO_EVENTS_WAIT;
            let started = sh.interrupts.load(Ordering::SeqCst);
            loop {
                let now = Instant::now();
                let check = sh.hooks.read().wait_check.clone();
                let step = match &check {
                    Some(_) => until.min(now + WAIT_CHECK_EVERY),
                    None => until,
                };
                sh.queue.wait(Some(step), true, || {
                    sh.interrupts.load(Ordering::SeqCst) != started
                });
                // DoEvents waits for nothing of its own: stopping it ends the wait, and the
                // connection stays as it is (a program catching Ctrl-C in its event loop
                // decides itself whether to disconnect).
                if check.is_some_and(|c| c()) {
                    return Err(Error::interrupted("waiting for events"));
                }
                if Instant::now() >= until
                    || !sh.queue.is_empty()
                    || sh.interrupts.load(Ordering::SeqCst) != started
                {
                    break;
                }
            }
            self.dispatch_pending();
        }
        Ok(())
    }

    /// Install (or remove, with None) the check a waiting thread asks; see [`WaitCheck`].
    pub fn set_wait_check(&self, check: Option<WaitCheck>) {
        self.sh().hooks.write().wait_check = check;
    }

    /// Pull mode handler (None removes it).
    pub fn set_event_handler(&self, handler: Option<EventHandler>) {
        self.sh().hooks.write().handler = handler;
    }

    /// Push mode: `notifier` is called (from an engine thread, no lock held) when events are
    /// pending; the face then calls `take_events` on its own thread. None returns to pull.
    pub fn set_event_notifier(&self, notifier: Option<EventNotifier>) {
        let has = notifier.is_some();
        self.sh().hooks.write().notifier = notifier;
        if has && !self.sh().queue.is_empty() {
            let n = self.sh().hooks.read().notifier.clone();
            if let Some(n) = n {
                n();
            }
        }
    }

    /// Push mode: take up to `max` pending events, in order. A batch ends after a
    /// MessageAck, so the message is still in its collection while that event is handled.
    pub fn take_events(&self, max: usize) -> Vec<Event> {
        let sh = self.sh();
        let mut out = Vec::new();
        while out.len() < max {
            let Some(item) = sh.queue.pop() else { break };
            let ev = sh.convert(item);
            if let Some(ev) = ev {
                // After an SSLServerAuthentication the batch ends too: the face answers it
                // before anything later is taken (see answer_server_authentication).
                let stop = matches!(ev, Event::MessageAck(_) | Event::SslServerAuthentication(_));
                out.push(ev);
                if stop {
                    break;
                }
            }
        }
        out
    }

    /// The answer to the SSLServerAuthentication event just handled: whether to accept the
    /// server. Pull mode (DoEvents) answers by itself with the handler's `accept`; a face
    /// that fires events on a thread of its own calls this after its handler ran. Only a
    /// certificate that verified, or whose failure was allowed beforehand
    /// (SSLAcceptAnyServerCert, SSLAcceptServerCert), can be accepted.
    pub fn answer_server_authentication(&self, accept: bool) {
        let sh = self.sh();
        let answer = {
            let mut st = sh.state.lock();
            let auth = &mut st.auth;
            // An answer to an event of an attempt that is over (or that never waited) is no
            // answer for the handshake waiting now: its own event is still to come.
            if auth
                .waiting
                .as_ref()
                .is_some_and(|(seq, _)| *seq == auth.delivered)
            {
                auth.waiting.take()
            } else {
                None
            }
        };
        if let Some((_, tx)) = answer {
            let _ = tx.send(accept);
        }
    }

    /// For a consumer that fires events on its own thread (push mode): whether it answers
    /// each SSLServerAuthentication event with `answer_server_authentication`. When on, the
    /// TLS handshake waits for that answer (within the connect timeout); when off (the
    /// default), the event is informational in push mode and the default decision stands.
    pub fn set_push_answers_server_authentication(&self, on: bool) {
        self.sh().state.lock().auth.push_answers = on;
    }

    pub(super) fn push_mode(&self) -> bool {
        self.sh().hooks.read().notifier.is_some()
    }

    /// Fire pending events on this thread, unless another thread is already firing them.
    /// Returns how many were fired.
    pub(super) fn dispatch_pending(&self) -> usize {
        if self.push_mode() {
            return 0;
        }
        let sh = self.sh();
        let Some(_turn) = sh.dispatch.try_lock() else {
            return 0;
        };
        let handler = sh.hooks.read().handler.clone();
        let until = Instant::now() + DISPATCH_SLICE;
        self.fire_events(usize::MAX, Some(until), |ev| {
            if let Some(h) = &handler {
                h(ev);
            }
        })
        .count
    }

    /// Wait up to `timeout` seconds for `done`, firing events meanwhile.
    pub(super) fn block_until(
        &self,
        timeout: i32,
        what: &str,
        done: impl Fn() -> bool,
    ) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(timeout.max(0) as u64);
        self.block_until_deadline(deadline, what, done)
            .map_err(|e| match e.code {
                code::TIMEOUT => {
                    Error::new(code::TIMEOUT, format!("timed out after {timeout} s {what}"))
                }
                _ => e,
            })
    }

    /// `block_until` with a deadline instead of a number of seconds.
    pub(super) fn block_until_deadline(
        &self,
        deadline: Instant,
        what: &str,
        done: impl Fn() -> bool,
    ) -> Result<()> {
        let sh = self.sh();
        // Interrupt counts up; a change since this call began (from another thread, or from a
        // handler this call fired) ends the wait.
        let started = sh.interrupts.load(Ordering::SeqCst);
        let interrupted = || sh.interrupts.load(Ordering::SeqCst) != started;
        let done = || done() || interrupted();
        let check = sh.hooks.read().wait_check.clone();
        loop {
            self.dispatch_pending();
            if check.as_ref().is_some_and(|c| c()) {
                self.interrupt()?;
            }
            if interrupted() {
                return Err(Error::interrupted(what));
            }
            if done() {
                self.dispatch_pending();
                return Ok(());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::new(code::TIMEOUT, format!("timed out {what}")));
            }
            // When another thread is firing events we only wait for our own result, and
            // look again shortly in case that thread has moved on.
            let may_fire = !self.push_mode()
                && (!sh.dispatch.is_locked() || sh.dispatch.is_owned_by_current_thread());
            let mut until = if may_fire {
                deadline
            } else {
                deadline.min(now + Duration::from_millis(10))
            };
            if check.is_some() {
                until = until.min(now + WAIT_CHECK_EVERY);
            }
            sh.queue.wait(Some(until), may_fire, done);
        }
    }

    /// The end of a blocking method: Timeout 0 returns at once (the outcome arrives as
    /// events); otherwise wait for `done`.
    pub(super) fn finish_blocking(
        &self,
        done: &Completion,
        what: &str,
        abort_on_timeout: bool,
    ) -> Result<()> {
        if self.timeout() == 0 {
            // Non-blocking: the outcome, and anything else pending, fires from DoEvents.
            return Ok(());
        }
        self.wait_blocking(done, what, abort_on_timeout)
    }

    /// Wait for `done` on this thread, firing events meanwhile, bounded by Timeout (without
    /// a bound when Timeout is 0: the caller asked for this very result).
    pub(super) fn wait_blocking<T: Clone + Send + 'static>(
        &self,
        done: &Completion<T>,
        what: &str,
        abort_on_timeout: bool,
    ) -> Result<T> {
        let timeout = match self.timeout() {
            0 => i32::MAX,
            t => t,
        };
        let d = done.clone();
        match self.block_until(timeout, what, move || d.is_done()) {
            Ok(()) => done
                .peek()
                .unwrap_or_else(|| Err(Error::new(code::BAD_STATE, format!("{what}: no outcome")))),
            Err(e) => {
                if abort_on_timeout {
                    self.abort_connection();
                }
                Err(e)
            }
        }
    }

    // ---- async methods ----

    /// Await `done` on the shared runtime, bounded by Timeout when it is set.
    pub(super) fn finish_async<T: Clone + Send + 'static>(
        &self,
        started: Result<Completion<T>>,
        what: &'static str,
        abort_on_timeout: bool,
    ) -> impl Future<Output = Result<T>> + Send + 'static {
        let timeout = self.timeout();
        let me = self.downgrade();
        let shared = self.sh().clone();
        let epoch = shared.interrupts.load(Ordering::SeqCst);
        async move {
            let done = started?;
            // Interrupt ends an async wait too, with the same 301 a blocking one gets.
            let interrupted = shared.interrupted_since(epoch, what);
            if timeout == 0 {
                return tokio::select! {
                    r = done => r,
                    e = interrupted => Err(e),
                };
            }
            let limit = Duration::from_secs(timeout as u64);
            let waited = tokio::select! {
                w = driver::runtime().spawn(async move { tokio::time::timeout(limit, done).await }) => w,
                e = interrupted => return Err(e),
            };
            match waited {
                Ok(Ok(r)) => r,
                Ok(Err(_)) => {
                    if abort_on_timeout {
                        if let Some(m) = me.upgrade() {
                            m.abort_connection();
                        }
                    }
                    Err(Error::new(
                        code::TIMEOUT,
                        format!("timed out after {timeout} s {what}"),
                    ))
                }
                Err(e) => Err(Error::new(
                    code::BAD_STATE,
                    format!("engine task failed: {e}"),
                )),
            }
        }
    }

    /// Runs `wait` on the runtime (its timers need one; the faces poll from their own
    /// threads) for at most `limit` (201 with `timed_out`'s text), ending it early on
    /// Interrupt (301). The wait is cancelled, not left running, when either ends it or the
    /// caller drops the future: a publish or request given up on must not go out later.
    pub(super) async fn bounded_wait<T: Send + 'static>(
        &self,
        wait: impl Future<Output = Result<T>> + Send + 'static,
        limit: Duration,
        epoch: u64,
        what: &'static str,
        timed_out: impl FnOnce() -> String,
    ) -> Result<T> {
        let task = driver::runtime().spawn(async move { tokio::time::timeout(limit, wait).await });
        let _cancel = AbortOnDrop(task.abort_handle());
        let shared = self.sh().clone();
        let interrupted = shared.interrupted_since(epoch, what);
        let interrupted_now = || shared.interrupts.load(Ordering::SeqCst) != epoch;
        tokio::select! {
            waited = task => match waited {
                // Interrupt closes the connection, which can end the wait first: the
                // failure is then the interrupt's.
                Ok(Err(_)) | Ok(Ok(Err(_))) if interrupted_now() => Err(Error::interrupted(what)),
                Ok(Ok(r)) => r,
                Ok(Err(_)) => Err(Error::new(code::TIMEOUT, timed_out())),
                Err(e) => Err(Error::new(code::BAD_STATE, format!("task failed while {what}: {e}"))),
            },
            e = interrupted => Err(e),
        }
    }
}

/// Cancels a task spawned on the runtime for a face's future when that future is dropped
/// or finishes: what the caller gave up on must not go on by itself.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
