//! A report table defined once. Its columns are listed in one place, each a column of one
//! frame (what the CSV and Parquet files hold) and, where the page shows it, its title and
//! display format beside it. `report.html` reads its cells from the same frame the files are
//! written from, so the page and the files cannot drift apart.
//!
//! ```ignore
//! Table::new(rows, |t| {
//!     t.column("source", |r| r.source.as_str()).show("Source", Show::Text)
//!         .column("leads", |r| r.leads).show("Leads", Show::Thousands("-"))
//!         .column("note", |r| r.note.as_str())
//! })
//! ```

use std::path::Path;

use polars::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};

/// A report table: its rows, the rows as one frame, and the page's columns.
pub struct Table<R> {
    /// The rows as computed (the charts draw them).
    pub rows: Vec<R>,
    /// One column per defined column, in order: what the files hold.
    pub frame: DataFrame,
    shown: Vec<Shown>,
    page_rows: Option<RowTest>,
}

/// Whether the page shows a row.
type RowTest = fn(&FrameRow) -> Result<bool>;

/// A column the page shows: its title, the frame column its cells are read from, and how.
struct Shown {
    title: &'static str,
    column: PlSmallStr,
    show: Show,
}

/// How the page shows a column's cells (a null shows as `-` unless said otherwise).
#[derive(Debug, Clone, Copy)]
pub enum Show {
    /// The text as it is (a null: nothing).
    Text,
    /// The text as code, e.g. a fingerprint.
    Code,
    /// One text for true, another for false or null.
    Flag(&'static str, &'static str),
    /// A whole number as it is: `7` (a null: nothing).
    Whole,
    /// A whole number with its sign: `+12`, `-3` (a null: nothing).
    Signed,
    /// Rounded, with thousands separators: `4,330,465`; a null as the text given.
    Thousands(&'static str),
    /// `12.3%`.
    Percent,
    /// With this many decimals: `0.812`.
    Fixed(usize),
    /// Whole hours: `24 h`.
    Hours,
    /// `9.5–13.3%`: this column is the low end, the column named the high end.
    Interval(&'static str),
    /// Text made from the row's cells, aligned as said.
    Row(fn(&FrameRow) -> Result<String>, Align),
}

/// How a page column is set: text to the left, numbers to the right, code as code.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Align {
    Text,
    Number,
    Code,
}

impl Show {
    fn align(self) -> Align {
        match self {
            Show::Text | Show::Flag(..) => Align::Text,
            Show::Code => Align::Code,
            Show::Row(_, align) => align,
            Show::Whole
            | Show::Signed
            | Show::Thousands(_)
            | Show::Percent
            | Show::Fixed(_)
            | Show::Hours
            | Show::Interval(_) => Align::Number,
        }
    }
}

/// A table's columns, each defined once: [`Columns::column`] adds one to the frame,
/// [`Columns::show`] puts the one just added on the page.
pub struct Columns<'r, R> {
    rows: &'r [R],
    frame: Vec<Column>,
    shown: Vec<Shown>,
    page_rows: Option<RowTest>,
}

impl<'r, R> Columns<'r, R> {
    /// A column of the frame: `name`, one value per row; the values' type is the column's
    /// (`Option` for a nullable one).
    pub fn column<T>(mut self, name: &'static str, value: impl Fn(&'r R) -> T) -> Self
    where
        Series: NamedFrom<Vec<T>, [T]>,
    {
        let values: Vec<T> = self.rows.iter().map(value).collect();
        self.frame.push(Column::new(name.into(), values));
        self
    }

    /// The page shows the column just added under `title`, as `show` says.
    pub fn show(mut self, title: &'static str, show: Show) -> Self {
        let column = self.frame.last().map(|c| c.name().clone());
        self.shown.push(Shown {
            title,
            column: column.unwrap_or_default(),
            show,
        });
        self
    }

    /// The page shows only the rows that pass `keep` (the files hold every row).
    pub fn page_rows(mut self, keep: RowTest) -> Self {
        self.page_rows = Some(keep);
        self
    }
}

