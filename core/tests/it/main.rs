//! The core's integration tests, one binary (`cargo test -p ferromq --test it`): a binary per
//! file cost a link each. A new test file joins with one `mod` line below; run one file's
//! tests with a filter, e.g. `cargo test -p ferromq --test it transport_tls::`.
//!
//! The few tests that need a process of their own stay beside this folder, each saying why
//! (core/tests/*.rs): a global allocator, or process-wide figures such as peak RSS.

// Helpers shared by the test modules.
mod codec_gen;
mod common;
mod protocol_harness;
mod transport_util;

// The codec.
mod codec_encode;
mod codec_malformed;
mod codec_roundtrip;
mod codec_stream;
mod codec_vectors;
mod property_table;
mod topic;

// The sans-IO protocol state machine, on virtual time.
mod protocol_alias;
mod protocol_bytes;
mod protocol_connect;
mod protocol_ids;
mod protocol_manual_ack;
mod protocol_qos;
mod protocol_recovery;
mod protocol_session;
mod protocol_session_limits;

// The transports against the servers of tests/harness/transports.
mod transport_certs;
mod transport_class;
mod transport_proxy;
mod transport_socket;
mod transport_tls;
mod transport_ws;

// The mqtt class against real brokers.
mod class;
mod config_registry;
mod connect_race;
mod direct_write;
mod event_description;
mod hostile;
mod manual_ack;
mod members;
mod per_message;
mod reconnect;
mod recovery;
mod scenarios;
mod session;
mod settings_on_the_wire;
mod v5;

// Faults: brokers killed, connections cut, the publishing process killed.
mod fault_publisher_kill;
mod faults;
