//! Ingest: CSV/Parquet inputs -> typed tables ([`Leads`], [`Deals`], [`Activities`], [`Spend`],
//! [`Customers`]) and the rows that could not be used ([`Reject`]). Nothing is dropped silently:
//! every row read is either in a table or in the rejects, with its row number and reason.

pub mod activities;
mod csv;
pub mod dialect;
pub mod encoding;
mod parquet;
pub mod source;
pub mod table;
mod typing;
pub mod values;

use polars::prelude::*;
use serde::Serialize;

use crate::columns::single_chunk;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::observe::Observer;
use source::{Reader, Wanted};
use table::{ColumnSpec, Kind, RawTable};
use values::Millis;

pub use activities::{Activities, NO_KIND, NO_LEAD, NO_TIME};
pub use source::{Role, TableSource};

/// A row that was not used, with where it was and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reject {
    pub table: Role,
    /// The file as the config names it.
    pub file: String,
    /// 1-based row number in the file; the CSV header is row 1 (as a spreadsheet shows it).
    pub row: u64,
    /// The column at fault, empty when the whole row is.
    pub column: String,
    pub reason: String,
    /// The offending value (at most 100 characters; withheld for identity columns).
    pub value: Option<String>,
}

/// Above this share of a table's rows rejected for one reason, the run says so first and
/// `validate` fails: the data, or the config that reads it, is likely wrong as a whole.
pub const WIDESPREAD_SHARE: f64 = 0.05;

/// One reason that rejected more than [`WIDESPREAD_SHARE`] of a table's rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Widespread {
    pub table: Role,
    /// The column at fault (empty for the whole row).
    pub column: String,
    /// The first such row's reason, as `rejected.csv` gives it, and its row.
    pub reason: String,
    pub example_row: u64,
    pub rows: u64,
    pub of: u64,
}

impl Widespread {
    pub fn share(&self) -> f64 {
        self.rows as f64 / self.of.max(1) as f64
    }
}

impl std::fmt::Display for Widespread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let column = if self.column.is_empty() {
            String::new()
        } else {
            format!(", column {}", self.column)
        };
        write!(
            f,
            "{}: {} of {} rows ({:.1}%) rejected for one reason{column}: {} (first at row {}; \
             every row is in rejected.csv)",
            self.table,
            self.rows,
            self.of,
            100.0 * self.share(),
            self.reason,
            self.example_row
        )
    }
}

/// The reasons that rejected more than [`WIDESPREAD_SHARE`] of a table's `read` rows, the
/// largest first. Reasons that differ only in their numbers (`row has 5 fields`, `row has 7
/// fields`; the row a duplicate repeats) are one reason.
pub fn widespread(read: &[(Role, u64)], rejects: &[Reject]) -> Vec<Widespread> {
    use std::collections::BTreeMap;
    let kind = |r: &Reject| {
        let mut key = String::with_capacity(r.reason.len());
        for c in r.reason.chars() {
            match c {
                '0'..='9' if key.ends_with('#') => {}
                '0'..='9' => key.push('#'),
                c => key.push(c),
            }
        }
        (r.table, r.column.clone(), key)
    };
    let mut groups: BTreeMap<(Role, String, String), (u64, &Reject)> = BTreeMap::new();
    for r in rejects {
        groups.entry(kind(r)).or_insert((0, r)).0 += 1;
    }
    let mut out: Vec<Widespread> = groups
        .into_iter()
        .filter_map(|((table, column, _), (rows, first))| {
            let of: u64 = read
                .iter()
                .filter(|(t, _)| *t == table)
                .map(|(_, n)| n)
                .sum();
            (rows as f64 > WIDESPREAD_SHARE * of as f64).then(|| Widespread {
                table,
                column,
                reason: first.reason.clone(),
                example_row: first.row,
                rows,
                of,
            })
        })
        .collect();
    out.sort_by(|a, b| b.rows.cmp(&a.rows).then(a.table.cmp(&b.table)));
    out
}

