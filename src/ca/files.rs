//! Files holding key material: created with mode 600, refused when looser.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use super::CaError;

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> CaError + '_ {
    move |source| CaError::Io { path: path.display().to_string(), source }
}

/// Creates `dir` (mode 700 when new).
pub fn ensure_private_dir(dir: &Path) -> Result<(), CaError> {
    if !dir.exists() {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io_err(dir))?;
    }
    Ok(())
}

/// Writes a new file readable by its owner only; never overwrites.
pub fn write_private(path: &Path, contents: &[u8]) -> Result<(), CaError> {
    let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(io_err(path))?;
    file.write_all(contents).map_err(io_err(path))
}

/// Reads a key file, refusing one that group or others could read.
pub fn read_private(path: &Path) -> Result<Vec<u8>, CaError> {
    let mode = fs::metadata(path).map_err(io_err(path))?.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(CaError::Permissions(path.display().to_string()));
    }
    fs::read(path).map_err(io_err(path))
}

pub fn read(path: &Path) -> Result<Vec<u8>, CaError> {
    fs::read(path).map_err(io_err(path))
}
