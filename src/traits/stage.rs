//! The funnel stage a lead reached before its scoring date (`created_at` +
//! `scoring_offset_days`): `stage_reached`, 0 none, 1 MQL (`mql_at`), 2 SQL (`sql_at`), 3 an
//! opportunity (a deal of the lead, of any status, created then). A stage counts only when its
//! date is strictly before the scoring date; the highest stage reached is the value (a CRM may
//! record an SQL without its MQL). Missing for a lead without `created_at`.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::ingest::{Deals, Leads, NO_LEAD};

/// The trait's name.
pub const TRAIT: &str = "stage_reached";

const DAY_MS: f64 = 86_400_000.0;

/// A stage's date, in funnel order: what `stage_reached` is made of (the scoring config lists
/// the ones the model was fitted with, `scoring.stages`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum StageDate {
    /// The lead's `mql_at`: stage 1.
    MqlAt,
    /// The lead's `sql_at`: stage 2.
    SqlAt,
    /// The `created_at` of the lead's first deal: stage 3.
    Opportunity,
}

impl StageDate {
    /// The stage's value in `stage_reached`.
    pub fn level(self) -> f64 {
        match self {
            StageDate::MqlAt => 1.0,
            StageDate::SqlAt => 2.0,
            StageDate::Opportunity => 3.0,
        }
    }

    /// The leads column holding the date (`None` for the opportunity: the deals' `created_at`).
    pub fn lead_column(self) -> Option<&'static str> {
        match self {
            StageDate::MqlAt => Some("mql_at"),
            StageDate::SqlAt => Some("sql_at"),
            StageDate::Opportunity => None,
        }
    }
}

/// The stage dates these inputs hold: the leads' `mql_at` and `sql_at` columns, and deals with
/// a `created_at`. Empty without the leads' `created_at` (nothing to compare with).
pub fn dates(leads: &Leads, deals: Option<&Deals>) -> Vec<StageDate> {
    if !leads.has("created_at") {
        return Vec::new();
    }
    let mut found: Vec<StageDate> = [StageDate::MqlAt, StageDate::SqlAt]
        .into_iter()
        .filter(|s| s.lead_column().is_some_and(|c| leads.has(c)))
        .collect();
    if deals.is_some_and(|d| d.has("created_at")) {
        found.push(StageDate::Opportunity);
    }
    found
}

/// Each lead's first deal creation (ms; `None`: no deal with a date), by lead row.
fn first_deals(leads: usize, deals: &Deals) -> Result<Vec<Option<i64>>> {
    let mut first = vec![None; leads];
    let created = crate::traits::timestamps(deals.frame(), "created_at")?;
    for (&row, at) in deals.lead_rows().iter().zip(created) {
        if row == NO_LEAD {
            continue;
        }
        if let (Some(f), Some(at)) = (first.get_mut(row as usize), at) {
            *f = Some(f.map_or(at, |f: i64| f.min(at)));
        }
    }
    Ok(first)
}

/// `stage_reached` per lead (in the leads' order), counting the stages of `stages` whose date
/// is strictly before the lead's scoring date. A stage whose date the inputs lack (no such
/// column, no deals) is reached by no lead.
pub fn values(
    leads: &Leads,
    deals: Option<&Deals>,
    stages: &[StageDate],
    offset_days: f64,
) -> Result<Vec<Option<f64>>> {
    let frame = leads.frame();
    let n = leads.len();
    let offset_ms = (offset_days * DAY_MS) as i64;
    let created = crate::traits::timestamps(frame, "created_at")?;
    let mut reached: Vec<Option<f64>> = created.iter().map(|c| c.map(|_| 0.0)).collect();
    for &stage in stages {
        let dates = match (stage.lead_column(), deals) {
            (Some(column), _) => crate::traits::timestamps(frame, column)?,
            (None, Some(deals)) => first_deals(n, deals)?,
            (None, None) => continue,
        };
        for ((r, c), d) in reached.iter_mut().zip(&created).zip(dates) {
            if let (Some(r), Some(c), Some(d)) = (r.as_mut(), c, d)
                && d < c + offset_ms
            {
                *r = r.max(stage.level());
            }
        }
    }
    Ok(reached)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(leads: &str, deals: &str) -> crate::ingest::Inputs {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("leads.csv"), leads).unwrap();
        std::fs::write(dir.path().join("deals.csv"), deals).unwrap();
        let path = dir.path().join("leadtune.toml");
        std::fs::write(
            &path,
            "[input]\nleads = \"leads.csv\"\ndeals = \"deals.csv\"\n",
        )
        .unwrap();
        let settings = crate::config::load(&path, None, None).unwrap();
        crate::ingest::ingest(&settings, i64::MAX, &crate::observe::Silent).unwrap()
    }

    /// Scored 7 days after creation (2024-01-08): a stage dated exactly then or later does not
    /// count; the highest stage before it does, whatever came before it.
    #[test]
    fn a_stage_counts_only_strictly_before_the_scoring_date() {
        let inputs = inputs(
            "lead_id,created_at,mql_at,sql_at\n\
             A,2024-01-01,,\n\
             B,2024-01-01,2024-01-03,\n\
             C,2024-01-01,2024-01-03,2024-01-07T23:59:59\n\
             D,2024-01-01,2024-01-08,2024-01-20\n\
             E,2024-01-01,,2024-01-05\n\
             F,2024-01-01,2024-01-02,2024-01-04\n\
             G,2024-01-01,2024-01-02,\n",
            "deal_id,lead_id,status,created_at,closed_at,amount\n\
             D1,F,open,2024-01-06,,\n\
             D2,G,won,2024-01-08,2024-02-01,100\n\
             D3,G,lost,2024-01-09,2024-02-01,\n",
        );
        let stages = dates(&inputs.leads, inputs.deals.as_ref());
        assert_eq!(
            stages,
            [StageDate::MqlAt, StageDate::SqlAt, StageDate::Opportunity]
        );
        let got = values(&inputs.leads, inputs.deals.as_ref(), &stages, 7.0).unwrap();
        assert_eq!(
            got,
            [
                Some(0.0), // A: nothing
                Some(1.0), // B: MQL
                Some(2.0), // C: SQL a second before the scoring date
                Some(0.0), // D: MQL exactly at the scoring date, SQL after: neither
                Some(2.0), // E: an SQL without its MQL
                Some(3.0), // F: an open deal created before
                Some(1.0), // G: its deals created at and after the scoring date
            ]
        );
        // Without the deals (scoring without --deals), no lead reaches an opportunity.
        let got = values(&inputs.leads, None, &stages, 7.0).unwrap();
        assert_eq!(got[5], Some(2.0));
        // A longer offset lets the later dates in.
        let got = values(&inputs.leads, inputs.deals.as_ref(), &stages, 30.0).unwrap();
        assert_eq!(got[3], Some(2.0));
        assert_eq!(got[6], Some(3.0));
    }
}