/// One input file as read: fingerprint, dialect and row count.
#[derive(Debug, Clone, Serialize)]
pub struct InputFile {
    pub table: Role,
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
    pub format: &'static str,
    pub dialect: Option<dialect::Dialect>,
    pub rows_read: u64,
    pub rejected_at_ingest: u64,
}

/// A candidate trait of the leads: any column that is not one of leadtune's own. Trait
/// discovery decides which of them identify a person or company ([`crate::traits::identity`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trait {
    pub name: String,
    pub numeric: bool,
    /// For a numeric column typed from text: how its values were written.
    #[serde(skip)]
    pub text: Option<NumberText>,
}

/// How a numeric column's values were written, before they became numbers: what typing
/// loses and an id keeps (leading zeros, a fixed width).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NumberText {
    /// Values written with a zero before another digit (`007`, `001123`).
    pub leading_zeros: u64,
    /// The shortest and longest value as written (trimmed), in bytes.
    pub min_width: u32,
    pub max_width: u32,
    /// Values written as a phone number is, not as an amount: 7 to 15 digits opening with
    /// `+`, or grouped by spaces otherwise than in thousands (`070 123 45 67`).
    pub phone_like: u64,
}

impl NumberText {
    /// Merges the counts of two parts of a column.
    pub fn merge(self, other: NumberText) -> NumberText {
        let min_width = match (self.min_width, other.min_width) {
            (0, w) | (w, 0) => w,
            (a, b) => a.min(b),
        };
        NumberText {
            leading_zeros: self.leading_zeros + other.leading_zeros,
            min_width,
            max_width: self.max_width.max(other.max_width),
            phone_like: self.phone_like + other.phone_like,
        }
    }

    /// Counts one value as written.
    pub fn add(&mut self, written: &str) {
        let v = written.trim();
        let b = v.as_bytes();
        if b.len() >= 2 && b[0] == b'0' && b[1].is_ascii_digit() {
            self.leading_zeros += 1;
        }
        let width = v.len() as u32;
        self.min_width = if self.min_width == 0 {
            width
        } else {
            self.min_width.min(width)
        };
        self.max_width = self.max_width.max(width);
        if phone_like(v) {
            self.phone_like += 1;
        }
    }
}

/// 7 to 15 digits opening with `+` (`+46 70 123 45 67`), or in groups split by spaces that are
/// not thousands (`070 123 45 67`; `5 209 906` is an amount).
fn phone_like(v: &str) -> bool {
    let digits = v.bytes().filter(u8::is_ascii_digit).count();
    if !(7..=15).contains(&digits) || !v.bytes().all(|b| b.is_ascii_digit() || b" +".contains(&b)) {
        return false;
    }
    let groups: Vec<usize> = v
        .split([' ', '+'])
        .filter(|g| !g.is_empty())
        .map(str::len)
        .collect();
    v.starts_with('+') || groups.len() > 1 && groups[1..].iter().any(|g| *g != 3)
}

/// The leads, one row each: `row`, `lead_id`, then whichever of `created_at`, `source`,
/// `campaign`, identity columns, funnel dates and `converted` the file has, then the traits.
#[derive(Debug, Clone)]
pub struct Leads {
    df: DataFrame,
    pub traits: Vec<Trait>,
    /// Columns that identify a person or company: leadtune's own ([`IDENTITY_COLUMNS`], used
    /// for matching) as read, and those trait discovery finds ([`Leads::add_identities`]).
    pub identity: Vec<String>,
}

macro_rules! table_newtype {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone)]
        pub struct $name {
            df: DataFrame,
        }
        impl $name {
            pub fn frame(&self) -> &DataFrame {
                &self.df
            }
            pub fn has(&self, column: &str) -> bool {
                self.df.schema().contains(column)
            }
        }
    };
}

