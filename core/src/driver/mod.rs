//! Layer 5: one tokio task per client joining a transport to a protocol state machine.
