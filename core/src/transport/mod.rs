//! Layer 4: the byte stream under MQTT. Plain TCP for now; TLS, WebSockets and proxies
//! join later as further `Stream` implementations, so the driver never changes.

mod tcp;

pub use tcp::{connect_tcp, TcpOptions};

use tokio::io::{AsyncRead, AsyncWrite};

/// Any full-duplex byte stream the driver can run MQTT over.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Stream for T {}

pub type BoxStream = Box<dyn Stream>;
