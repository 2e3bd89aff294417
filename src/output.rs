//! Writing outputs safely: every file goes to a temporary file in the output directory and is
//! renamed into place, so a crash never leaves a half-written file. CSV cells that a spreadsheet
//! would run as a formula are neutralised.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The output directory of a run, replaced as a whole: every file is written into a staging
/// directory beside it, and [`Staging::commit`] swaps the two in one atomic step (Linux
/// `renameat2(RENAME_EXCHANGE)`). A run killed at any point leaves the previous complete set
/// of outputs, or the new complete set, never a mix.
///
/// What is carried over from the old directory: the files the command does not own (an
/// analyst's own; `owned` in [`Staging::commit`] names leadtune's), regular files and
/// directories only: a symbolic link is never followed nor copied, a FIFO, socket or device
/// never opened (each is left behind, with a warning). Copies keep their permissions.
///
/// The directory is refused when it is `/`, the home directory (or above it) or holds the
/// run's own inputs. A lock file beside it (`.<name>.leadtune.lock`, holding the pid) makes a
/// second run on the same directory fail at once, naming the first.
pub struct Staging {
    target: PathBuf,
    staging: PathBuf,
    /// What the user should be told (a link or FIFO left behind): [`Staging::commit`] returns it.
    warnings: Vec<String>,
    /// Held until the staging directory is gone (fields drop after [`Staging`]'s own drop).
    _lock: Lock,
}

impl Staging {
    /// Checks `target` (see [`Staging`]; `inputs`: the run's input files and config, which it
    /// must not hold), takes its lock, creates the staging directory beside it (and `target`'s
    /// parents) and removes staging directories a killed run left behind.
    pub fn new(target: &Path, inputs: &[PathBuf]) -> Result<Staging> {
        // `--out .` or `--out reports/../x`: work on the real path, so that it has a name.
        let resolved = match target.canonicalize() {
            Ok(path) => path,
            Err(_) => std::path::absolute(target).map_err(|e| Error::io(target, e))?,
        };
        let target = resolved.as_path();
        check_target(target, inputs)?;
        let Some(name) = target.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            return Err(refused(target, "it has no name (a root directory)"));
        };
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| Error::io(target, e))?;
        match std::fs::symlink_metadata(target) {
            Ok(m) if !m.is_dir() => {
                return Err(Error::io(
                    target,
                    std::io::Error::other("the output path exists and is not a directory"),
                ));
            }
            Ok(_) if !writable(target) => {
                return Err(Error::io(
                    target,
                    std::io::Error::new(
                        std::io::ErrorKind::PermissionDenied,
                        "the output directory is read-only; leadtune replaces it as a whole, \
                         so it must be writable: make it so (chmod u+w) or choose another --out",
                    ),
                ));
            }
            _ => {}
        }
        let lock = Lock::take(&parent.join(format!(".{name}.leadtune.lock")), target)?;
        // Under the lock no other run uses a staging directory of this target: any left
        // is a killed run's.
        let prefix = format!(".{name}.leadtune-");
        if let Ok(entries) = std::fs::read_dir(&parent) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with(&prefix) {
                    let _ = remove_tree(&entry.path());
                }
            }
        }
        let staging = parent.join(format!("{prefix}{}", std::process::id()));
        std::fs::create_dir(&staging).map_err(|e| {
            Error::io(
                target,
                std::io::Error::new(e.kind(), format!("output directory is not writable: {e}")),
            )
        })?;
        Ok(Staging {
            target: target.to_path_buf(),
            staging,
            warnings: Vec::new(),
            _lock: lock,
        })
    }

    /// Where this run writes its files.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Carries the old directory's files over (but those `owned` names as the command's, at
    /// the top level: an earlier command's outputs are never kept beside this one's) and swaps
    /// the staging directory into place. Returns warnings for the user (entries left behind,
    /// previous outputs that could not be removed). On an error the old directory is as it
    /// was and the staging directory is removed.
    pub fn commit(mut self, owned: impl Fn(&str) -> bool) -> Result<Vec<String>> {
        let target = self.target.clone();
        let is_dir = std::fs::symlink_metadata(&target).is_ok_and(|m| m.is_dir());
        if is_dir {
            for entry in std::fs::read_dir(&target)
                .map_err(|e| Error::io(&target, e))?
                .flatten()
            {
                let to = self.staging.join(entry.file_name());
                let name = entry.file_name().to_string_lossy().into_owned();
                let ours = name.starts_with(".leadtune-") && name.ends_with(".tmp");
                if std::fs::symlink_metadata(&to).is_err() && !ours && !owned(&name) {
                    carry(&entry.path(), &to, &mut self.warnings)
                        .map_err(|e| Error::io(entry.path(), e))?;
                }
            }
            // Afterwards the staging path holds the previous outputs, removed below.
            exchange(&self.staging, &target).map_err(|e| Error::io(&target, e))?;
            if let Err(e) = remove_tree(&self.staging) {
                self.warnings.push(format!(
                    "the previous outputs, moved to {}, could not be removed ({e}): remove \
                     that directory by hand",
                    self.staging.display()
                ));
            }
        } else {
            std::fs::rename(&self.staging, &target).map_err(|e| Error::io(&target, e))?;
        }
        Ok(std::mem::take(&mut self.warnings))
    }
}

