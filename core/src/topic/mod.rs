//! placeholder until the topic layer lands
