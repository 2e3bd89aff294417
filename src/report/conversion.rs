//! Conversion tables for people: by source, campaign, tier and creation quarter, and the
//! speed-to-lead table. Aggregates only. Rates are over leads whose outcome is known (mature,
//! not existing customers), each with a 95% Wilson interval; immature leads are counted beside
//! them, never as lost. Groups with fewer than `min_cell` leads are merged into one
//! `(small groups)` row, and suppressed if that row is still small (so that no report points at
//! a handful of identifiable leads).

use polars::prelude::{InitHashMaps, PlHashMap};

use serde::Serialize;

use crate::error::Result;
use crate::report::table::{Align, FrameRow, Show, Table};
use crate::stats;

/// The rows of speed-to-lead (and of the funnel) over every source; the page shows these.
pub const ALL_SOURCES: &str = "(all sources)";

/// One row of a conversion table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConversionRow {
    pub group: String,
    /// Leads with a known outcome.
    pub leads: u64,
    pub wins: u64,
    pub conversion: Option<f64>,
    pub conversion_low: Option<f64>,
    pub conversion_high: Option<f64>,
    /// Leads whose outcome is not known yet.
    pub immature: u64,
    /// For cohorts: some leads are still immature, so the rate may still rise.
    pub cohort_complete: bool,
    /// Counts withheld by the small-cell rule.
    pub suppressed: bool,
}

/// What a conversion table is of, as the page names it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Of {
    /// One dimension: `source`, `campaign`, `quarter`, `tier` or `queue`.
    Dimension(&'static str),
    /// Several dimensions in one table, one per trait (`segment`) or queue (`queue and tier`):
    /// the page names each group's dimension (`industry: Software`).
    Dimensions(&'static str),
    /// Speed-to-lead, per response time, over all sources (the page shows these) and per source.
    Speed,
}

/// A conversion table, written as `{stem}.csv` and `{stem}.parquet` and shown on the page.
pub struct ConversionTable {
    pub stem: &'static str,
    pub of: Of,
    pub table: Table<(String, ConversionRow)>,
}

impl ConversionTable {
    /// The table of `rows`, each (dimension, row): e.g. ("source", the web row). Its columns:
    /// `dimension, group, leads, wins, conversion, conversion_low, conversion_high, immature,
    /// cohort_complete, suppressed`, the counts null (and shown as 0) for a suppressed group.
    pub fn new(stem: &'static str, of: Of, rows: Vec<(String, ConversionRow)>) -> Result<Self> {
        let (group_title, group) = match of {
            Of::Dimension(d) => (d, Show::Text),
            Of::Dimensions(d) => (d, Show::Row(named_group, Align::Text)),
            Of::Speed => ("Response time", Show::Text),
        };
        let note = match of {
            Of::Dimension("quarter") => Show::Row(cohort_note, Align::Text),
            _ => Show::Row(note, Align::Text),
        };
        let counted = |r: &ConversionRow, n: u64| (!r.suppressed).then_some(n);
        let table = Table::new(rows, |t| {
            let t = t
                .column("dimension", |r| r.0.as_str())
                .column("group", |r| r.1.group.as_str())
                .show(group_title, group)
                .column("leads", |r| counted(&r.1, r.1.leads))
                .show("Leads", Show::Thousands("0"))
                .column("wins", |r| counted(&r.1, r.1.wins))
                .show("Wins", Show::Thousands("0"))
                .column("conversion", |r| r.1.conversion)
                .show("Conversion", Show::Percent)
                .column("conversion_low", |r| r.1.conversion_low)
                .show("95% interval", Show::Interval("conversion_high"))
                .column("conversion_high", |r| r.1.conversion_high)
                .column("immature", |r| counted(&r.1, r.1.immature));
            let t = match of {
                Of::Speed => t,
                _ => t.show("Maturing", Show::Thousands("0")),
            };
            let t = t
                .column("cohort_complete", |r| r.1.cohort_complete)
                .column("suppressed", |r| r.1.suppressed)
                .show("Note", note);
            match of {
                Of::Speed => t.page_rows(|r| Ok(r.text("dimension")? == Some(ALL_SOURCES))),
                _ => t,
            }
        })?;
        Ok(ConversionTable { stem, of, table })
    }

    /// The table's rows, without their dimension.
    pub fn rows(&self) -> impl Iterator<Item = &ConversionRow> {
        self.table.rows.iter().map(|(_, r)| r)
    }
}

/// A group named with its dimension: `industry: Software`.
fn named_group(r: &FrameRow) -> Result<String> {
    let text = |c| r.text(c).map(Option::unwrap_or_default);
    Ok(format!("{}: {}", text("dimension")?, text("group")?))
}

/// What the page notes of a group: withheld by the small-cell rule.
fn note(r: &FrameRow) -> Result<String> {
    Ok(match r.flag("suppressed")? {
        Some(true) => "withheld: small cell".into(),
        _ => String::new(),
    })
}

/// [`note`], and for a cohort (a quarter) whose leads are still maturing, that it is.
fn cohort_note(r: &FrameRow) -> Result<String> {
    let mut notes = vec![note(r)?];
    if r.flag("cohort_complete")? == Some(false) {
        notes.push("cohort still maturing".into());
    }
    notes.retain(|n| !n.is_empty());
    Ok(notes.join("; "))
}

/// One lead as the tables see it.
#[derive(Debug, Clone)]
pub struct LeadFacts<'a> {
    pub group: Option<&'a str>,
    /// `Some(won)` when the outcome is known, `None` when immature.
    pub outcome: Option<bool>,
}

