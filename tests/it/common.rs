//! What the tests share: the repository, and the real binary run in a directory with a readable
//! message when it fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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