impl<R> Table<R> {
    /// The table of `rows`, its columns as `define` lists them.
    pub fn new(
        rows: Vec<R>,
        define: impl for<'r> FnOnce(Columns<'r, R>) -> Columns<'r, R>,
    ) -> Result<Self> {
        let Columns {
            frame,
            shown,
            page_rows,
            ..
        } = define(Columns {
            rows: &rows,
            frame: Vec::new(),
            shown: Vec::new(),
            page_rows: None,
        });
        let frame = DataFrame::new(rows.len(), frame)?;
        Ok(Table {
            rows,
            frame,
            shown,
            page_rows,
        })
    }

    /// Writes the frame as `{stem}.csv` and, with `parquet`, `{stem}.parquet` (see
    /// [`crate::report::write_tables::write_table`]).
    pub fn write(&self, dir: &Path, stem: &str, parquet: bool) -> Result<()> {
        crate::report::write_tables::write_table(dir, stem, &mut self.frame.clone(), parquet)
    }

    /// The rows the page shows (the charts draw the same).
    pub fn shown(&self) -> Result<Vec<&R>> {
        Ok(self
            .shown_at()?
            .into_iter()
            .map(|i| &self.rows[i])
            .collect())
    }

    /// Where the rows the page shows are.
    fn shown_at(&self) -> Result<Vec<usize>> {
        let mut at = Vec::new();
        for row in 0..self.frame.height() {
            let keep = match self.page_rows {
                Some(keep) => keep(&self.row(row))?,
                None => true,
            };
            if keep {
                at.push(row);
            }
        }
        Ok(at)
    }

    fn row(&self, row: usize) -> FrameRow<'_> {
        FrameRow {
            frame: &self.frame,
            row,
        }
    }

    /// The table as the page shows it, its cells read from the frame.
    pub fn page(&self) -> Result<PageTable> {
        let mut rows = Vec::new();
        for at in self.shown_at()? {
            let row = self.row(at);
            let cells = self.shown.iter().map(|s| s.cell(&row));
            rows.push(cells.collect::<Result<Vec<_>>>()?);
        }
        let columns = self
            .shown
            .iter()
            .map(|s| Heading {
                title: s.title,
                align: s.show.align(),
            })
            .collect();
        Ok(PageTable { columns, rows })
    }
}

/// A table as the page shows it: its columns' headings and its cells as text (the template
/// escapes them).
#[derive(Debug, Default, Serialize)]
pub struct PageTable {
    pub columns: Vec<Heading>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Debug, Serialize)]
pub struct Heading {
    pub title: &'static str,
    pub align: Align,
}

impl Shown {
    fn cell(&self, row: &FrameRow) -> Result<String> {
        let column = self.column.as_str();
        Ok(match self.show {
            Show::Text | Show::Code => row.text(column)?.unwrap_or_default().to_string(),
            Show::Flag(yes, no) => match row.flag(column)? {
                Some(true) => yes,
                _ => no,
            }
            .to_string(),
            Show::Whole => row
                .whole(column)?
                .map(|v| v.to_string())
                .unwrap_or_default(),
            Show::Signed => row
                .whole(column)?
                .map(|v| format!("{v:+}"))
                .unwrap_or_default(),
            Show::Thousands(missing) => row
                .number(column)?
                .map_or_else(|| missing.to_string(), thousands),
            Show::Percent => percent(row.number(column)?),
            Show::Fixed(decimals) => fixed(row.number(column)?, decimals),
            Show::Hours => format!("{} h", fixed(row.number(column)?, 0)),
            Show::Interval(high) => interval(row.number(column)?, row.number(high)?),
            Show::Row(text, _) => text(row)?,
        })
    }
}

/// One row of a table's frame, as the page reads it.
pub struct FrameRow<'f> {
    frame: &'f DataFrame,
    row: usize,
}

impl<'f> FrameRow<'f> {
    fn value(&self, column: &str) -> Result<AnyValue<'f>> {
        let c = self.frame.column(column).map_err(|_| {
            Error::Internal(format!(
                "the page reads a report table's column {column:?}, which it lacks"
            ))
        })?;
        Ok(c.get(self.row)?)
    }

    fn unexpected(column: &str, wanted: &str, v: &AnyValue) -> Error {
        Error::Internal(format!(
            "the page reads a report table's column {column:?} as {wanted}, but it holds {}",
            v.dtype()
        ))
    }

    /// A text cell (None: null).
    pub fn text(&self, column: &str) -> Result<Option<&'f str>> {
        match self.value(column)? {
            AnyValue::Null => Ok(None),
            AnyValue::String(s) => Ok(Some(s)),
            v => Err(Self::unexpected(column, "text", &v)),
        }
    }

    /// A number cell, any numeric type as a float (None: null).
    pub fn number(&self, column: &str) -> Result<Option<f64>> {
        match self.value(column)? {
            AnyValue::Null => Ok(None),
            v if v.is_primitive_numeric() => Ok(v.extract::<f64>()),
            v => Err(Self::unexpected(column, "a number", &v)),
        }
    }

    /// A whole number cell (None: null).
    pub fn whole(&self, column: &str) -> Result<Option<i64>> {
        match self.value(column)? {
            AnyValue::Null => Ok(None),
            v if v.is_integer() => Ok(v.extract::<i64>()),
            v => Err(Self::unexpected(column, "a whole number", &v)),
        }
    }

    /// A true/false cell (None: null).
    pub fn flag(&self, column: &str) -> Result<Option<bool>> {
        match self.value(column)? {
            AnyValue::Null => Ok(None),
            AnyValue::Boolean(b) => Ok(Some(b)),
            v => Err(Self::unexpected(column, "true/false", &v)),
        }
    }
}

