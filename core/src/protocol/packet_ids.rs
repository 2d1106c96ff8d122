//! Packet identifier allocation for what we send (PUBLISH QoS 1/2, SUBSCRIBE, UNSUBSCRIBE).
//!
//! Ids are handed out round-robin starting after the last one used, so a just-freed id is
//! not reused at once: a late duplicate acknowledgement for it would otherwise be taken
//! for the acknowledgement of an unrelated new packet.

use crate::error::{code, Error, Result};

pub(crate) struct PacketIds {
    next: u16,
}

impl Default for PacketIds {
    fn default() -> Self {
        PacketIds { next: 1 }
    }
}

impl PacketIds {
    /// The id the next allocation tries first (kept in a saved session, so a restored
    /// client does not reuse the ids it used last at once).
    pub fn next(&self) -> u16 {
        self.next
    }

    /// Continue allocating from `id` (0 is taken as 1).
    pub fn set_next(&mut self, id: u16) {
        self.next = id.max(1);
    }

    /// The next free id after the last one handed out. `in_use_count` lets the common
    /// "everything is taken" case fail without scanning 65 535 ids.
    pub fn allocate(&mut self, in_use_count: usize, in_use: impl Fn(u16) -> bool) -> Result<u16> {
        if in_use_count < usize::from(u16::MAX) {
            let mut id = self.next;
            for _ in 0..u16::MAX {
                if !in_use(id) {
                    self.next = if id == u16::MAX { 1 } else { id + 1 };
                    return Ok(id);
                }
                id = if id == u16::MAX { 1 } else { id + 1 };
            }
        }
        Err(Error::new(
            code::PACKET_ID_EXHAUSTED,
            "no packet identifier is free: all 65535 are taken by unacknowledged \
             PUBLISH (QoS 1/2), SUBSCRIBE and UNSUBSCRIBE packets; wait for acknowledgements",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::PacketIds;

    #[test]
    fn wraps_from_65535_to_1_and_never_gives_0() {
        let mut ids = PacketIds { next: u16::MAX };
        assert_eq!(ids.allocate(0, |_| false).unwrap(), u16::MAX);
        assert_eq!(ids.allocate(0, |_| false).unwrap(), 1);
        assert_eq!(ids.allocate(1, |id| id == 2).unwrap(), 3);
    }

    #[test]
    fn full_space_is_an_error_even_if_the_count_is_off() {
        let mut ids = PacketIds::default();
        let e = ids.allocate(10, |_| true).unwrap_err();
        assert_eq!(e.code, crate::error::code::PACKET_ID_EXHAUSTED);
    }
}
