//! A one-shot result that both a blocking waiter (through the event queue's condition
//! variable) and an async waiter (through a waker) can wait for.

use crate::error::Result;
use parking_lot::Mutex;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

#[derive(Clone, Default)]
pub(crate) struct Completion {
    inner: Arc<Mutex<Slot>>,
}

#[derive(Default)]
struct Slot {
    result: Option<Result<()>>,
    waker: Option<Waker>,
}

impl Completion {
    pub fn new() -> Self {
        Self::default()
    }

    /// The first result wins; later ones are ignored.
    pub fn complete(&self, result: Result<()>) {
        let waker = {
            let mut s = self.inner.lock();
            if s.result.is_some() {
                return;
            }
            s.result = Some(result);
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    pub fn is_done(&self) -> bool {
        self.inner.lock().result.is_some()
    }

    pub fn peek(&self) -> Option<Result<()>> {
        self.inner.lock().result.clone()
    }
}

impl Future for Completion {
    type Output = Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let mut s = self.inner.lock();
        match &s.result {
            Some(r) => Poll::Ready(r.clone()),
            None => {
                s.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