/// Deals: `row`, `deal_id`, `lead_id`, `status` (won/lost/open), optional `created_at`,
/// `closed_at`, `amount`; and each deal's lead, as its row among the leads.
#[derive(Debug, Clone)]
pub struct Deals {
    df: DataFrame,
    /// Per deal, the row of its lead in [`Leads::frame`] ([`NO_LEAD`]: no lead has its id).
    lead_rows: Vec<u32>,
}

impl Deals {
    pub fn frame(&self) -> &DataFrame {
        &self.df
    }
    pub fn has(&self, column: &str) -> bool {
        self.df.schema().contains(column)
    }
    /// Per deal, the row of its lead in [`Leads::frame`] ([`NO_LEAD`]: no lead has its id).
    pub fn lead_rows(&self) -> &[u32] {
        &self.lead_rows
    }
}
table_newtype!(
    Spend,
    "Spend: `row`, `source`, `period`, `period_start`, `cost`, optional `campaign`."
);
table_newtype!(
    Customers,
    "Existing customers: `row`, `customer_id`, optional `company`, `domain`, `email`."
);

impl Leads {
    pub fn frame(&self) -> &DataFrame {
        &self.df
    }
    pub fn has(&self, column: &str) -> bool {
        self.df.schema().contains(column)
    }
    pub fn len(&self) -> usize {
        self.df.height()
    }

    /// Frees the identity columns' values (names, emails, domains: at 10M leads over a
    /// gigabyte) once customers are matched: nothing later reads them, except a queue rule
    /// naming one, given in `keep`. Their names stay in [`Leads::identity`].
    pub fn drop_identity_values(&mut self, keep: &[&str]) {
        for name in &self.identity {
            if !keep.contains(&name.as_str()) {
                // Absent already (or never read): nothing to free.
                let _ = self.df.drop_in_place(name);
            }
        }
    }
    pub fn is_empty(&self) -> bool {
        self.df.height() == 0
    }

    /// Adds columns found to identify a person or company: they stop being candidate traits,
    /// and [`Leads::drop_identity_values`] frees their values too. leadtune's own `source`
    /// and `campaign` are never added: the reports read them, whatever trait discovery found.
    pub fn add_identities<'a>(&mut self, names: impl IntoIterator<Item = &'a str>) {
        for name in names {
            let own = Role::Leads.known_columns().contains(&name);
            if !own && !self.identity.iter().any(|i| i == name) {
                self.identity.push(name.to_string());
            }
        }
        let identity = &self.identity;
        self.traits.retain(|t| !identity.contains(&t.name));
    }
}

/// Everything ingest read.
pub struct Inputs {
    pub leads: Leads,
    pub deals: Option<Deals>,
    pub activities: Option<Activities>,
    pub spend: Option<Spend>,
    pub customers: Option<Customers>,
    pub files: Vec<InputFile>,
    pub rejects: Vec<Reject>,
    /// What ingest decided that the user should know (e.g. row numbers used as ids).
    pub notes: Vec<String>,
}