impl Drop for Staging {
    /// A run that failed leaves the previous outputs as they were, and no staging directory.
    fn drop(&mut self) {
        let _ = remove_tree(&self.staging);
    }
}

/// Refuses an output directory that is `/`, the home directory or one above it, or that holds
/// one of `inputs` (the directory is replaced as a whole).
fn check_target(target: &Path, inputs: &[PathBuf]) -> Result<()> {
    if target.parent().is_none() {
        return Err(refused(target, "it is the root directory"));
    }
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        let home = PathBuf::from(home);
        let home = home.canonicalize().unwrap_or(home);
        // A HOME of `/` (a service account's) says nothing beyond the root check above.
        if home.parent().is_some() && home.starts_with(target) {
            let what = if home == target {
                "it is your home directory"
            } else {
                "it holds your home directory"
            };
            return Err(refused(target, what));
        }
    }
    for input in inputs {
        let input = input.canonicalize().unwrap_or_else(|_| input.clone());
        if input.starts_with(target) {
            return Err(refused(
                target,
                &format!("it holds this run's input {}", input.display()),
            ));
        }
    }
    Ok(())
}

fn refused(target: &Path, why: &str) -> Error {
    Error::io(
        target,
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "refused as the output directory: {why}. leadtune replaces its output \
                 directory as a whole; choose a folder of its own ([output] dir or --out), \
                 e.g. reports/latest"
            ),
        ),
    )
}

/// Whether the process may create and remove entries in `dir`.
#[cfg(unix)]
fn writable(dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(path) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `path` is a valid NUL-terminated string.
    unsafe { libc::access(path.as_ptr(), libc::W_OK | libc::X_OK) == 0 }
}

#[cfg(not(unix))]
fn writable(dir: &Path) -> bool {
    std::fs::metadata(dir).is_ok_and(|m| !m.permissions().readonly())
}

/// Copies `from` to `to` when it is a regular file (with its permissions) or a directory
/// (what it holds, likewise); anything else (a symbolic link, a FIFO, a socket, a device) is
/// left behind with a warning. Never follows a link.
fn carry(from: &Path, to: &Path, warnings: &mut Vec<String>) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(from)?;
    let kind = meta.file_type();
    if kind.is_dir() {
        std::fs::create_dir(to)?;
        for entry in std::fs::read_dir(from)?.flatten() {
            carry(&entry.path(), &to.join(entry.file_name()), warnings)?;
        }
        std::fs::set_permissions(to, meta.permissions())
    } else if kind.is_file() {
        copy_file(from, to, &meta)
    } else {
        let what = if kind.is_symlink() {
            "a symbolic link"
        } else {
            "not a regular file or directory (a FIFO, socket or device)"
        };
        warnings.push(format!(
            "{} not carried over into the new outputs: it is {what}",
            from.display()
        ));
        Ok(())
    }
}