/// A conversion table over `leads`, grouped by their `group` (missing as `(missing)`), groups
/// in name order, with the small-cell rule applied.
pub fn conversion_table(leads: &[LeadFacts], min_cell: u64) -> Vec<ConversionRow> {
    let mut counted: Counts = PlHashMap::new();
    for l in leads {
        count(&mut counted, l.group, l.outcome);
    }
    table_of_counts(counted, min_cell)
}

/// Per group: (leads with a known outcome, wins, immature leads).
type Counts<'g> = PlHashMap<&'g str, (u64, u64, u64)>;

fn count<'g>(counted: &mut Counts<'g>, group: Option<&'g str>, outcome: Option<bool>) {
    let e = counted.entry(group.unwrap_or("(missing)")).or_default();
    match outcome {
        Some(won) => {
            e.0 += 1;
            e.1 += u64::from(won);
        }
        None => e.2 += 1,
    }
}

/// The rows of a conversion table from its counts (see [`conversion_table`]).
fn table_of_counts(counted: Counts, min_cell: u64) -> Vec<ConversionRow> {
    let mut groups: Vec<(&str, (u64, u64, u64))> = counted.into_iter().collect();
    groups.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut rows = Vec::new();
    let mut small = (0u64, 0u64, 0u64, 0usize);
    for (group, (n, w, immature)) in groups {
        if n + immature < min_cell {
            small = (small.0 + n, small.1 + w, small.2 + immature, small.3 + 1);
            continue;
        }
        rows.push(row(group.to_string(), n, w, immature, false));
    }
    if small.3 > 0 {
        let suppressed = small.0 + small.2 < min_cell;
        rows.push(row(
            format!("(small groups: {})", small.3),
            small.0,
            small.1,
            small.2,
            suppressed,
        ));
    }
    rows
}

fn row(group: String, n: u64, w: u64, immature: u64, suppressed: bool) -> ConversionRow {
    if suppressed {
        return ConversionRow {
            group,
            leads: 0,
            wins: 0,
            conversion: None,
            conversion_low: None,
            conversion_high: None,
            immature: 0,
            cohort_complete: immature == 0,
            suppressed: true,
        };
    }
    let (low, high) = stats::wilson_interval(w as f64, n as f64, stats::Z95);
    ConversionRow {
        group,
        leads: n,
        wins: w,
        conversion: (n > 0).then(|| w as f64 / n as f64),
        conversion_low: (n > 0).then_some(low),
        conversion_high: (n > 0).then_some(high),
        immature,
        cohort_complete: immature == 0,
        suppressed,
    }
}

/// Speed-to-lead buckets (hours from creation to first response).
pub const SPEED_BUCKETS: [(&str, f64, f64); 6] = [
    ("< 1 h", 0.0, 1.0),
    ("1-4 h", 1.0, 4.0),
    ("4-24 h", 4.0, 24.0),
    ("1-3 d", 24.0, 72.0),
    ("3-7 d", 72.0, 168.0),
    ("> 7 d", 168.0, f64::INFINITY),
];