/// Reads every input the config names. Timestamps later than the as-of date (when given) or
/// `now_ms` (the run's clock) are rejected: that data did not exist yet.
pub fn ingest(settings: &Settings, now_ms: Millis, observer: &dyn Observer) -> Result<Inputs> {
    let (now_ms, now_label) = match settings.outcome.as_of_ms {
        Some(as_of) => (
            as_of,
            format!("the as-of date {}", values::format_timestamp(as_of)),
        ),
        None => (now_ms, "now (a date in the future)".to_string()),
    };
    let header_for = |role: Role, name: &str| settings.header_for(role, name).to_string();
    let mut reader = Reader {
        header_for: &header_for,
        date_format: settings.dialect.date_format.as_deref(),
        delimiter: settings.dialect.delimiter,
        decimal: settings.dialect.decimal,
        encoding: settings.dialect.encoding,
        now_label: &now_label,
        ..Reader::new(&settings.traits.missing, now_ms, observer)
    };
    let has_deals = settings.input.deals.is_some();
    // The tables are read one after another (each uses every core), in the fixed order of
    // [`Role::ALL`], the leads first: the activities are reduced to their leads' rows as they
    // are read.
    let leads_raw = reader.read(
        &settings.input.leads,
        Wanted {
            keep_extra: true,
            unless: vec![("created_at", "converted")],
            ..Wanted::columns(lead_columns(settings, has_deals))
        },
    )?;
    // Each lead id's row, for the deals' and the activities' leads (looked up once, here).
    let lead_ids = single_chunk(leads_raw.df.column("lead_id")?.str()?);
    let lead_index = (settings.input.deals.is_some() || settings.input.activities.is_some())
        .then(|| activities::LeadIndex::new(&lead_ids));
    let mut deals = None;
    let mut activities = None;
    let mut spend = None;
    let mut customers = None;
    for source in settings.input.all().into_iter().skip(1) {
        let columns = Wanted::columns(fixed_columns(source.role));
        match (source.role, lead_index.as_ref()) {
            (Role::Activities, Some(index)) => {
                let (_, reduced) = activities::read_reduced(index, |reduce| {
                    reader.read(
                        source,
                        Wanted {
                            piece: Some(reduce),
                            ..columns
                        },
                    )
                })?;
                activities = Some(reduced);
            }
            (Role::Deals, Some(index)) => {
                let raw = reader.read(source, columns)?;
                let lead_rows = index.rows_of(raw.df.column("lead_id")?.str()?);
                deals = Some(Deals {
                    df: with_rows(raw)?,
                    lead_rows,
                });
            }
            (Role::Spend, _) => {
                spend = Some(Spend {
                    df: with_rows(reader.read(source, columns)?)?,
                })
            }
            (Role::Customers, _) => {
                customers = Some(Customers {
                    df: with_rows(reader.read(source, columns)?)?,
                })
            }
            (role, _) => {
                return Err(Error::Internal(format!("{role} read without its leads")));
            }
        }
    }
    drop(lead_index);
    observer.step("ingest: tables read");
    let leads = leads_from(leads_raw, settings, &mut reader.notes)?;
    Ok(Inputs {
        leads,
        deals,
        activities,
        spend,
        customers,
        files: reader.files,
        rejects: reader.rejects,
        notes: reader.notes,
    })
}

/// New leads (and optionally their activities and deals) for `leadtune score`: the same
/// reading, dialect detection and typing as a run, with the scoring config's missing-value
/// tokens. The deals serve the opportunity stage of `stage_reached` (their `created_at`).
pub struct ScoringInputs {
    pub leads: Leads,
    pub activities: Option<Activities>,
    pub deals: Option<Deals>,
    pub rejects: Vec<Reject>,
    pub files: Vec<InputFile>,
}

