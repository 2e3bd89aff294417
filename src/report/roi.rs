//! The funnel (lead -> MQL -> SQL -> opportunity -> won) and source ROI, as aggregates.
//!
//! ROI = (won revenue - cost) / cost, per source over the whole history and per source and
//! quarter. Revenue counts every win known so far, so recent quarters are a lower bound while
//! their leads are immature. Sources with spend but no leads, and leads from a source without
//! spend, are listed, not dropped. Sources with fewer than `min_cell` leads have their wins and
//! revenue withheld (small-cell rule).

use std::collections::BTreeMap;

use polars::prelude::{InitHashMaps, PlHashMap};

use serde::Serialize;

use crate::error::Result;
use crate::report::conversion::ALL_SOURCES;
use crate::report::table::{Show, Table};

/// One lead as the funnel and ROI see it.
#[derive(Debug, Clone, Default)]
pub struct LeadPath<'a> {
    pub source: Option<&'a str>,
    pub campaign: Option<&'a str>,
    pub quarter: Option<&'a str>,
    /// Days from creation to each stage reached (None: not reached or no date).
    pub mql_days: Option<f64>,
    pub sql_days: Option<f64>,
    pub reached_mql: bool,
    pub reached_sql: bool,
    pub opportunity: bool,
    pub opportunity_days: Option<f64>,
    pub won: bool,
    pub won_days: Option<f64>,
    pub won_amount: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunnelRow {
    pub source: String,
    pub stage: &'static str,
    pub leads: u64,
    /// Of the previous stage.
    pub stage_conversion: Option<f64>,
    /// Of all leads.
    pub share_of_leads: Option<f64>,
    pub median_days_from_creation: Option<f64>,
}

/// The middle value (the mean of the two middle values for an even count), in `total_cmp`
/// order. Found by selection, O(n), not by sorting: the same value a sort gives.
fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let (n, m) = (v.len(), v.len() / 2);
    let (below, &mut upper, _) = v.select_nth_unstable_by(m, f64::total_cmp);
    Some(if n % 2 == 1 {
        upper
    } else {
        // The largest of the lower half is the (m - 1)-th value in order.
        let lower = below
            .iter()
            .copied()
            .max_by(f64::total_cmp)
            .unwrap_or(upper);
        (lower + upper) / 2.0
    })
}

