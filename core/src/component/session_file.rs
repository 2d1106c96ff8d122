//! SessionStateFile: the saved session on disk, written so that a crash at any moment leaves
//! either the old file or the new one, never a mixture.

use crate::error::{code, Error, Result};
use std::fs;
use std::io::Write;
use std::path::Path;

/// Write `text` to a temporary file beside `path`, flush it to the disk, then rename it over
/// `path` (atomic on POSIX file systems) and flush the directory entry.
pub(crate) fn write(path: &str, text: &str) -> Result<()> {
    let target = Path::new(path);
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = target
        .file_name()
        .ok_or_else(|| io_error(path, "is not a file path"))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        fs::rename(&tmp, target)?;
        // The rename itself must reach the disk too.
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
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

fn io_error(path: &str, what: &str) -> Error {
    // 302: the reference's "could not open file".
    Error::new(code::FILE, format!("SessionStateFile \"{path}\" {what}"))
}