#[allow(clippy::too_many_arguments)]
pub fn read_for_scoring(
    leads: &std::path::Path,
    activities: Option<&std::path::Path>,
    deals: Option<&std::path::Path>,
    missing: &[String],
    date_format: Option<&str>,
    categorical: &[&str],
    dates: &[&str],
    now_ms: Millis,
    observer: &dyn Observer,
) -> Result<ScoringInputs> {
    let mut reader = Reader {
        date_format,
        ..Reader::new(missing, now_ms, observer)
    };
    let file = |role, path: &std::path::Path| {
        TableSource::file(role, path.to_path_buf(), path.display().to_string())
    };
    // The stage dates a model counts (`stage_reached`) are typed as a run types them.
    let mut columns = vec![
        ColumnSpec::new("lead_id", Kind::Text).required().unique(),
        ColumnSpec::new("created_at", Kind::Timestamp),
    ];
    columns.extend(dates.iter().map(|d| ColumnSpec::new(d, Kind::Timestamp)));
    let raw = reader.read(
        &file(Role::Leads, leads),
        Wanted {
            keep_extra: true,
            ..Wanted::columns(columns)
        },
    )?;
    // The activities are reduced to their leads' rows as they are read.
    let activities = match activities {
        Some(path) => {
            let lead_ids = single_chunk(raw.df.column("lead_id")?.str()?);
            let index = activities::LeadIndex::new(&lead_ids);
            let source = file(Role::Activities, path);
            let read = activities::read_reduced(&index, |reduce| {
                reader.read(
                    &source,
                    Wanted {
                        piece: Some(reduce),
                        ..Wanted::columns(activity_columns())
                    },
                )
            })?;
            Some(read.1)
        }
        None => None,
    };
    let deals = match deals {
        Some(path) => {
            let lead_ids = single_chunk(raw.df.column("lead_id")?.str()?);
            let index = activities::LeadIndex::new(&lead_ids);
            // Read as a run reads them, so that the same rows are used (a deal of an
            // unknown status or with a bad date is rejected here as there).
            let read = reader.read(&file(Role::Deals, path), Wanted::columns(deal_columns()))?;
            let lead_rows = index.rows_of(read.df.column("lead_id")?.str()?);
            Some(Deals {
                df: with_rows(read)?,
                lead_rows,
            })
        }
        None => None,
    };
    let decimal = raw.dialect.map_or(b'.', |d| d.decimal);
    let extra = raw.extra.clone();
    let mut df = with_rows(raw)?;
    let mut traits = Vec::new();
    for name in extra {
        let numeric =
            !categorical.contains(&name.as_str()) && infer_numeric(&mut df, &name, decimal)?;
        traits.push(Trait {
            name,
            numeric,
            text: None,
        });
    }
    Ok(ScoringInputs {
        leads: Leads {
            df,
            traits,
            identity: Vec::new(),
        },
        activities,
        deals,
        rejects: reader.rejects,
        files: reader.files,
    })
}

/// Row accounting of one table read from CSV bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteCounts {
    pub read: u64,
    pub kept: u64,
    pub rejected: u64,
}

/// Reads CSV bytes as a table of role `table` with default settings, as `validate` would:
/// dialect detection, parsing, typing, and (for leads) trait type inference. The entry point
/// of the fuzz target (`fuzz/`): whatever the bytes, it returns, and `read = kept + rejected`.
pub fn read_csv_bytes(table: Role, bytes: &[u8]) -> Result<ByteCounts> {
    let columns = match table {
        Role::Leads => vec![
            ColumnSpec::new("lead_id", Kind::Text)
                .required()
                .unique()
                .row_number_if_absent(),
            ColumnSpec::new("created_at", Kind::Timestamp).non_empty(),
            ColumnSpec::new("source", Kind::Text),
            ColumnSpec::new("email", Kind::Text).identity(),
            ColumnSpec::new("first_response_at", Kind::Timestamp),
            ColumnSpec::new("converted", Kind::Flag),
        ],
        role => fixed_columns(role),
    };
    let missing: Vec<String> = ["", "na", "n/a", "null"].map(String::from).to_vec();
    let silent = crate::observe::Silent;
    let mut reader = Reader {
        date_format: Some("%d.%m.%Y"),
        now_label: "now",
        ..Reader::new(&missing, i64::MAX, &silent)
    };
    let source = TableSource::csv(table, bytes.to_vec(), table.name());
    let raw = reader.read(
        &source,
        Wanted {
            keep_extra: table == Role::Leads,
            unless: vec![("created_at", "converted")],
            ..Wanted::columns(columns)
        },
    )?;
    let decimal = raw.dialect.map_or(b'.', |d| d.decimal);
    let counts = ByteCounts {
        read: raw.rows_read,
        kept: raw.rows.len() as u64,
        rejected: reader.rejects.len() as u64,
    };
    let mut df = raw.df;
    for name in raw.extra {
        infer_numeric_counting(&mut df, &name, decimal)?;
    }
    Ok(counts)
}

