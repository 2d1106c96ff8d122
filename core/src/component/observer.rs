//! The transport's progress as the class's events: ConnectionStatus for each step,
//! SSLStatus lines, and SSLServerAuthentication, whose handler decides about the server.

use super::event::{ConnectionStatusEvent, Event, SslServerAuthenticationEvent, SslStatusEvent};
use super::items::Item;
use super::shared::Shared;
use crate::transport::{Decision, ServerAuthentication, TransportObserver};
use bytes::Bytes;
use std::sync::Arc;

pub(crate) struct Observer {
    pub shared: Arc<Shared>,
}

impl TransportObserver for Observer {
    fn connection_status(&self, event: &str, code: i32, description: &str) {
        self.shared
            .push_event(Event::ConnectionStatus(ConnectionStatusEvent {
                connection_event: event.to_string(),
                status_code: code,
                description: description.to_string(),
            }));
        self.shared.announce();
    }

    fn ssl_status(&self, message: &str) {
        self.shared.push_event(Event::SslStatus(SslStatusEvent {
            message: message.to_string(),
        }));
        self.shared.announce();
    }

    fn server_authentication<'a>(&'a self, auth: &'a ServerAuthentication) -> Decision<'a> {
        let sh = &self.shared;
        let cert = auth.cert();
        let event = Event::SslServerAuthentication(SslServerAuthenticationEvent {
            cert_encoded: cert.encoded.clone(),
            cert_encoded_b: Bytes::from(cert.encoded_b.clone()),
            cert_subject: cert.subject.clone(),
            cert_issuer: cert.issuer.clone(),
            status: auth.status.clone(),
            accept: auth.accept,
        });
        // Waiting only makes sense when someone will answer: a handler fired by DoEvents
        // (or a blocking call), which answers with the event's final `accept`, or a push-mode
        // consumer that said it answers (`set_push_answers_server_authentication`). Anyone
        // else sees the event and the default decision stands, so a handshake never hangs
        // on a consumer that stays silent.
        let (push, has_handler) = {
            let hooks = sh.hooks.read();
            (hooks.notifier.is_some(), hooks.handler.is_some())
        };
        let answered_by_dispatch = if push {
            sh.state.lock().auth.push_answers
        } else {
            has_handler
        };
        // A refusal stands whatever the answer (only an allowed certificate can be
        // accepted), so the handshake does not wait for one.
        if !answered_by_dispatch || !auth.accept {
            sh.queue.push(Item::Auth(0, event));
            sh.announce();
            return Box::pin(std::future::ready(auth.accept));
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        let seq = {
            let mut st = sh.state.lock();
            st.auth.issued += 1;
            st.auth.waiting = Some((st.auth.issued, tx));
            st.auth.issued
        };
        sh.queue.push(Item::Auth(seq, event));
        // A push consumer is told as for every other event; without it the event waited
        // for whatever came next, and the handshake with it.
        sh.announce();
        let default = auth.accept;
        Box::pin(async move {
            // A dropped sender (Reset, the client gone) keeps the default decision; the
            // connect timeout bounds the wait.
            rx.await.unwrap_or(default)
        })
    }
}
