//! Giving memory back after a burst.
//!
//! Rust's collections keep their largest capacity for ever: a connection that once held
//! 20 000 messages in flight would keep room for 20 000 while idle (issue 15 measured about
//! 10 MiB per client). Each collection that can grow with traffic is trimmed when it has
//! become mostly empty. The hysteresis (shrink to twice the length once the length is under
//! a quarter of the capacity) keeps the cost amortised: a collection that keeps a steady
//! size never shrinks, and one that shrinks has to grow by half again before it can shrink
//! again.

use bytes::BytesMut;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hash};

/// Capacity (in elements) below which nothing is given back: the allocations of an idle
/// connection are this small anyway, and a steady trickle must not reallocate.
pub(crate) const KEEP: usize = 16;

/// Bytes of buffer an idle connection keeps (one read or write of ordinary packets).
pub(crate) const KEEP_BYTES: usize = 16 * 1024;

/// Whether a collection of `len` elements in `cap` slots is worth shrinking.
fn sparse(len: usize, cap: usize) -> bool {
    cap > KEEP && len.saturating_mul(4) < cap
}

fn target(len: usize) -> usize {
    (len * 2).max(KEEP / 2)
}

/// A collection that can give back capacity it no longer needs.
pub(crate) trait Trim {
    /// Shrink if mostly empty (see the module's documentation); cheap when not.
    fn trim(&mut self);
}

impl<T> Trim for VecDeque<T> {
    fn trim(&mut self) {
        if sparse(self.len(), self.capacity()) {
            self.shrink_to(target(self.len()));
        }
    }
}

impl<T> Trim for Vec<T> {
    fn trim(&mut self) {
        if sparse(self.len(), self.capacity()) {
            self.shrink_to(target(self.len()));
        }
    }
}

impl<K: Eq + Hash, V, S: BuildHasher> Trim for HashMap<K, V, S> {
    fn trim(&mut self) {
        if sparse(self.len(), self.capacity()) {
            self.shrink_to(target(self.len()));
        }
    }
}

/// A byte buffer that is empty and far larger than an ordinary read or write is replaced
/// by a fresh one. Only when empty: the bytes in it may be half a packet.
pub(crate) fn trim_buffer(buf: &mut BytesMut) {
    if buf.is_empty() && buf.capacity() > 2 * KEEP_BYTES {
        *buf = BytesMut::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drained_collection_gives_back_its_peak_and_a_steady_one_keeps_it() {
        let mut q: VecDeque<u64> = (0..20_000).collect();
        let peak = q.capacity();
        q.truncate(10);
        q.trim();
        assert!(q.capacity() <= 2 * KEEP, "{} of {peak} kept", q.capacity());

        let mut steady: VecDeque<u64> = (0..1000).collect();
        let cap = steady.capacity();
        for i in 0..10_000 {
            steady.pop_front();
            steady.push_back(i);
            steady.trim();
        }
        assert_eq!(steady.capacity(), cap, "a steady size must not reallocate");

        let mut m: HashMap<u16, [u8; 64]> = (0..20_000).map(|i| (i, [0; 64])).collect();
        m.retain(|k, _| *k < 3);
        m.trim();
        assert!(m.capacity() <= 2 * KEEP);
        assert_eq!(m.len(), 3);

        let mut b = BytesMut::with_capacity(4 << 20);
        b.extend_from_slice(b"half a packet");
        trim_buffer(&mut b);
        assert!(
            b.capacity() >= 4 << 20,
            "a buffer holding bytes is left alone"
        );
        b.clear();
        trim_buffer(&mut b);
        assert!(b.capacity() <= KEEP_BYTES);
    }
}