/// Copies a regular file, opened without following a link or blocking (it was a regular file
/// when looked at; should it have become a FIFO since, the open does not hang).
fn copy_file(from: &Path, to: &Path, meta: &std::fs::Metadata) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let mut source = options.open(from)?;
    if !source.metadata()?.is_file() {
        return Err(std::io::Error::other("changed while being copied"));
    }
    let mut dest = std::fs::File::create_new(to)?;
    std::io::copy(&mut source, &mut dest)?;
    dest.set_permissions(meta.permissions())
}

/// Removes a directory tree; where that fails for want of permission (a read-only directory
/// inside), makes the directories writable and tries again.
fn remove_tree(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(_) => {
            make_writable(path);
            std::fs::remove_dir_all(path)
        }
    }
}

fn make_writable(dir: &Path) {
    let Ok(meta) = std::fs::symlink_metadata(dir) else {
        return;
    };
    if !meta.is_dir() {
        return;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() | 0o700;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode));
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            make_writable(&entry.path());
        }
    }
}

/// The lock of an output directory: a file beside it, locked (`flock`) for as long as a run
/// writes the directory, holding that run's pid. The lock goes when the process ends, however
/// it ends; the file is removed at the end of a run.
struct Lock {
    path: PathBuf,
    _file: std::fs::File,
}

impl Lock {
    fn take(path: &Path, target: &Path) -> Result<Lock> {
        use std::io::{Read, Seek};
        // A run that ends removes the file while it holds the lock: one who opened the file
        // before and locked it after holds a removed file, and tries again.
        for _ in 0..100 {
            let mut file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)
                .map_err(|e| {
                    Error::io(
                        target,
                        std::io::Error::new(
                            e.kind(),
                            format!(
                                "output directory is not writable: its lock file {} could not \
                                 be created ({e})",
                                path.display()
                            ),
                        ),
                    )
                })?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    let mut holder = String::new();
                    let _ = file.read_to_string(&mut holder);
                    let pid = match holder.trim() {
                        "" => "pid unknown".to_string(),
                        pid => format!("pid {pid}"),
                    };
                    return Err(Error::io(
                        target,
                        std::io::Error::new(
                            std::io::ErrorKind::WouldBlock,
                            format!(
                                "another leadtune run ({pid}) is writing this output directory \
                                 now (lock file {}); wait for it to finish, or give this run \
                                 another --out",
                                path.display()
                            ),
                        ),
                    ));
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(path, e)),
            }
            if !same_file(&file, path) {
                continue;
            }
            file.set_len(0).map_err(|e| Error::io(path, e))?;
            file.rewind().map_err(|e| Error::io(path, e))?;
            writeln!(file, "{}", std::process::id()).map_err(|e| Error::io(path, e))?;
            return Ok(Lock {
                path: path.to_path_buf(),
                _file: file,
            });
        }
        Err(Error::io(
            path,
            std::io::Error::other("the lock file keeps changing: other runs on this directory?"),
        ))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while still locked (the file closes after this).
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether the open `file` is still the one at `path`.
#[cfg(unix)]
fn same_file(file: &std::fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &std::fs::File, path: &Path) -> bool {
    path.exists()
}

/// Atomically exchanges two directories (both keep existing throughout).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
    let b = CString::new(b.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
    // SAFETY: both paths are valid NUL-terminated strings; AT_FDCWD resolves them relative to
    // the working directory, as std::fs does.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Elsewhere: two renames (a crash between them leaves the previous outputs beside the target;
/// a failed second rename puts them back).
#[cfg(not(target_os = "linux"))]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    let old = a.with_extension("previous");
    std::fs::rename(b, &old)?;
    if let Err(e) = std::fs::rename(a, b) {
        let _ = std::fs::rename(&old, b);
        return Err(e);
    }
    std::fs::rename(&old, a)
}

/// Refuses an output file that is one of the command's inputs (`score --out leads.csv`):
/// writing it would replace what the command reads (inputs are memory-mapped).
pub fn refuse_input_as_output(out: &Path, inputs: &[&Path]) -> Result<()> {
    let Ok(out_real) = out.canonicalize() else {
        return Ok(()); // not there yet: no input
    };
    for input in inputs {
        if input.canonicalize().is_ok_and(|i| i == out_real) {
            return Err(Error::io(
                out,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!(
                        "refused as the output file: it is this command's input {}; choose \
                         another --out",
                        input.display()
                    ),
                ),
            ));
        }
    }
    Ok(())
}

