//! In-flight messages keyed by packet id, iterated in the order they entered.
//!
//! Acknowledgements arrive by id and need O(1) lookup, while `outgoing()`/`incoming()`
//! must list messages in arrival order even when they are acknowledged out of order, so
//! a hash map is paired with an ordered index of insertion sequence numbers.

use crate::memory::Trim;
use std::collections::{BTreeMap, HashMap};

pub(crate) struct Inflight<T> {
    map: HashMap<u16, (u64, T)>,
    order: BTreeMap<u64, u16>,
    next_seq: u64,
}

impl<T> Default for Inflight<T> {
    fn default() -> Self {
        Inflight {
            map: HashMap::new(),
            order: BTreeMap::new(),
            next_seq: 0,
        }
    }
}

impl<T> Inflight<T> {
    /// Adds `value` at the end of the order. The caller guarantees `id` is not present:
    /// replacing silently would leave a stale order entry behind.
    pub fn insert(&mut self, id: u16, value: T) {
        debug_assert!(!self.map.contains_key(&id));
        let seq = self.next_seq;
        self.next_seq += 1;
        self.map.insert(id, (seq, value));
        self.order.insert(seq, id);
    }

    pub fn remove(&mut self, id: u16) -> Option<T> {
        let (seq, value) = self.map.remove(&id)?;
        self.order.remove(&seq);
        // The BTreeMap frees its nodes as they empty; the hash map keeps its peak.
        self.map.trim();
        Some(value)
    }

    pub fn get(&self, id: u16) -> Option<&T> {
        self.map.get(&id).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, id: u16) -> Option<&mut T> {
        self.map.get_mut(&id).map(|(_, v)| v)
    }

    pub fn contains(&self, id: u16) -> bool {
        self.map.contains_key(&id)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Removes everything, returning it in the order it entered.
    pub fn take_all(&mut self) -> Vec<(u16, T)> {
        let order = std::mem::take(&mut self.order);
        let mut map = std::mem::take(&mut self.map);
        order
            .into_values()
            .filter_map(|id| map.remove(&id).map(|(_, v)| (id, v)))
            .collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = (u16, &T)> + '_ {
        self.order
            .values()
            .filter_map(move |id| self.map.get(id).map(|(_, v)| (*id, v)))
    }
}

#[cfg(test)]
mod tests {
    use super::Inflight;

    #[test]
    fn iterates_in_insertion_order_after_out_of_order_removal() {
        let mut f = Inflight::default();
        for id in [5u16, 1, 9, 3] {
            f.insert(id, id * 10);
        }
        assert_eq!(f.remove(1), Some(10));
        assert_eq!(f.remove(1), None);
        f.insert(1, 11);
        let order: Vec<_> = f.iter().map(|(id, v)| (id, *v)).collect();
        assert_eq!(order, vec![(5, 50), (9, 90), (3, 30), (1, 11)]);
        assert_eq!(f.len(), 4);
    }
}