/// `12.3%`; `-` when unknown.
pub fn percent(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{:.1}%", v * 100.0),
        _ => "-".into(),
    }
}

/// `9.5–13.3%`; `-` when either end is unknown.
pub fn interval(lo: Option<f64>, hi: Option<f64>) -> String {
    match (lo, hi) {
        (Some(l), Some(h)) if l.is_finite() && h.is_finite() => {
            format!("{:.1}–{:.1}%", l * 100.0, h * 100.0)
        }
        _ => "-".into(),
    }
}

/// A whole number with thousands separators: `4,330,465`.
pub fn thousands(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let n = v.round() as i64;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// With `decimals` decimals; `-` when unknown.
pub fn fixed(v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v:.decimals$}"),
        _ => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_a_report() {
        assert_eq!(thousands(4_330_465.16), "4,330,465");
        assert_eq!(thousands(-1234.0), "-1,234");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(percent(Some(0.1234)), "12.3%");
        assert_eq!(percent(None), "-");
        assert_eq!(interval(Some(0.095), Some(0.133)), "9.5–13.3%");
        assert_eq!(fixed(Some(0.81234), 3), "0.812");
    }

    struct Source {
        name: &'static str,
        leads: u64,
        wins: Option<u64>,
        low: f64,
        high: f64,
    }

    #[test]
    fn the_page_reads_the_frame_the_files_hold() {
        let rows = vec![
            Source {
                name: "web",
                leads: 12_345,
                wins: Some(12),
                low: 0.095,
                high: 0.133,
            },
            Source {
                name: "fair",
                leads: 7,
                wins: None,
                low: f64::NAN,
                high: 0.5,
            },
            Source {
                name: "list",
                leads: 1,
                wins: Some(0),
                low: 0.0,
                high: 0.8,
            },
        ];
        let t = Table::new(rows, |t| {
            t.column("source", |r| r.name)
                .show("Source", Show::Text)
                .column("leads", |r| r.leads)
                .show("Leads", Show::Thousands("-"))
                .column("wins", |r| r.wins)
                .show("Wins", Show::Thousands("withheld"))
                .column("low", |r| r.low)
                .show("95% interval", Show::Interval("high"))
                .column("high", |r| r.high)
                .page_rows(|r| Ok(r.text("source")? != Some("list")))
        })
        .unwrap();
        let names: Vec<&str> = t
            .frame
            .get_column_names()
            .iter()
            .map(|c| c.as_str())
            .collect();
        assert_eq!(names, ["source", "leads", "wins", "low", "high"]);
        assert_eq!(t.frame.column("wins").unwrap().dtype(), &DataType::UInt64);
        let shown: Vec<&str> = t.shown().unwrap().iter().map(|r| r.name).collect();
        assert_eq!(shown, ["web", "fair"]);
        let page = t.page().unwrap();
        let titles: Vec<&str> = page.columns.iter().map(|c| c.title).collect();
        assert_eq!(titles, ["Source", "Leads", "Wins", "95% interval"]);
        assert_eq!(page.columns[0].align, Align::Text);
        assert_eq!(page.columns[3].align, Align::Number);
        assert_eq!(page.rows[0], ["web", "12,345", "12", "9.5–13.3%"]);
        assert_eq!(page.rows[1], ["fair", "7", "withheld", "-"]);
        assert_eq!((t.frame.height(), page.rows.len()), (3, 2));
    }

    #[test]
    fn a_column_the_frame_lacks_is_our_error() {
        let t = Table::new(vec![1u64], |t| {
            t.column("n", |r| *r).show("N", Show::Interval("missing"))
        })
        .unwrap();
        assert!(matches!(t.page(), Err(Error::Internal(_))));
    }
}
