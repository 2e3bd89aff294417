//! Where a table's rows come from, and the one path every table is read by.
//!
//! A [`TableSource`] is one input of one [`Role`]: a CSV or Parquet file today (the format by
//! its extension), or CSV bytes held in memory (tests, the fuzz target). A [`Reader`] reads
//! sources with the settings every table of a run (or of `leadtune score`) shares, and keeps
//! the accounting: each file's fingerprint and counts, every rejected row, every note. `run`,
//! `validate`, `traits` and `score` read through it alone; a new kind of source (a second file
//! for a table, a database table) is a new [`Origin`], read here.

use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::csv::read_csv;
use super::parquet::read_parquet;
use super::table::{ColumnSpec, Piece, RawTable, TableSpec};
use super::values::Millis;
use super::{InputFile, Reject};
use crate::error::{Error, Result};
use crate::observe::Observer;

/// What a table is to leadtune. Written in lower case (`leads`) in `[input]`,
/// `[columns.<table>]`, `rejected.csv` and the manifest; ordered as the tables are read,
/// checked and listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Leads,
    Deals,
    Activities,
    Spend,
    Customers,
}

impl Role {
    /// Every role, in order.
    pub const ALL: [Role; 5] = [
        Role::Leads,
        Role::Deals,
        Role::Activities,
        Role::Spend,
        Role::Customers,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Role::Leads => "leads",
            Role::Deals => "deals",
            Role::Activities => "activities",
            Role::Spend => "spend",
            Role::Customers => "customers",
        }
    }

    /// The role written `name`, if any.
    pub fn named(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }

    /// leadtune's canonical column names in a table of this role (CONTRACT.md); any other
    /// column of the leads is a trait.
    pub fn known_columns(self) -> &'static [&'static str] {
        match self {
            Role::Leads => &[
                "lead_id",
                "created_at",
                "source",
                "campaign",
                "company",
                "email",
                "domain",
                "owner",
                "first_response_at",
                "mql_at",
                "sql_at",
                "converted",
            ],
            Role::Deals => &[
                "deal_id",
                "lead_id",
                "status",
                "created_at",
                "closed_at",
                "amount",
            ],
            Role::Activities => &["lead_id", "occurred_at", "type", "value"],
            Role::Spend => &["source", "campaign", "period", "cost"],
            Role::Customers => &["customer_id", "company", "domain", "email"],
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

/// One input table: its role, where its rows come from, and how the user wrote it (kept for
/// messages and the manifest, so that the manifest does not depend on the folder the run was
/// started from).
#[derive(Debug, Clone, Serialize)]
pub struct TableSource {
    #[serde(rename = "table")]
    pub role: Role,
    #[serde(skip)]
    pub origin: Origin,
    pub written: String,
}

/// Where a table's rows are.
#[derive(Debug, Clone)]
pub enum Origin {
    /// A file: Parquet when its extension is `.parquet` or `.pq`, else CSV (dialect detected).
    File(PathBuf),
    /// CSV held in memory.
    Csv(Vec<u8>),
}

impl TableSource {
    /// The file at `path`, written `written` by the user.
    pub fn file(role: Role, path: PathBuf, written: String) -> Self {
        TableSource {
            role,
            origin: Origin::File(path),
            written,
        }
    }

    /// CSV bytes, named `shown` in messages.
    pub fn csv(role: Role, bytes: Vec<u8>, shown: &str) -> Self {
        TableSource {
            role,
            origin: Origin::Csv(bytes),
            written: shown.to_string(),
        }
    }

    /// The path errors name: the file, or the name given to bytes.
    pub fn path(&self) -> &Path {
        match &self.origin {
            Origin::File(path) => path,
            Origin::Csv(_) => Path::new(&self.written),
        }
    }

    /// Reads the table according to `spec`: its bytes fingerprinted while they are read, a
    /// polars error on them reported as the file's (exit 1, [`Error::in_input`]).
    pub fn read(&self, spec: &TableSpec) -> Result<RawTable> {
        let path = self.path();
        let shown = self.written.as_str();
        let file;
        let (bytes, parquet): (&[u8], bool) = match &self.origin {
            Origin::File(path) => {
                file = FileBytes::open(path)?;
                let extension = path
                    .extension()
                    .and_then(|e| e.to_str())
                    .unwrap_or("")
                    .to_ascii_lowercase();
                (&file[..], matches!(extension.as_str(), "parquet" | "pq"))
            }
            Origin::Csv(bytes) => (bytes, false),
        };
        let (sha256, result) = rayon::join(
            || format!("{:x}", Sha256::digest(bytes)),
            || match parquet {
                true => read_parquet(bytes, path, shown, spec),
                false => read_csv(bytes, path, shown, spec),
            },
        );
        let mut table = result.map_err(|e| e.in_input(path))?;
        spec.observer.step(&format!("ingest: {} read", spec.table));
        table.sha256 = sha256;
        table.bytes = bytes.len() as u64;
        Ok(table)
    }
}

/// What to read of one table: its columns (see [`TableSpec`] for each field).
pub struct Wanted<'a> {
    pub columns: Vec<ColumnSpec>,
    pub keep_extra: bool,
    pub unless: Vec<(&'static str, &'static str)>,
    pub piece: Option<&'a Piece<'a>>,
}

impl Wanted<'_> {
    /// `columns`, the file's other columns ignored.
    pub fn columns(columns: Vec<ColumnSpec>) -> Self {
        Wanted {
            columns,
            keep_extra: false,
            unless: Vec::new(),
            piece: None,
        }
    }
}