/// The columns of a table whose columns are fixed (all but the leads).
fn fixed_columns(role: Role) -> Vec<ColumnSpec> {
    match role {
        Role::Deals => deal_columns(),
        Role::Activities => activity_columns(),
        Role::Spend => spend_columns(),
        Role::Customers | Role::Leads => customer_columns(),
    }
}

fn lead_columns(settings: &Settings, has_deals: bool) -> Vec<ColumnSpec> {
    // Without deals nothing links by id: an export without ids can use its row numbers.
    let id = ColumnSpec::new("lead_id", Kind::Text).required().unique();
    let mut columns = vec![
        if has_deals {
            id
        } else {
            id.row_number_if_absent()
        },
        ColumnSpec::new("created_at", Kind::Timestamp).non_empty(),
        ColumnSpec::new("source", Kind::Text),
        ColumnSpec::new("campaign", Kind::Text),
        ColumnSpec::new("company", Kind::Text).identity(),
        ColumnSpec::new("email", Kind::Text).identity(),
        ColumnSpec::new("domain", Kind::Text).identity(),
        ColumnSpec::new("owner", Kind::Text).identity(),
        ColumnSpec::new("first_response_at", Kind::Timestamp),
        ColumnSpec::new("mql_at", Kind::Timestamp),
        ColumnSpec::new("sql_at", Kind::Timestamp),
    ];
    let converted = ColumnSpec::new("converted", Kind::Flag);
    columns.push(if has_deals {
        converted
    } else {
        converted.non_empty()
    });
    for name in &settings.traits.numeric {
        columns.push(ColumnSpec::new(
            name,
            Kind::Number {
                non_negative: false,
            },
        ));
    }
    columns
}

fn deal_columns() -> Vec<ColumnSpec> {
    vec![
        ColumnSpec::new("deal_id", Kind::Text).required().unique(),
        ColumnSpec::new("lead_id", Kind::Text).required(),
        ColumnSpec::new("status", Kind::Status).required(),
        ColumnSpec::new("created_at", Kind::Timestamp),
        ColumnSpec::new("closed_at", Kind::Timestamp),
        ColumnSpec::new("amount", Kind::Number { non_negative: true }),
    ]
}

/// The activity columns read. The optional `value` (CONTRACT.md) is read as a number where it
/// is one (seconds on a page, a download's size) and as no value otherwise (a URL, a file
/// name): it never rejects a row, and its text is never kept.
fn activity_columns() -> Vec<ColumnSpec> {
    vec![
        ColumnSpec::new("lead_id", Kind::Text).required(),
        ColumnSpec::new("occurred_at", Kind::Timestamp).required(),
        ColumnSpec::new("type", Kind::Text).required(),
        ColumnSpec::new("value", Kind::Measure),
    ]
}

fn spend_columns() -> Vec<ColumnSpec> {
    vec![
        ColumnSpec::new("source", Kind::Text).required(),
        ColumnSpec::new("campaign", Kind::Text),
        ColumnSpec::new("period", Kind::Period).required(),
        ColumnSpec::new("cost", Kind::Number { non_negative: true }).required(),
    ]
}

fn customer_columns() -> Vec<ColumnSpec> {
    vec![
        ColumnSpec::new("customer_id", Kind::Text)
            .required()
            .unique(),
        ColumnSpec::new("company", Kind::Text).identity(),
        ColumnSpec::new("domain", Kind::Text).identity(),
        ColumnSpec::new("email", Kind::Text).identity(),
    ]
}

/// Puts the 1-based file row numbers in front, as column `row`.
fn with_rows(raw: RawTable) -> Result<DataFrame> {
    let mut df = raw.df;
    df.insert_column(0, Column::new("row".into(), raw.rows))?;
    Ok(df)
}

