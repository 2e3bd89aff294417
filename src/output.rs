//! Writing outputs safely: every file goes to a temporary file in the output directory and is
//! renamed into place, so a crash never leaves a half-written file. CSV cells that a spreadsheet
//! would run as a formula are neutralised.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The output directory, created (with parents) and checked writable; temporary files a killed
/// run left behind are removed.
pub fn prepare_dir(dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(".leadtune-") && name.ends_with(".tmp") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    let probe = tempfile::NamedTempFile::new_in(dir).map_err(|e| {
        Error::io(
            dir,
            std::io::Error::new(e.kind(), format!("output directory is not writable: {e}")),
        )
    })?;
    drop(probe);
    Ok(dir.to_path_buf())
}

/// Writes `path` atomically: `write` fills a temporary file beside it, which is then renamed.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut file = tempfile::Builder::new()
        .prefix(".leadtune-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
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
