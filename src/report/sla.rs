//! Response SLA per tier: how often a tier's leads were answered later than its `sla_hours`
//! (or never), conversion when the SLA was met and when it was breached, and an estimate of the
//! wins lost to slow response.
//!
//! Wins lost = (conversion when met - conversion when breached) x breached leads, when the gap
//! is positive. Assumption, stated in the table: breached leads would have converted like the
//! tier's leads answered in time. This is an association, not a measured causal effect: leads
//! answered late may differ in other ways.

use serde::Serialize;

use crate::error::Result;
use crate::report::table::{Show, Table};
use crate::stats;

/// A lead of the report: its tier, response delay in hours (None: never answered), outcome.
#[derive(Debug, Clone, Copy)]
pub struct Response {
    pub tier: usize,
    pub hours: Option<f64>,
    pub won: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlaRow {
    pub tier: String,
    pub sla_hours: f64,
    pub leads: u64,
    pub breached: u64,
    pub breach_rate: Option<f64>,
    pub conversion_met: Option<f64>,
    pub conversion_met_low: Option<f64>,
    pub conversion_met_high: Option<f64>,
    pub conversion_breached: Option<f64>,
    pub conversion_breached_low: Option<f64>,
    pub conversion_breached_high: Option<f64>,
    pub estimated_wins_lost: Option<f64>,
}

/// `sla_by_tier.csv`, each row with the assumption behind its wins lost.
pub fn sla_table(rows: Vec<SlaRow>) -> Result<Table<SlaRow>> {
    const ASSUMPTION: &str = "breached leads would have converted like those answered within \
                              the SLA (an association, not a causal estimate)";
    Table::new(rows, |t| {
        t.column("tier", |r| r.tier.as_str())
            .show("Tier", Show::Text)
            .column("sla_hours", |r| r.sla_hours)
            .show("SLA", Show::Hours)
            .column("leads", |r| r.leads)
            .show("Leads", Show::Thousands("-"))
            .column("breached", |r| r.breached)
            .column("breach_rate", |r| r.breach_rate)
            .show("Breached", Show::Percent)
            .column("conversion_met", |r| r.conversion_met)
            .show("Conversion when met", Show::Percent)
            .column("conversion_met_low", |r| r.conversion_met_low)
            .show("95% interval", Show::Interval("conversion_met_high"))
            .column("conversion_met_high", |r| r.conversion_met_high)
            .column("conversion_breached", |r| r.conversion_breached)
            .show("When breached", Show::Percent)
            .column("conversion_breached_low", |r| r.conversion_breached_low)
            .show("95% interval", Show::Interval("conversion_breached_high"))
            .column("conversion_breached_high", |r| r.conversion_breached_high)
            .column("estimated_wins_lost", |r| r.estimated_wins_lost)
            .show("Wins lost (est.)", Show::Fixed(1))
            .column("assumption", |_| ASSUMPTION)
    })
}

/// One row per tier (`tiers` = (name, SLA hours)).
pub fn sla_by_tier(tiers: &[(String, f64)], leads: &[Response]) -> Vec<SlaRow> {
    tiers
        .iter()
        .enumerate()
        .map(|(k, (name, sla))| {
            let of: Vec<&Response> = leads.iter().filter(|l| l.tier == k).collect();
            let breached = |l: &&&Response| l.hours.is_none_or(|h| h > *sla);
            let (late, met): (Vec<&&Response>, Vec<&&Response>) = of.iter().partition(breached);
            let rate = |group: &[&&Response]| {
                let n = group.len() as f64;
                let w = group.iter().filter(|l| l.won).count() as f64;
                if n == 0.0 {
                    (None, None, None)
                } else {
                    let (lo, hi) = stats::wilson_interval(w, n, stats::Z95);
                    (Some(w / n), Some(lo), Some(hi))
                }
            };
            let (cm, cml, cmh) = rate(&met);
            let (cb, cbl, cbh) = rate(&late);
            SlaRow {
                tier: name.clone(),
                sla_hours: *sla,
                leads: of.len() as u64,
                breached: late.len() as u64,
                breach_rate: (!of.is_empty()).then(|| late.len() as f64 / of.len() as f64),
                conversion_met: cm,
                conversion_met_low: cml,
                conversion_met_high: cmh,
                conversion_breached: cb,
                conversion_breached_low: cbl,
                conversion_breached_high: cbh,
                estimated_wins_lost: cm
                    .zip(cb)
                    .map(|(m, b)| ((m - b) * late.len() as f64).max(0.0)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaches_and_wins_lost_by_hand() {
        // Hot (SLA 4 h): 10 answered within 4 h, 4 of them won; 5 answered at 10 h and 5 never,
        // 1 of those 10 won. Met 40%, breached 10%: (0.4 - 0.1) x 10 = 3 wins lost.
        let mut leads = Vec::new();
        for i in 0..10 {
            leads.push(Response {
                tier: 0,
                hours: Some(1.0),
                won: i < 4,
            });
        }
        for i in 0..5 {
            leads.push(Response {
                tier: 0,
                hours: Some(10.0),
                won: i == 0,
            });
        }
        for _ in 0..5 {
            leads.push(Response {
                tier: 0,
                hours: None,
                won: false,
            });
        }
        let rows = sla_by_tier(&[("hot".into(), 4.0), ("cold".into(), 168.0)], &leads);
        let hot = &rows[0];
        assert_eq!((hot.leads, hot.breached), (20, 10));
        assert_eq!(hot.breach_rate, Some(0.5));
        assert_eq!(hot.conversion_met, Some(0.4));
        assert_eq!(hot.conversion_breached, Some(0.1));
        assert!((hot.estimated_wins_lost.unwrap() - 3.0).abs() < 1e-12);
        assert_eq!(rows[1].leads, 0);
        assert_eq!(rows[1].breach_rate, None);
    }
}