fn leads_from(raw: RawTable, settings: &Settings, notes: &mut Vec<String>) -> Result<Leads> {
    let config_path = &settings.config_path;
    if raw.rows_read == 0 {
        return Err(Error::input(
            settings.input.leads.path(),
            "the leads table has a header but no rows",
        ));
    }
    // Config-named trait columns must exist.
    let all: Vec<&str> = raw
        .extra
        .iter()
        .map(String::as_str)
        .chain(raw.present.iter().map(String::as_str))
        .collect();
    let lists = [
        ("exclude", &settings.traits.exclude),
        ("categorical", &settings.traits.categorical),
        ("numeric", &settings.traits.numeric),
        ("keep", &settings.traits.keep),
        ("identity", &settings.traits.identity),
    ];
    for (key, names) in lists {
        for name in names {
            if !all.contains(&name.as_str()) {
                let best = all
                    .iter()
                    .map(|c| (strsim::jaro_winkler(name, c), *c))
                    .max_by(|a, b| a.0.total_cmp(&b.0))
                    .filter(|(s, _)| *s >= 0.7)
                    .map(|(_, c)| format!("; did you mean {c:?}?"))
                    .unwrap_or_default();
                return Err(Error::config(
                    config_path,
                    format!(
                        "[traits] {key} names {name:?}, which is not a column of {}{best}",
                        settings.input.leads.written
                    ),
                ));
            }
        }
    }
    check_identity_lists(settings)?;
    let decimal = raw
        .dialect
        .map_or(settings.dialect.decimal.unwrap_or(b'.'), |d| d.decimal);
    let mut df = with_rows(raw)?;
    let mut traits = Vec::new();
    let identity: Vec<String> = IDENTITY_COLUMNS
        .iter()
        .filter(|c| df.schema().contains(c))
        .map(|c| c.to_string())
        .collect();
    let extra: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .filter(|name| name != "row" && !Role::Leads.known_columns().contains(&name.as_str()))
        .collect();
    // Every other column is a candidate trait: which of them identify a person or company
    // their values decide, in trait discovery.
    for name in extra {
        if settings.traits.numeric.contains(&name) {
            traits.push(Trait {
                name,
                numeric: true,
                text: None,
            });
            continue;
        }
        let typed = if settings.traits.categorical.contains(&name) {
            None
        } else {
            infer_numeric_counting(&mut df, &name, decimal)?
        };
        if let Some((n, _)) = typed.filter(|(n, _)| *n > 0) {
            notes.push(format!(
                "{}: {n} values of {name:?} are not finite numbers (inf, 1e999) and count as \
                 missing",
                settings.input.leads.written
            ));
        }
        traits.push(Trait {
            name,
            numeric: typed.is_some(),
            text: typed.map(|(_, text)| text),
        });
    }
    traits.retain(|t| !settings.traits.exclude.contains(&t.name));
    Ok(Leads {
        df,
        traits,
        identity,
    })
}

/// leadtune's own columns that identify a person or company: read for matching existing
/// customers (and queue rules) only, never traits.
pub const IDENTITY_COLUMNS: [&str; 4] = ["company", "email", "domain", "owner"];

/// `[traits] keep` and `identity` (whose columns exist, checked with the other lists) must not
/// contradict each other or `exclude`, and name candidate traits: `keep` none of leadtune's
/// own columns but `source` and `campaign`; `identity` none but those and the identity
/// columns (already identities).
fn check_identity_lists(settings: &Settings) -> Result<()> {
    let t = &settings.traits;
    let refuse = |message: String| Err(Error::config(&settings.config_path, message));
    let own = |name: &str| Role::Leads.known_columns().contains(&name);
    for name in &t.keep {
        if t.identity.contains(name) {
            return refuse(format!(
                "[traits] keep and [traits] identity both name {name:?}: keep it as a trait, or \
                 drop it as an identity, not both"
            ));
        }
        if t.exclude.contains(name) {
            return refuse(format!(
                "[traits] keep and [traits] exclude both name {name:?}: keep overrides an \
                 identity drop, exclude keeps a column out; list it in one"
            ));
        }
        if IDENTITY_COLUMNS.contains(&name.as_str()) {
            return refuse(format!(
                "[traits] keep names {name:?}, leadtune's {name} column, which is read for \
                 matching existing customers only and is never a trait"
            ));
        }
        if own(name) && !LEAD_CATEGORIES.contains(&name.as_str()) {
            return refuse(format!(
                "[traits] keep names {name:?}, one of leadtune's own columns, not a trait"
            ));
        }
    }
    for name in &t.identity {
        if own(name)
            && !LEAD_CATEGORIES.contains(&name.as_str())
            && !IDENTITY_COLUMNS.contains(&name.as_str())
        {
            return refuse(format!(
                "[traits] identity names {name:?}, one of leadtune's own columns, not a trait"
            ));
        }
    }
    Ok(())
}