/// Reads tables with the settings they share, and keeps the accounting of what was read:
/// every table read is in [`Reader::files`], its rejected rows in [`Reader::rejects`] and what
/// its reader decided that the user should know in [`Reader::notes`], in the order read.
pub struct Reader<'a> {
    /// A column's header in a table of a role, by leadtune's name (`[columns]`).
    pub header_for: &'a (dyn Fn(Role, &str) -> String + Sync),
    pub missing: &'a [String],
    pub date_format: Option<&'a str>,
    pub delimiter: Option<u8>,
    pub decimal: Option<u8>,
    /// The CSV files' text encoding; detected per file when `None`.
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// Timestamps later than this are rejected ([`TableSpec::now_ms`]).
    pub now_ms: Millis,
    pub now_label: &'a str,
    pub observer: &'a dyn Observer,
    pub files: Vec<InputFile>,
    pub rejects: Vec<Reject>,
    pub notes: Vec<String>,
}

impl<'a> Reader<'a> {
    /// A reader with nothing read yet. Headers are leadtune's names, the dialect detected;
    /// set the fields to change either.
    pub fn new(missing: &'a [String], now_ms: Millis, observer: &'a dyn Observer) -> Self {
        Reader {
            header_for: &|_, name| name.to_string(),
            missing,
            date_format: None,
            delimiter: None,
            decimal: None,
            encoding: None,
            now_ms,
            now_label: "now (a date in the future)",
            observer,
            files: Vec::new(),
            rejects: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Reads `source`: the table's rows typed, its file and its rejects and notes accounted.
    /// The returned table's own rejects and notes are moved into the reader.
    pub fn read(&mut self, source: &TableSource, wanted: Wanted) -> Result<RawTable> {
        let headers = self.header_for;
        let role = source.role;
        let header_for = |name: &str| headers(role, name);
        let spec = TableSpec {
            table: role,
            columns: wanted.columns,
            keep_extra: wanted.keep_extra,
            header_for: &header_for,
            missing: self.missing,
            date_format: self.date_format,
            delimiter: self.delimiter,
            decimal: self.decimal,
            encoding: self.encoding,
            now_ms: self.now_ms,
            now_label: self.now_label,
            unless: wanted.unless,
            piece: wanted.piece,
            observer: self.observer,
        };
        let mut raw = source.read(&spec)?;
        self.files.push(InputFile {
            table: role,
            path: source.written.clone(),
            sha256: raw.sha256.clone(),
            bytes: raw.bytes,
            format: raw.format,
            dialect: raw.dialect,
            rows_read: raw.rows_read,
            rejected_at_ingest: raw.rejects.len() as u64,
        });
        self.rejects.append(&mut raw.rejects);
        self.notes.append(&mut raw.notes);
        Ok(raw)
    }
}

/// A file's bytes: mapped into memory where the system allows it (no copy: the pages are the
/// system's file cache, and are not counted twice beside the tables read from them), else read.
/// A mapped file must not be changed while it is read, as for any program reading it.
pub(super) enum FileBytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl FileBytes {
    pub(super) fn open(path: &Path) -> Result<Self> {
        if path.is_dir() {
            return Err(Error::input(
                path,
                "this is a directory, not a file: name the CSV or Parquet file in it",
            ));
        }
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let regular = file
            .metadata()
            .map_err(|e| Error::io(path, e))?
            .file_type()
            .is_file();
        if regular {
            // SAFETY: the map is only read, and only while this value lives; leadtune never
            // writes its inputs. Another program truncating the file meanwhile is the caveat
            // stated above (README: "inputs are read in place").
            if let Ok(map) = unsafe { memmap2::Mmap::map(&file) } {
                return Ok(FileBytes::Mapped(map));
            }
        }
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut &file, &mut bytes).map_err(|e| Error::io(path, e))?;
        Ok(FileBytes::Read(bytes))
    }
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(map) => map,
            FileBytes::Read(bytes) => bytes,
        }
    }
}