/// Writes `path` atomically: `write` fills a temporary file beside it, which is then renamed.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut builder = tempfile::Builder::new();
    builder.prefix(".leadtune-").suffix(".tmp");
    // Outputs are for a team to read: 0644 less the umask, not a temp file's 0600.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let mut file = builder.tempfile_in(dir).map_err(|e| Error::io(dir, e))?;
    {
        let mut buffered = std::io::BufWriter::new(file.as_file_mut());
        write(&mut buffered).map_err(|e| Error::io(path, e))?;
        buffered.flush().map_err(|e| Error::io(path, e))?;
    }
    file.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    file.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// Writes pretty JSON (with a final newline) atomically.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    write_atomic(path, |w| {
        serde_json::to_writer_pretty(&mut *w, value)?;
        w.write_all(b"\n")
    })
}

/// A cell as a spreadsheet may safely open it: text that starts with `=`, `+`, `-`, `@`, tab or
/// carriage return is prefixed with `'` (OWASP, "CSV Injection"), so it is shown, not run.
/// A plain number (`-1.25`, `+3`, `1e-5`) stays a number: it cannot carry a formula.
pub fn neutralize(cell: &str) -> std::borrow::Cow<'_, str> {
    let plain_number = cell.parse::<f64>().is_ok_and(f64::is_finite)
        && cell
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b));
    if plain_number {
        return cell.into();
    }
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// Writes rows as CSV atomically; every cell neutralised.
pub fn write_csv<I, R>(path: &Path, header: &[&str], rows: I) -> Result<()>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = String>,
{
    write_atomic(path, |w| {
        let mut writer = csv::Writer::from_writer(w);
        writer.write_record(header)?;
        for row in rows {
            let cells: Vec<String> = row
                .into_iter()
                .map(|c| neutralize(&c).into_owned())
                .collect();
            writer.write_record(&cells)?;
        }
        writer.flush()?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(neutralize("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(neutralize("+1"), "+1");
        assert_eq!(neutralize("+1+1"), "'+1+1");
        assert_eq!(neutralize("-5"), "-5");
        assert_eq!(neutralize("-1.528979"), "-1.528979");
        assert_eq!(neutralize("-1+cmd|' /C calc'!A0"), "'-1+cmd|' /C calc'!A0");
        assert_eq!(neutralize("-inf"), "'-inf");
        assert_eq!(neutralize("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralize("plain"), "plain");
        assert_eq!(neutralize(""), "");
    }

    #[test]
    fn atomic_write_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        write_json(&path, &serde_json::json!({"a": 1})).unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("x.json")]);
    }
}

#[cfg(test)]
mod staging_tests {
    use super::*;

    #[test]
    fn a_committed_run_replaces_the_outputs_and_keeps_the_analysts_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("latest");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("traits.csv"), "old").unwrap();
        std::fs::write(out.join("my-notes.txt"), "mine").unwrap();
        let staging = Staging::new(&out, &[]).unwrap();
        write_atomic(&staging.path().join("traits.csv"), |w| w.write_all(b"new")).unwrap();
        // Before the commit the old outputs are untouched.
        assert_eq!(
            std::fs::read_to_string(out.join("traits.csv")).unwrap(),
            "old"
        );
        staging.commit(|_| false).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("traits.csv")).unwrap(),
            "new"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("my-notes.txt")).unwrap(),
            "mine"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("latest")]);
    }

    #[test]
    fn a_failed_run_leaves_the_old_outputs_and_no_staging() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("latest");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("scoring-config.json"), "{}").unwrap();
        {
            let staging = Staging::new(&out, &[]).unwrap();
            write_atomic(&staging.path().join("scoring-config.json"), |w| {
                w.write_all(b"[")
            })
            .unwrap();
            // dropped without commit: the run failed
        }
        assert_eq!(
            std::fs::read_to_string(out.join("scoring-config.json")).unwrap(),
            "{}"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