/// leadtune's own lead columns that are also traits: the lead's source and campaign.
pub const LEAD_CATEGORIES: [&str; 2] = ["source", "campaign"];

/// Converts a text column to numbers when every value present parses as one (and one is present).
/// Values that are numbers but not finite (`inf`, `1e999`) count as missing, and are counted.
fn infer_numeric(df: &mut DataFrame, name: &str, decimal: u8) -> Result<bool> {
    Ok(infer_numeric_counting(df, name, decimal)?.is_some())
}

/// As [`infer_numeric`], returning how many non-finite values became missing and how the
/// numbers were written ([`NumberText`]). Parsed in parallel chunks, after a look at the
/// first values (a text column fails there, cheaply).
fn infer_numeric_counting(
    df: &mut DataFrame,
    name: &str,
    decimal: u8,
) -> Result<Option<(usize, NumberText)>> {
    use rayon::prelude::*;
    let column = df.column(name)?.clone();
    let Ok(text) = column.str() else {
        return Ok(None);
    };
    if text.null_count() == text.len() {
        return Ok(None);
    }
    let parse = |v: &str| values::parse_number(v, decimal);
    let number = |r: &std::result::Result<f64, &str>| r.is_ok() || *r == Err("not a finite number");
    if !text.iter().flatten().take(1000).all(|v| number(&parse(v))) {
        return Ok(None);
    }
    // In one chunk only past the first look (most text columns fail it).
    let text = single_chunk(text);
    const CHUNK: usize = 1 << 16;
    let n = text.len();
    let Some(values) = text.downcast_iter().next() else {
        return Ok(None);
    };
    // Each chunk parsed in parallel straight into its place in the column's values and
    // validity (missing, or not a finite number: not valid).
    let mut parsed = vec![0.0f64; n];
    let mut valid = vec![false; n];
    let counts: Vec<Option<(usize, NumberText)>> = parsed
        .par_chunks_mut(CHUNK)
        .zip(valid.par_chunks_mut(CHUNK))
        .enumerate()
        .map(|(c, (parsed, valid))| {
            let lo = c * CHUNK;
            let mut non_finite = 0;
            let mut written = NumberText::default();
            for (i, (x, ok)) in parsed.iter_mut().zip(valid.iter_mut()).enumerate() {
                let Some(v) = values.get(lo + i) else {
                    continue;
                };
                match parse(v) {
                    Ok(number) => {
                        (*x, *ok) = (number, true);
                        written.add(v);
                    }
                    Err("not a finite number") => non_finite += 1,
                    Err(_) => return None,
                }
            }
            Some((non_finite, written))
        })
        .collect();
    let mut non_finite = 0;
    let mut written = NumberText::default();
    for count in counts {
        let Some((k, part)) = count else {
            return Ok(None);
        };
        non_finite += k;
        written = written.merge(part);
    }
    if non_finite == n - text.null_count() {
        return Ok(None);
    }
    let numbers = crate::columns::numbers_with_validity(name, parsed, &valid);
    df.replace(name, numbers.into_column())?;
    Ok(Some((non_finite, written)))
}

#[cfg(test)]
mod tests;
