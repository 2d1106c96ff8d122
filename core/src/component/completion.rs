//! A one-shot result that both a blocking waiter (through the event queue's condition
//! variable) and an async waiter (through a waker) can wait for.

use crate::error::Result;
use parking_lot::Mutex;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

/// `T` is what a success carries: nothing for most waits, the acknowledgement for a
/// publish that is waited for ([`super::delivery::Delivered`]).
pub(crate) struct Completion<T = ()> {
    inner: Arc<Mutex<Slot<T>>>,
}

impl<T> Clone for Completion<T> {
    fn clone(&self) -> Self {
        Completion {
            inner: self.inner.clone(),
        }
    }
}

impl<T> Default for Completion<T> {
    fn default() -> Self {
        Completion {
            inner: Arc::new(Mutex::new(Slot {
                result: None,
                wakers: Vec::new(),
            })),
        }
    }
}

struct Slot<T> {
    result: Option<Result<T>>,
    /// Every task waiting: several may await one completion (the requests sharing the
    /// SUBACK of their response topic).
    wakers: Vec<Waker>,
}

impl<T: Clone> Completion<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// The first result wins; later ones are ignored.
    pub fn complete(&self, result: Result<T>) {
        let wakers = {
            let mut s = self.inner.lock();
            if s.result.is_some() {
                return;
            }
            s.result = Some(result);
            std::mem::take(&mut s.wakers)
        };
        for w in wakers {
            w.wake();
        }
    }

    pub fn is_done(&self) -> bool {
        self.inner.lock().result.is_some()
    }

    pub fn peek(&self) -> Option<Result<T>> {
        self.inner.lock().result.clone()
    }
}

impl<T: Clone> Future for Completion<T> {
    type Output = Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        let mut s = self.inner.lock();
        match &s.result {
            Some(r) => Poll::Ready(r.clone()),
            None => {
                if !s.wakers.iter().any(|w| w.will_wake(cx.waker())) {
                    s.wakers.push(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }
}
