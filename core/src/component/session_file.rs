//! SessionStateFile: the saved session on disk, written so that a crash at any moment leaves
//! either the old file or the new one, never a mixture.

use crate::driver::AutoSave;
use crate::error::{code, Error, Result};
use crate::protocol::SessionState;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Tells apart the temporary files of writes running at the same time (SaveSession on an
/// API thread while the driver auto-saves).
static WRITES: AtomicU64 = AtomicU64::new(0);

/// Write `text` to a temporary file beside `path`, then rename it over `path` (atomic on
/// POSIX file systems). With `sync`, the file is flushed to the disk before the rename and
/// the directory entry after it, so the new content also survives a power loss; without it
/// a killed process still leaves a whole file, but the OS may lose the last writes.
pub(crate) fn write(path: &str, text: &str, sync: bool) -> Result<()> {
    let target = Path::new(path);
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = target
        .file_name()
        .ok_or_else(|| io_error(path, "is not a file path"))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{}",
        name.to_string_lossy(),
        std::process::id(),
        WRITES.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        if sync {
            f.sync_data()?;
        }
        fs::rename(&tmp, target)?;
        if sync {
            // The rename itself must reach the disk too.
            if let Ok(d) = fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok::<_, std::io::Error>(())
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io_error(path, &format!("cannot be written: {e}"))
    })
}

pub(crate) fn read(path: &str) -> Result<String> {
    fs::read_to_string(path)
        .map_err(|e| io_error(path, &format!("cannot be read: {e}; nothing was loaded")))
}

/// The file's content if it exists; a missing file is `None`, any other failure an error.
pub(crate) fn read_if_present(path: &str) -> Result<Option<String>> {
    match fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error(path, &format!("cannot be read: {e}"))),
    }
}

/// The auto-saver of a connection (SessionAutoSave 1, or 2 with `sync`). Unless `owned`
/// (this client restored from the file, saved into it before, or carries a session of its
/// own), a file that still holds unacknowledged messages is not overwritten: that would
/// drop them without a word. Call RestoreSession to take them over, or delete the file.
pub(crate) fn auto_save(path: &str, sync: bool, owned: bool) -> Result<AutoSave> {
    if path.is_empty() {
        return Err(Error::new(
            code::INVALID_ARGUMENT,
            "SessionAutoSave is on but SessionStateFile is empty: set the file the session is saved to",
        ));
    }
    if !owned {
        if let Some(text) = read_if_present(path)? {
            if !text.trim().is_empty() {
                let held = SessionState::from_text(&text).map_err(|e| {
                    Error::new(
                        code::BAD_STATE,
                        format!(
                            "SessionStateFile \"{path}\" holds something SessionAutoSave would overwrite and it is not a readable session ({}); delete or move it",
                            e.message
                        ),
                    )
                })?;
                if !held.is_empty() {
                    return Err(Error::new(
                        code::BAD_STATE,
                        format!(
                            "SessionStateFile \"{path}\" holds a saved session with {} outgoing and {} incoming message(s) not completely acknowledged: call RestoreSession to resume it, or delete the file, before connecting with SessionAutoSave",
                            held.outgoing.len(),
                            held.incoming.len()
                        ),
                    ));
                }
            }
        }
    }
    let path = path.to_string();
    Ok(AutoSave::new(Box::new(move |s: &SessionState| {
        write(&path, &s.to_text(), sync)
    })))
}

fn io_error(path: &str, what: &str) -> Error {
    // 302: the reference's "could not open file".
    Error::new(code::FILE, format!("SessionStateFile \"{path}\" {what}"))
}
