//! placeholder until the transport layer lands
