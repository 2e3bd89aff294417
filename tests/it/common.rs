//! What the tests share: the repository, the real binary run in a directory (with a readable
//! message when it fails), and its outputs read back (CSV rows, JSON, Parquet).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use polars::prelude::{DataFrame, ParquetReader, SerReader};

/// The repository: `data/sample/`, `tests/fixtures/` and `scripts/` are below it.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The leadtune binary cargo built for these tests, to run in `cwd`, without colours.
pub fn command(cwd: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_leadtune"));
    command.current_dir(cwd).env("NO_COLOR", "1");
    command
}

/// Runs leadtune with `args` in `cwd` and returns how it went, whatever its exit code.
pub fn leadtune(cwd: &Path, args: &[&str]) -> Output {
    command(cwd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("leadtune {args:?} in {} did not start: {e}", cwd.display()))
}

/// Runs leadtune with `args` in `cwd`, which must exit 0: else the test fails where it called
/// this, with the arguments, the directory, the exit status and stderr.
#[track_caller]
pub fn leadtune_ok(cwd: &Path, args: &[&str]) -> Output {
    let out = leadtune(cwd, args);
    assert!(
        out.status.success(),
        "leadtune {args:?} in {} failed ({})\n--- stderr\n{}",
        cwd.display(),
        out.status,
        text(&out.stderr)
    );
    out
}

/// Bytes as text (stdout, stderr), invalid UTF-8 replaced.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A CSV file's rows as maps from column to cell.
pub fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut reader =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    reader
        .deserialize()
        .map(|row| row.unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect()
}

/// A JSON file, parsed.
pub fn json(path: &Path) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A Parquet file as a frame.
pub fn parquet(path: &Path) -> DataFrame {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ParquetReader::new(file)
        .finish()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The manifest in the output directory `dir`.
pub fn manifest(dir: &Path) -> serde_json::Value {
    json(&dir.join("manifest.json"))
}

/// Checks `read = used + rejected + immature` for every input and returns (table, counts).
pub fn accounted(m: &serde_json::Value) -> Vec<(String, [u64; 4])> {
    m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let n = |k: &str| i[k].as_u64().unwrap_or(0);
            let counts = [n("rows_read"), n("used"), n("rejected"), n("immature")];
            assert_eq!(counts[0], counts[1] + counts[2] + counts[3], "{i}");
            (i["table"].as_str().unwrap().to_string(), counts)
        })
        .collect()
}
