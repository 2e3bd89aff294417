//! Errors: the user's mistakes (bad input or config, exit 1) kept apart from ours (exit 2).

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
    /// Exit code per CONTRACT.md: 1 for the user's input or config, 2 for our own failures.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Input { .. } | Error::MissingColumn { .. } | Error::Config { .. } => 1,
            // An unreadable input or unwritable output directory is the user's to fix.
            Error::Io { .. } => 1,
            Error::Internal(_) | Error::Polars(_) => 2,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// polars failing on our own frames is a bug of ours (exit 2); on an input's data, once
    /// [`Error::in_input`] names the input, it is the user's (exit 1). Our own invariants stay
    /// ours wherever they break.
    #[test]
    fn polars_errors_are_ours_until_an_input_is_named() {
        let polars = || Error::from(polars::error::PolarsError::ComputeError("boom".into()));
        assert_eq!(polars().exit_code(), 2);
        let file = std::path::Path::new("exports/leads.parquet");
        let user = polars().in_input(file);
        assert_eq!(user.exit_code(), 1);
        let text = user.to_string();
        assert!(text.starts_with("exports/leads.parquet: "), "{text}");
        assert!(text.contains("boom"), "{text}");
        let ours = Error::Internal("an invariant".into()).in_input(file);
        assert_eq!(ours.exit_code(), 2);
    }
}