/// A funnel stage: its name, whether a lead reached it, and the days from creation to it.
type Stage = (
    &'static str,
    fn(&LeadPath) -> bool,
    fn(&LeadPath<'_>) -> Option<f64>,
);

/// Funnel rows for one group of leads. Stages count as recorded: a lead with a deal but no
/// `sql_at` counts as an opportunity, not as an SQL, so a stage conversion above 1 shows that
/// the CRM records later stages without the earlier ones.
pub fn funnel(source: &str, leads: &[&LeadPath]) -> Vec<FunnelRow> {
    let total = leads.len() as u64;
    let stages: [Stage; 5] = [
        ("lead", |_| true, |_| Some(0.0)),
        ("mql", |l| l.reached_mql, |l| l.mql_days),
        ("sql", |l| l.reached_sql, |l| l.sql_days),
        ("opportunity", |l| l.opportunity, |l| l.opportunity_days),
        ("won", |l| l.won, |l| l.won_days),
    ];
    let mut previous: Option<u64> = None;
    stages
        .iter()
        .map(|(stage, reached, days)| {
            let at: Vec<&&LeadPath> = leads.iter().filter(|l| reached(l)).collect();
            let n = at.len() as u64;
            let row = FunnelRow {
                source: source.to_string(),
                stage,
                leads: n,
                stage_conversion: previous.filter(|p| *p > 0).map(|p| n as f64 / p as f64),
                share_of_leads: (total > 0).then(|| n as f64 / total as f64),
                median_days_from_creation: median(at.iter().filter_map(|l| days(l)).collect()),
            };
            previous = Some(n);
            row
        })
        .collect()
}

/// `funnel.csv`; the page shows all sources' stages.
pub fn funnel_table(rows: Vec<FunnelRow>) -> Result<Table<FunnelRow>> {
    Table::new(rows, |t| {
        t.column("source", |r| r.source.as_str())
            .column("stage", |r| r.stage)
            .show("Stage", Show::Text)
            .column("leads", |r| r.leads)
            .show("Leads", Show::Thousands("-"))
            .column("stage_conversion", |r| r.stage_conversion)
            .show("Of previous stage", Show::Percent)
            .column("share_of_leads", |r| r.share_of_leads)
            .show("Of all leads", Show::Percent)
            .column("median_days_from_creation", |r| r.median_days_from_creation)
            .show("Median days from creation", Show::Fixed(1))
            .page_rows(|r| Ok(r.text("source")? == Some(ALL_SOURCES)))
    })
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoiRow {
    pub source: String,
    /// `(all)` for the source as a whole, or one of its campaigns when the spend names them.
    pub campaign: String,
    /// `(all)` or a quarter `YYYY-Qn`.
    pub period: String,
    pub leads: u64,
    pub wins: Option<u64>,
    pub revenue: Option<f64>,
    pub cost: Option<f64>,
    pub cost_per_lead: Option<f64>,
    pub cost_per_win: Option<f64>,
    pub roi: Option<f64>,
    pub average_deal: Option<f64>,
    pub median_days_to_win: Option<f64>,
    pub note: String,
}

/// `source_roi.csv` and `.parquet`; the page shows each source's whole history (campaign and
/// period `(all)`).
pub fn roi_table(rows: Vec<RoiRow>) -> Result<Table<RoiRow>> {
    Table::new(rows, |t| {
        t.column("source", |r| r.source.as_str())
            .show("Source", Show::Text)
            .column("campaign", |r| r.campaign.as_str())
            .column("period", |r| r.period.as_str())
            .column("leads", |r| r.leads)
            .show("Leads", Show::Thousands("-"))
            .column("wins", |r| r.wins)
            .show("Wins", Show::Thousands("-"))
            .column("revenue", |r| r.revenue)
            .show("Revenue", Show::Thousands("-"))
            .column("cost", |r| r.cost)
            .show("Cost", Show::Thousands("-"))
            .column("cost_per_lead", |r| r.cost_per_lead)
            .show("Cost per lead", Show::Thousands("-"))
            .column("cost_per_win", |r| r.cost_per_win)
            .show("Cost per win", Show::Thousands("-"))
            .column("roi", |r| r.roi)
            .show("ROI", Show::Percent)
            .column("average_deal", |r| r.average_deal)
            .show("Average deal", Show::Thousands("-"))
            .column("median_days_to_win", |r| r.median_days_to_win)
            .show("Median days to win", Show::Fixed(0))
            .column("note", |r| r.note.as_str())
            .show("Note", Show::Text)
            .page_rows(|r| Ok(r.text("campaign")? == Some(ALL) && r.text("period")? == Some(ALL)))
    })
}

/// One spend row, summed per source, campaign (when the spend names one) and quarter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SpendKey {
    pub source: String,
    pub campaign: Option<String>,
    pub quarter: String,
}

const ALL: &str = "(all)";

/// ROI per source (campaign and period `(all)`), per source and quarter, and, when the spend
/// names campaigns, per campaign and per campaign and quarter. Cost is the spend whose source
/// (and campaign, and quarter) match the row; a campaign row's cost leaves out spend that names
/// no campaign.
pub fn source_roi<'l, 'a: 'l>(
    leads: impl IntoIterator<Item = &'l LeadPath<'a>> + Clone,
    spend: &BTreeMap<SpendKey, f64>,
    min_cell: u64,
) -> Vec<RoiRow> {
    let by_campaign = spend.keys().any(|k| k.campaign.is_some());
    // One pass: each lead counted into every row it belongs to, in lead order (so each row's
    // revenue is summed in the same order as a row-by-row pass). A lead's rows depend only on
    // its (source, campaign, quarter), so that triple is hashed once per lead and its rows are
    // found once per distinct triple.
    type Key<'k> = (&'k str, &'k str, &'k str);
    #[derive(Default)]
    struct Tally {
        leads: u64,
        wins: u64,
        revenue: f64,
        win_days: Vec<f64>,
    }
    fn slot<'k>(
        key: Key<'k>,
        index: &mut PlHashMap<Key<'k>, usize>,
        tallies: &mut Vec<Tally>,
    ) -> usize {
        *index.entry(key).or_insert_with(|| {
            tallies.push(Tally::default());
            tallies.len() - 1
        })
    }
    let mut index: PlHashMap<Key, usize> = PlHashMap::new();
    let mut tallies: Vec<Tally> = Vec::new();
    // Per distinct (source, campaign, quarter), its rows; per lead, its triple.
    let mut combo_of: PlHashMap<(&str, &str, Option<&str>), usize> = PlHashMap::new();
    let mut combos: Vec<Vec<usize>> = Vec::new();
    let mut of_lead: Vec<usize> = Vec::new();
    for l in leads.clone() {
        let source = l.source.unwrap_or("(missing)");
        let campaign = l.campaign.unwrap_or("(missing)");
        let combo = *combo_of
            .entry((source, campaign, l.quarter))
            .or_insert_with(|| {
                let campaigns: &[&str] = if by_campaign {
                    &[ALL, campaign]
                } else {
                    &[ALL]
                };
                let mut rows = Vec::new();
                for &campaign in campaigns {
                    rows.push(slot((source, campaign, ALL), &mut index, &mut tallies));
                    if let Some(q) = l.quarter {
                        rows.push(slot((source, campaign, q), &mut index, &mut tallies));
                    }
                }
                combos.push(rows);
                combos.len() - 1
            });
        of_lead.push(combo);
    }
    for k in spend.keys() {
        let campaigns: &[&str] = match &k.campaign {
            Some(c) => &[ALL, c.as_str()],
            None => &[ALL],
        };
        for &campaign in campaigns {
            for period in [ALL, k.quarter.as_str()] {
                slot(
                    (k.source.as_str(), campaign, period),
                    &mut index,
                    &mut tallies,
                );
            }
        }
    }
    for (l, &combo) in leads.into_iter().zip(&of_lead) {
        for &row in &combos[combo] {
            let t = &mut tallies[row];
            t.leads += 1;
            if l.won {
                t.wins += 1;
                t.revenue += l.won_amount;
                t.win_days.extend(l.won_days);
            }
        }
    }
    let mut groups: Vec<(Key, usize)> = index.into_iter().collect();
    groups.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    groups
        .into_iter()
        .map(|((source, campaign, period), row)| {
            let tally = std::mem::take(&mut tallies[row]);
            let (source, campaign, period) =
                (source.to_string(), campaign.to_string(), period.to_string());
            let cost: Option<f64> = {
                let costs: Vec<f64> = spend
                    .iter()
                    .filter(|(k, _)| {
                        k.source == source
                            && (campaign == ALL || k.campaign.as_deref() == Some(&campaign))
                            && (period == ALL || k.quarter == period)
                    })
                    .map(|(_, c)| *c)
                    .collect();
                (!costs.is_empty()).then(|| costs.iter().sum())
            };
            let n = tally.leads;
            let small = n < min_cell;
            let (wins, revenue) = (tally.wins, tally.revenue);
            let mut note = Vec::new();
            if cost.is_none() {
                note.push("no spend recorded");
            }
            if n == 0 {
                note.push("spend but no leads");
            } else if small {
                note.push("wins and revenue withheld: fewer leads than the small-cell limit");
            }
            let shown = |v: f64| (!small).then_some(v);
            RoiRow {
                leads: n,
                wins: (!small).then_some(wins),
                revenue: shown(revenue),
                cost_per_lead: cost.filter(|_| n > 0).map(|c| c / n as f64),
                cost_per_win: cost.filter(|_| wins > 0 && !small).map(|c| c / wins as f64),
                roi: cost
                    .filter(|c| *c > 0.0 && !small)
                    .map(|c| (revenue - c) / c),
                average_deal: (wins > 0 && !small).then(|| revenue / wins as f64),
                median_days_to_win: if small { None } else { median(tally.win_days) },
                cost,
                note: note.join("; "),
                source,
                campaign,
                period,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_by_selection_is_the_sorted_middle() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![4.0]), Some(4.0));
        assert_eq!(median(vec![9.0, 1.0]), Some(5.0));
        assert_eq!(median(vec![3.0, 9.0, 1.0]), Some(3.0));
        assert_eq!(median(vec![7.0, 3.0, 9.0, 1.0]), Some(5.0));
        assert_eq!(median(vec![2.0, 2.0, 8.0, 2.0]), Some(2.0));
        // Against a full sort on many lengths, with ties and negative values.
        let mut x = 17u64;
        for n in 1..200 {
            let v: Vec<f64> = (0..n)
                .map(|_| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((x >> 33) % 41) as f64 - 20.0
                })
                .collect();
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            let m = n / 2;
            let want = if n % 2 == 1 {
                sorted[m]
            } else {
                (sorted[m - 1] + sorted[m]) / 2.0
            };
            assert_eq!(median(v), Some(want), "n = {n}");
        }
    }

    fn path<'a>(source: &'a str, quarter: &'a str, won: Option<f64>) -> LeadPath<'a> {
        LeadPath {
            source: Some(source),
            quarter: Some(quarter),
            reached_mql: won.is_some(),
            opportunity: won.is_some(),
            won: won.is_some(),
            won_amount: won.unwrap_or(0.0),
            won_days: won.map(|_| 30.0),
            ..Default::default()
        }
    }

    #[test]
    fn roi_by_hand() {
        // web: 12 leads in 2024-Q1, 2 won for 1,000 and 3,000; spend 2,000 in that quarter.
        let mut leads: Vec<LeadPath> = (0..10).map(|_| path("web", "2024-Q1", None)).collect();
        leads.push(path("web", "2024-Q1", Some(1000.0)));
        leads.push(path("web", "2024-Q1", Some(3000.0)));
        leads.push(path("referral", "2024-Q1", Some(500.0)));
        let spend = BTreeMap::from([
            (key("web", None, "2024-Q1"), 2000.0),
            (key("display", None, "2024-Q1"), 700.0),
        ]);
        let rows = source_roi(&leads, &spend, 10);
        assert!(
            rows.iter().all(|r| r.campaign == ALL),
            "no campaign in spend"
        );
        let web = rows
            .iter()
            .find(|r| r.source == "web" && r.period == "(all)")
            .unwrap();
        assert_eq!(
            (web.leads, web.wins, web.revenue),
            (12, Some(2), Some(4000.0))
        );
        assert_eq!(web.cost, Some(2000.0));
        assert_eq!(web.cost_per_lead, Some(2000.0 / 12.0));
        assert_eq!(web.cost_per_win, Some(1000.0));
        // ROI = (4,000 - 2,000) / 2,000 = 1.
        assert_eq!(web.roi, Some(1.0));
        assert_eq!(web.average_deal, Some(2000.0));
        assert_eq!(web.median_days_to_win, Some(30.0));
        let display = rows
            .iter()
            .find(|r| r.source == "display" && r.period == "(all)")
            .unwrap();
        assert_eq!(display.leads, 0);
        assert!(display.note.contains("spend but no leads"));
        let referral = rows
            .iter()
            .find(|r| r.source == "referral" && r.period == "(all)")
            .unwrap();
        assert!(referral.note.contains("no spend recorded"));
        assert_eq!(referral.revenue, None, "one lead: withheld");
    }

    fn key(source: &str, campaign: Option<&str>, quarter: &str) -> SpendKey {
        SpendKey {
            source: source.into(),
            campaign: campaign.map(Into::into),
            quarter: quarter.into(),
        }
    }

    #[test]
    fn roi_per_campaign_by_hand() {
        // web/a: 10 leads in Q1, one won for 900; web/b: 10 leads in Q2, two won for 300 each.
        // Spend: web/a 300 in Q1, web/b 200 in Q2, web without a campaign 100 in Q2.
        let mut leads: Vec<LeadPath> = Vec::new();
        for i in 0..10 {
            let mut a = path("web", "2024-Q1", (i == 0).then_some(900.0));
            a.campaign = Some("a");
            let mut b = path("web", "2024-Q2", (i < 2).then_some(300.0));
            b.campaign = Some("b");
            leads.extend([a, b]);
        }
        let spend = BTreeMap::from([
            (key("web", Some("a"), "2024-Q1"), 300.0),
            (key("web", Some("b"), "2024-Q2"), 200.0),
            (key("web", None, "2024-Q2"), 100.0),
        ]);
        let rows = source_roi(&leads, &spend, 10);
        let find = |c: &str, p: &str| {
            rows.iter()
                .find(|r| r.source == "web" && r.campaign == c && r.period == p)
                .unwrap_or_else(|| panic!("row {c} {p}"))
        };
        let all = find(ALL, ALL);
        assert_eq!((all.leads, all.wins, all.cost), (20, Some(3), Some(600.0)));
        // (1,500 - 600) / 600 = 1.5
        assert_eq!(all.roi, Some(1.5));
        let a = find("a", ALL);
        assert_eq!((a.leads, a.revenue, a.cost), (10, Some(900.0), Some(300.0)));
        assert_eq!(a.roi, Some(2.0));
        let b = find("b", "2024-Q2");
        // 600 revenue on 200 cost: the unattributed 100 is not b's.
        assert_eq!((b.leads, b.cost, b.roi), (10, Some(200.0), Some(2.0)));
        assert_eq!(b.cost_per_win, Some(100.0));
        assert_eq!(find(ALL, "2024-Q2").cost, Some(300.0));
        assert!(
            rows.iter()
                .all(|r| !(r.campaign == "b" && r.period == "2024-Q1"))
        );
    }

    #[test]
    fn funnel_by_hand() {
        let mut leads: Vec<LeadPath> = (0..6).map(|_| path("web", "2024-Q1", None)).collect();
        leads.push(path("web", "2024-Q1", Some(10.0)));
        leads.push(path("web", "2024-Q1", Some(20.0)));
        leads[0].reached_mql = true;
        let refs: Vec<&LeadPath> = leads.iter().collect();
        let rows = funnel("web", &refs);
        let n: Vec<u64> = rows.iter().map(|r| r.leads).collect();
        // 8 leads, 3 MQL, 0 SQL, 2 opportunities, 2 won.
        assert_eq!(n, vec![8, 3, 0, 2, 2]);
        assert_eq!(rows[1].stage_conversion, Some(3.0 / 8.0));
        assert_eq!(rows[3].stage_conversion, None);
        assert_eq!(rows[4].stage_conversion, Some(1.0));
        assert_eq!(rows[4].median_days_from_creation, Some(30.0));
    }
}
