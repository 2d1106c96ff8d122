//! Acknowledged publishes: the outcome of one message, awaited by the caller who published
//! it ([`Delivery`]), and where those waits are kept until the acknowledgement comes.

use super::completion::Completion;
use super::Mqtt;
use crate::codec::reason::reason_name;
use crate::error::{code, Error, Result};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A publish that completed for its QoS: written (QoS 0), acknowledged with PUBACK (QoS 1),
/// or with PUBCOMP (QoS 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivered {
    /// The packet identifier the message was sent with; -1 for QoS 0.
    pub packet_id: i32,
    /// The reason code of the acknowledgement (always 0 under 3.1.1 and for QoS 0; 0x10
    /// "no matching subscribers" is a success).
    pub reason_code: i32,
}

impl Delivered {
    /// A written QoS 0 message.
    pub(crate) const WRITTEN: Delivered = Delivered {
        packet_id: -1,
        reason_code: 0,
    };

    /// The outcome of an acknowledgement: a reason code of 0x80 or above refuses the message.
    pub(crate) fn from_ack(packet_id: u16, reason: u8, topic_hint: &str) -> Result<Delivered> {
        if reason >= 0x80 {
            return Err(Error::new(
                code::SERVER_REFUSED,
                format!(
                    "the server refused the message {topic_hint}(packet id {packet_id}): reason code 0x{reason:02X} ({})",
                    reason_name(reason)
                ),
            ));
        }
        Ok(Delivered {
            packet_id: packet_id.into(),
            reason_code: reason.into(),
        })
    }
}

/// One publish's outcome, from [`Mqtt::publish_with`]: wait for it on this thread
/// ([`Delivery::wait`]) or `.await` it. It fails with SERVER_REFUSED (506) on a refusing
/// reason code, and with the connection's error when the connection ends before the
/// acknowledgement (with a persistent session the message stays in it and is sent again
/// when the session resumes; only this wait is over).
///
/// ```no_run
/// use ferromq::{code, Mqtt, PublishOptions};
///
/// # async fn run(client: Mqtt) -> ferromq::Result<()> {
/// let qos2 = PublishOptions { qos: 2, ..PublishOptions::default() };
/// // In async code: await the acknowledgement (PUBCOMP for QoS 2).
/// let done = client.publish_with("orders/42", "paid", &qos2)?.await?;
/// println!("packet {} completed, reason {}", done.packet_id, done.reason_code);
///
/// // In blocking code: wait, or look without waiting.
/// let delivery = client.publish_with("orders/43", "paid", &qos2)?;
/// if delivery.result().is_none() {
///     match delivery.wait() {
///         Ok(d) => println!("done: {d:?}"),
///         Err(e) if e.code == code::SERVER_REFUSED => eprintln!("refused: {}", e.message),
///         Err(e) => return Err(e),
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub struct Delivery {
    pub(crate) done: Completion<Delivered>,
    pub(crate) client: Mqtt,
}

impl Delivery {
    /// Waits for the outcome, firing events on this thread meanwhile, up to Timeout
    /// seconds (without a bound when Timeout is 0). Interrupt ends it with 301.
    pub fn wait(&self) -> Result<Delivered> {
        self.client.wait_blocking(
            &self.done,
            "waiting for the publish's acknowledgement",
            false,
        )
    }

    /// The outcome if it is known already.
    pub fn result(&self) -> Option<Result<Delivered>> {
        self.done.peek()
    }
}

impl Future for Delivery {
    type Output = Result<Delivered>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<Delivered>> {
        Pin::new(&mut self.done).poll(cx)
    }
}
