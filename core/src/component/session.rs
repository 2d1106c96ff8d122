//! SaveSession and RestoreSession: the client-side session as text (and SessionStateFile).

use super::state::Phase;
use super::{session_file, Mqtt};
use crate::error::{code, Error, Result};

impl Mqtt {
    /// SaveSession: the client-side session (unacknowledged QoS 1/2 messages both ways,
    /// their packet ids and states) as text; also written to SessionStateFile when set.
    pub fn save_session(&self) -> Result<String> {
        let sh = self.sh();
        let live = sh.state.lock().link.conn.clone();
        let state = match live {
            Some((engine, _)) => engine.state.lock().conn.session(),
            None => sh.state.lock().session.clone().unwrap_or_default(),
        };
        let text = state.to_text();
        let file = sh.props.lock().cfg.session_state_file.clone();
        if !file.is_empty() {
            session_file::write(&file, &text, true)?;
        }
        sh.log(
            1,
            "Session",
            format!(
                "session saved: {} outgoing and {} incoming message(s){}",
                state.outgoing().len(),
                state.incoming().len(),
                if file.is_empty() {
                    String::new()
                } else {
                    format!(" to {file}")
                }
            ),
        );
        Ok(text)
    }

    /// RestoreSession: load a saved session (from SessionStateFile when set, else from
    /// `state`) for the next Connect, and set CleanSession false. Bad or missing data is an
    /// error and loads nothing.
    pub fn restore_session(&self, state: &str) -> Result<()> {
        let sh = self.sh();
        if self.busy() {
            return Err(too_late());
        }
        let file = sh.props.lock().cfg.session_state_file.clone();
        let text = if file.is_empty() {
            state.to_string()
        } else {
            session_file::read(&file)?
        };
        let session = crate::protocol::SessionState::from_text(&text)?;
        // Loaded under the state lock, checked again: a Connect on another thread either
        // takes this session or makes RestoreSession fail.
        let mut st = sh.state.lock();
        if st.link.phase != Phase::Idle {
            return Err(too_late());
        }
        sh.log(
            1,
            "Session",
            format!(
                "session restored: {} outgoing and {} incoming message(s)",
                session.outgoing().len(),
                session.incoming().len()
            ),
        );
        {
            let mut mirror = sh.mirror.lock();
            mirror.clear();
            mirror.incoming = session.incoming().into();
            mirror.outgoing = session.outgoing().into();
        }
        {
            let mut p = sh.props.lock();
            p.clean_session = false;
            p.cfg.session_publish_count = session.published();
            if !file.is_empty() {
                p.session_file_owned = file;
            }
        }
        st.session = Some(session);
        Ok(())
    }
}

fn too_late() -> Error {
    Error::new(
        code::BAD_STATE,
        "RestoreSession must be called before Connect: the session is loaded into the next connection",
    )
}
