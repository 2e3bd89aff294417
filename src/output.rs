//! Writing outputs safely: every file goes to a temporary file in the output directory and is
//! renamed into place, so a crash never leaves a half-written file. CSV cells that a spreadsheet
//! would run as a formula are neutralised.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The output directory of a run, replaced as a whole: every file is written into a staging
/// directory beside it, and [`Staging::commit`] swaps the two in one atomic step (Linux
/// `renameat2(RENAME_EXCHANGE)`). A run killed at any point leaves the previous complete set
/// of outputs, or the new complete set, never a mix. Files of the old directory that the run
/// did not write (an analyst's own) are carried over.
pub struct Staging {
    target: PathBuf,
    staging: PathBuf,
}

impl Staging {
    /// Creates the staging directory beside `target` (and `target`'s parents), checks that it is
    /// writable, and removes staging directories a killed run left behind.
    pub fn new(target: &Path) -> Result<Staging> {
        // `--out .` or `--out reports/../x`: work on the real path, so that it has a name.
        let resolved = match target.canonicalize() {
            Ok(path) => path,
            Err(_) => std::path::absolute(target).map_err(|e| Error::io(target, e))?,
        };
        let target = resolved.as_path();
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| Error::io(target, e))?;
        if target.exists() && !target.is_dir() {
            return Err(Error::io(
                target,
                std::io::Error::other("the output path exists and is not a directory"),
            ));
        }
        let prefix = format!(".{name}.leadtune-");
        if let Ok(entries) = std::fs::read_dir(&parent) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with(&prefix) {
                    let _ = std::fs::remove_dir_all(entry.path());
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
        })
    }

    /// Where this run writes its files.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Swaps the staging directory into place.
    pub fn commit(self) -> Result<()> {
        let target = &self.target;
        if target.is_dir() {
            for entry in std::fs::read_dir(target)
                .map_err(|e| Error::io(target, e))?
                .flatten()
            {
                let to = self.staging.join(entry.file_name());
                let name = entry.file_name().to_string_lossy().into_owned();
                let ours = name.starts_with(".leadtune-") && name.ends_with(".tmp");
                if !to.exists() && !ours {
                    copy_tree(&entry.path(), &to).map_err(|e| Error::io(entry.path(), e))?;
                }
            }
            // Afterwards the staging path holds the previous outputs, removed on drop.
            exchange(&self.staging, target).map_err(|e| Error::io(target, e))?;
        } else {
            std::fs::rename(&self.staging, target).map_err(|e| Error::io(target, e))?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    /// A run that failed leaves the previous outputs as they were, and no staging directory.
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.staging);
    }
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    if from.is_dir() {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from)?.flatten() {
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        std::fs::copy(from, to).map(|_| ())
    }
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

/// Elsewhere: two renames (a crash between them leaves the previous outputs beside the target).
#[cfg(not(target_os = "linux"))]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    let old = a.with_extension("previous");
    std::fs::rename(b, &old)?;
    std::fs::rename(a, b)?;
    std::fs::rename(&old, a)
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
        let staging = Staging::new(&out).unwrap();
        write_atomic(&staging.path().join("traits.csv"), |w| w.write_all(b"new")).unwrap();
        // Before the commit the old outputs are untouched.
        assert_eq!(
            std::fs::read_to_string(out.join("traits.csv")).unwrap(),
            "old"
        );
        staging.commit().unwrap();
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
            let staging = Staging::new(&out).unwrap();
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
