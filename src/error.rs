//! Errors: the user's mistakes (bad input or config, exit 1) kept apart from ours (exit 3).
//!
//! Exit codes (README, "Exit codes"; `leadtune --help`): 0 success; 1 the user's input, config
//! or environment (a bad row, an out-of-range value, a missing file, a full disk, no
//! permission); 2 a command-line usage error (clap's own); 3 an internal error: a bug of ours,
//! a panic included.

use std::path::PathBuf;

/// Where in an input a problem was found: file, 1-based row (the header is row 1) and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub row: Option<u64>,
    pub column: Option<String>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(row) = self.row {
            write!(f, ", row {row}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ", column {column:?}")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input data cannot be used as a whole (a missing column, an empty file, ...).
    #[error("{location}: {message}")]
    Input { location: Location, message: String },

    /// A required column is absent from a table.
    #[error(
        "{file}: required column {column:?} is missing{hint}; the columns found are: {found}",
        file = .file.display(),
        found = .found.join(", ")
    )]
    MissingColumn {
        file: PathBuf,
        column: String,
        /// Extra advice, e.g. how to remap the column in `[columns]`.
        hint: String,
        found: Vec<String>,
    },

    /// The run config is wrong (unknown key, bad value, missing file).
    #[error("{path}: {message}", path = .path.display())]
    Config { path: PathBuf, message: String },

    /// A file could not be read or written.
    #[error("{path}: {source}", path = .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// polars failed on a frame of ours, where no input is to blame: a bug of ours unless
    /// [`Error::in_input`] says which input it read.
    #[error("internal error: polars: {0}")]
    Polars(#[from] polars::error::PolarsError),

    /// A bug of ours: an invariant that should hold did not.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Exit code: 1 for the user's input, config or environment, [`EXIT_INTERNAL`] for our own
    /// failures (2 is clap's, for command-line usage).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Input { .. } | Error::MissingColumn { .. } | Error::Config { .. } => 1,
            // An unreadable input, an unwritable output directory or a full disk is the
            // user's to fix.
            Error::Io { .. } => EXIT_USER,
            Error::Internal(_) | Error::Polars(_) => EXIT_INTERNAL,
        }
    }

    /// The error as the user's, when it came from reading `file`: polars refusing an input's
    /// data (a corrupt Parquet file, a type it cannot read) is bad input (exit 1) naming the
    /// file, not a bug of ours. Other errors are kept as they are.
    pub fn in_input(self, file: &std::path::Path) -> Self {
        match self {
            Error::Polars(e) => Error::Input {
                location: Location {
                    file: file.to_path_buf(),
                    row: None,
                    column: None,
                },
                message: format!(
                    "the file could not be read ({e}); check that it is a complete CSV or \
                     Parquet file, or export it again"
                ),
            },
            other => other,
        }
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub fn config(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Config {
            path: path.into(),
            message: message.into(),
        }
    }

    pub fn input(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Input {
            location: Location {
                file: file.into(),
                row: None,
                column: None,
            },
            message: message.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Exit code for the user's input, config or environment.
pub const EXIT_USER: u8 = 1;
/// Exit code for a command-line usage error (clap exits with it before leadtune starts).
pub const EXIT_USAGE: u8 = 2;
/// Exit code for an internal error: a bug of ours, a panic included.
pub const EXIT_INTERNAL: u8 = 3;

/// Runs a command and turns how it ended into the exit code, writing the error (with its
/// whole context) to `err`: 0 done, the error's [`Error::exit_code`], or [`EXIT_INTERNAL`] for a
/// panic (reported as an internal error; the panic's own message is printed above it by Rust).
pub fn report(mut err: impl std::io::Write, command: impl FnOnce() -> Result<()>) -> u8 {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(command)) {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => {
            let _ = writeln!(err, "error: {e:#}");
            e.exit_code()
        }
        Err(_) => {
            let _ = writeln!(
                err,
                "error: internal error: leadtune crashed (a bug: please report it with the \
                 message above)"
            );
            EXIT_INTERNAL
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// polars failing on our own frames is a bug of ours (exit 3); on an input's data, once
    /// [`Error::in_input`] names the input, it is the user's (exit 1). Our own invariants stay
    /// ours wherever they break.
    /// The top of the binary: success 0, the user's error 1, ours 3, a panic 3 (caught and
    /// reported as internal, never Rust's 101).
    #[test]
    fn a_command_ends_in_its_documented_exit_code() {
        let mut err = Vec::new();
        assert_eq!(report(&mut err, || Ok(())), 0);
        assert!(err.is_empty());
        let code = report(&mut err, || Err(Error::config("leadtune.toml", "bad")));
        assert_eq!(code, EXIT_USER);
        assert_eq!(String::from_utf8_lossy(&err), "error: leadtune.toml: bad\n");
        err.clear();
        assert_eq!(report(&mut err, || Err(Error::Internal("x".into()))), 3);
        err.clear();
        let code = report(&mut err, || -> Result<()> { panic!("a broken invariant") });
        assert_eq!(code, EXIT_INTERNAL);
        let said = String::from_utf8_lossy(&err);
        assert!(
            said.starts_with("error: internal error: leadtune crashed"),
            "{said}"
        );
        assert_ne!(EXIT_USAGE, EXIT_USER);
        assert_ne!(EXIT_USAGE, EXIT_INTERNAL);
    }

    #[test]
    fn polars_errors_are_ours_until_an_input_is_named() {
        let polars = || Error::from(polars::error::PolarsError::ComputeError("boom".into()));
        assert_eq!(polars().exit_code(), EXIT_INTERNAL);
        let file = std::path::Path::new("exports/leads.parquet");
        let user = polars().in_input(file);
        assert_eq!(user.exit_code(), 1);
        let text = user.to_string();
        assert!(text.starts_with("exports/leads.parquet: "), "{text}");
        assert!(text.contains("boom"), "{text}");
        let ours = Error::Internal("an invariant".into()).in_input(file);
        assert_eq!(ours.exit_code(), EXIT_INTERNAL);
        // A full disk is the user's environment, not our bug.
        let full = Error::io(
            "out/charts/roc.png",
            std::io::Error::from_raw_os_error(libc::ENOSPC),
        );
        assert_eq!(full.exit_code(), EXIT_USER);
    }
}
