//! placeholder until the driver layer lands
