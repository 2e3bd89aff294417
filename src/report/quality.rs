//! Data quality on the page: each input read (rows used, rejected and maturing, its SHA-256),
//! and the rows rejected, counted by table, column and reason (`rejected.csv` lists each).

use std::collections::BTreeMap;

use crate::error::Result;
use crate::ingest::Reject;
use crate::manifest::InputEntry;
use crate::report::table::{Show, Table};

/// The inputs, as the manifest lists them.
pub fn inputs(entries: &[InputEntry]) -> Result<Table<&InputEntry>> {
    Table::new(entries.iter().collect(), |t| {
        t.column("table", |e| e.table.name())
            .show("Table", Show::Text)
            .column("format", |e| e.format)
            .show("Format", Show::Text)
            .column("rows_read", |e| e.rows_read)
            .show("Rows read", Show::Thousands("-"))
            .column("used", |e| e.used)
            .show("Used", Show::Thousands("-"))
            .column("rejected", |e| e.rejected)
            .show("Rejected", Show::Thousands("-"))
            .column("immature", |e| e.immature)
            .show("Maturing", Show::Thousands(""))
            .column("sha256", |e| e.sha256.as_str())
            .show("SHA-256", Show::Code)
    })
}

/// The rows rejected for one reason (its numbers replaced, see [`reason_kind`]) in one table
/// and column.
pub struct ReasonCount<'a> {
    pub table: &'a str,
    pub column: &'a str,
    pub reason: String,
    pub rows: u64,
}

/// The rejected rows counted by table, column and reason, the most frequent first.
pub fn reasons(rejects: &[Reject]) -> Result<Table<ReasonCount<'_>>> {
    let mut counts: BTreeMap<(&str, &str, String), u64> = BTreeMap::new();
    for r in rejects {
        *counts
            .entry((r.table.name(), r.column.as_str(), reason_kind(&r.reason)))
            .or_default() += 1;
    }
    let mut counts: Vec<_> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let rows = counts
        .into_iter()
        .map(|((table, column, reason), rows)| ReasonCount {
            table,
            column,
            reason,
            rows,
        })
        .collect();
    Table::new(rows, |t| {
        t.column("table", |r| r.table)
            .show("Table", Show::Text)
            .column("column", |r| r.column)
            .show("Column", Show::Text)
            .column("reason", |r| r.reason.as_str())
            .show("Reason", Show::Text)
            .column("rows", |r| r.rows)
            .show("Rows", Show::Thousands("-"))
    })
}

/// Digits in a reason (row numbers) replaced, so that reasons group.
fn reason_kind(reason: &str) -> String {
    let mut out = String::new();
    let mut in_digits = false;
    for c in reason.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('N');
            }
            in_digits = true;
        } else {
            in_digits = false;
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_group_without_their_row_numbers() {
        assert_eq!(
            reason_kind("duplicate lead_id (the first, at row 58, is kept)"),
            "duplicate lead_id (the first, at row N, is kept)"
        );
    }
}