/// The speed-to-lead bucket of a response delay in hours (`None`: never answered).
pub fn speed_bucket(hours: Option<f64>) -> &'static str {
    match hours {
        None => "never",
        Some(h) if h < 0.0 => "answered before creation (data error)",
        Some(h) => SPEED_BUCKETS
            .iter()
            .find(|(_, lo, hi)| h >= *lo && h < *hi)
            .map_or("> 7 d", |b| b.0),
    }
}

/// Leads as the conversion tables see them: outcome known or immature, existing customers out.
pub struct ReportLeads<'a> {
    pub outcome: Vec<Option<bool>>,
    /// Leads that are existing customers: left out of every table.
    pub existing: Vec<bool>,
    pub leads: &'a polars::prelude::DataFrame,
}

impl<'a> ReportLeads<'a> {
    /// Facts per lead (existing customers dropped) with the group from `group_of`.
    pub fn facts<'g>(&self, group_of: impl Fn(usize) -> Option<&'g str>) -> Vec<LeadFacts<'g>> {
        self.facts_of(0..self.outcome.len(), group_of)
    }

    /// `conversion_table(&self.facts(group_of), min_cell)`, counted in parallel chunks of
    /// leads without a list of facts (at 10M leads, 240 MB a table).
    pub fn conversion<'g>(
        &self,
        group_of: impl Fn(usize) -> Option<&'g str> + Sync,
        min_cell: u64,
    ) -> Vec<ConversionRow> {
        use rayon::prelude::*;
        const CHUNK: usize = 1 << 16;
        let n = self.outcome.len();
        let counted = (0..n.div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                let mut counted: Counts = PlHashMap::new();
                for i in c * CHUNK..((c + 1) * CHUNK).min(n) {
                    if !self.existing[i] {
                        count(&mut counted, group_of(i), self.outcome[i]);
                    }
                }
                counted
            })
            .reduce(PlHashMap::new, |mut a, b| {
                for (group, (n, w, immature)) in b {
                    let e = a.entry(group).or_default();
                    e.0 += n;
                    e.1 += w;
                    e.2 += immature;
                }
                a
            });
        table_of_counts(counted, min_cell)
    }

    /// [`Self::facts`] of the leads at `rows`.
    pub fn facts_of<'g>(
        &self,
        rows: impl Iterator<Item = usize>,
        group_of: impl Fn(usize) -> Option<&'g str>,
    ) -> Vec<LeadFacts<'g>> {
        rows.filter(|&i| !self.existing[i])
            .map(|i| LeadFacts {
                group: group_of(i),
                outcome: self.outcome[i],
            })
            .collect()
    }

    /// A text column's values (None when the column is absent).
    pub fn text(&self, name: &str) -> Vec<Option<&'a str>> {
        match self.leads.column(name).and_then(|c| c.str()) {
            Ok(c) => c.iter().collect(),
            Err(_) => vec![None; self.outcome.len()],
        }
    }

    /// Any column's values as text (numbers and booleans as written; all missing when absent),
    /// to be read with [`Self::text`]-like borrowing from the returned column.
    pub fn text_of(&self, name: &str) -> polars::prelude::StringChunked {
        use polars::prelude::{DataType, StringChunked};
        self.leads
            .column(name)
            .and_then(|c| c.cast(&DataType::String))
            .and_then(|c| c.str().cloned())
            .unwrap_or_else(|_| {
                (0..self.outcome.len())
                    .map(|_| None::<&str>)
                    .collect::<StringChunked>()
            })
    }

    /// A timestamp column in milliseconds.
    pub fn millis(&self, name: &str) -> Vec<Option<i64>> {
        match self
            .leads
            .column(name)
            .and_then(|c| c.cast(&polars::prelude::DataType::Int64))
        {
            Ok(c) => c.i64().map(|c| c.iter().collect()).unwrap_or_default(),
            Err(_) => vec![None; self.outcome.len()],
        }
    }
}

/// Each timestamp's `YYYY-Qn`, as indices into a short list of labels (each quarter's label is
/// made once, not once per lead).
pub fn quarters(millis: &[Option<i64>]) -> (Vec<String>, Vec<Option<u32>>) {
    let mut labels: Vec<String> = Vec::new();
    let mut index: PlHashMap<i64, u32> = PlHashMap::new();
    // Quarters change at month starts: key on the millisecond's day to spare the calendar.
    let of = millis
        .iter()
        .map(|m| {
            let m = (*m)?;
            let day = m.div_euclid(86_400_000);
            if let Some(&k) = index.get(&day) {
                return Some(k);
            }
            let label = quarter(m)?;
            let k = match labels.iter().position(|l| *l == label) {
                Some(k) => k as u32,
                None => {
                    labels.push(label);
                    (labels.len() - 1) as u32
                }
            };
            index.insert(day, k);
            Some(k)
        })
        .collect();
    (labels, of)
}

/// `YYYY-Qn` of a timestamp.
pub fn quarter(ms: i64) -> Option<String> {
    use chrono::Datelike;
    let d = chrono::DateTime::from_timestamp_millis(ms)?;
    Some(format!("{}-Q{}", d.year(), (d.month() - 1) / 3 + 1))
}

/// Orders speed-to-lead rows as the buckets go (fastest first, never last).
pub fn order_speed(rows: &mut [ConversionRow]) {
    let rank = |g: &str| {
        SPEED_BUCKETS
            .iter()
            .position(|b| b.0 == g)
            .unwrap_or(if g == "never" { 6 } else { 7 })
    };
    rows.sort_by_key(|r| rank(&r.group));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead(group: Option<&str>, outcome: Option<bool>) -> LeadFacts<'_> {
        LeadFacts { group, outcome }
    }

    #[test]
    fn counted_in_chunks_equals_the_facts_table() {
        // More leads than one chunk, groups of every size, existing customers left out.
        let n = 200_000;
        let groups = ["a", "b", "c", "rare"];
        let group_of = |i: usize| match i % 7 {
            0 => None,
            k if i.is_multiple_of(10_007) => Some(groups[3]).filter(|_| k > 0),
            k => Some(groups[k % 3]),
        };
        let frame = polars::prelude::DataFrame::empty();
        let leads = ReportLeads {
            outcome: (0..n).map(|i| (i % 5 != 0).then_some(i % 3 == 0)).collect(),
            existing: (0..n).map(|i| i % 11 == 0).collect(),
            leads: &frame,
        };
        for min in [0, 10, 100] {
            let facts = conversion_table(&leads.facts(group_of), min);
            let counted = leads.conversion(group_of, min);
            assert_eq!(format!("{facts:?}"), format!("{counted:?}"));
            assert!(facts.iter().any(|r| r.group == "(missing)"));
        }
    }

    #[test]
    fn a_hand_made_table() {
        // web: 10 known (3 won) + 2 immature; event: 4 known (4 won); list: 1; none: 12 known.
        let mut leads = Vec::new();
        for i in 0..10 {
            leads.push(lead(Some("web"), Some(i < 3)));
        }
        leads.push(lead(Some("web"), None));
        leads.push(lead(Some("web"), None));
        for _ in 0..4 {
            leads.push(lead(Some("event"), Some(true)));
        }
        leads.push(lead(Some("list"), Some(false)));
        for i in 0..12 {
            leads.push(lead(None, Some(i == 0)));
        }
        let rows = conversion_table(&leads, 10);
        let web = rows.iter().find(|r| r.group == "web").unwrap();
        assert_eq!((web.leads, web.wins, web.immature), (10, 3, 2));
        assert_eq!(web.conversion, Some(0.3));
        // Wilson 3 of 10 at 95%: (0.1078, 0.6032) (Wilson 1927; e.g. R binom::binom.wilson).
        assert!((web.conversion_low.unwrap() - 0.10779).abs() < 1e-4);
        assert!((web.conversion_high.unwrap() - 0.60322).abs() < 1e-4);
        assert!(!web.cohort_complete);
        let missing = rows.iter().find(|r| r.group == "(missing)").unwrap();
        assert_eq!((missing.leads, missing.wins), (12, 1));
        // event (4) and list (1) are under 10 leads: merged, and at 5 still too small.
        let small = rows
            .iter()
            .find(|r| r.group.starts_with("(small groups"))
            .unwrap();
        assert!(small.suppressed);
        assert_eq!((small.leads, small.wins, small.conversion), (0, 0, None));
        assert_eq!(rows.len(), 3);
    }

    #[test]
    fn speed_buckets() {
        assert_eq!(speed_bucket(Some(0.5)), "< 1 h");
        assert_eq!(speed_bucket(Some(1.0)), "1-4 h");
        assert_eq!(speed_bucket(Some(30.0)), "1-3 d");
        assert_eq!(speed_bucket(Some(500.0)), "> 7 d");
        assert_eq!(speed_bucket(None), "never");
        assert!(speed_bucket(Some(-2.0)).contains("before creation"));
    }
}
