//! Engagement traits derived from activities, as of each lead's *scoring date*
//! (`created_at` + `scoring_offset_days`): activities after it are ignored, so nothing that
//! happened after (or because of) the outcome leaks in.
//!
//! Per lead: activity counts per type within each window (default 7, 30 and 90 days before the
//! scoring date), total counts per window, days since the last activity (missing when there was
//! none), and the number of distinct activity types.

use polars::prelude::*;

use crate::error::Result;
use crate::ingest::{Activities, Leads};

const DAY_MS: f64 = 86_400_000.0;
/// Activity types rarer than this share of all activities are counted together as `other`.
const RARE_TYPE_SHARE: f64 = 0.001;

#[derive(Debug, Clone)]
pub struct EngagementParams {
    pub scoring_offset_days: f64,
    pub windows_days: Vec<u32>,
}

/// One derived trait: its name and its value per lead, in the leads' order.
#[derive(Debug, Clone)]
pub struct EngagementTrait {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

/// A type name fit for a column name: lowercase, non-alphanumerics as `_`.
fn slug(text: &str) -> String {
    let s: String = text
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '_' })
        .collect();
    s.trim_matches('_').to_string()
}

/// Each activity before its lead's scoring date (`created_at + offset_days`): the lead's row
/// among the leads (`__lead_row`), `lead_id`, `type`, and `age_ms` before the scoring date.
/// Ages stay whole milliseconds: polars divides by a constant as a multiplication by its
/// reciprocal, which is off by an ulp now and then, so days are divided exactly afterwards.
pub fn prior_frame(leads: &Leads, activities: &Activities, offset_days: f64) -> LazyFrame {
    let offset_ms = (offset_days * DAY_MS) as i64;
    let scoring = leads
        .frame()
        .clone()
        .lazy()
        .with_row_index("__lead_row", None)
        .select([
            col("__lead_row"),
            col("lead_id"),
            (col("created_at").cast(DataType::Int64) + lit(offset_ms)).alias("scoring_ms"),
        ]);
    let mut inner = JoinArgs::new(JoinType::Inner);
    inner.maintain_order = MaintainOrderJoin::Left;
    activities
        .frame()
        .clone()
        .lazy()
        .select([
            col("lead_id"),
            col("occurred_at").cast(DataType::Int64).alias("t"),
            col("type"),
        ])
        .join(scoring, [col("lead_id")], [col("lead_id")], inner)
        .filter(col("t").lt_eq(col("scoring_ms")))
        .select([
            col("__lead_row"),
            col("lead_id"),
            col("type"),
            (col("scoring_ms") - col("t")).alias("age_ms"),
        ])
}

/// Derives the engagement traits for every lead (leads without `created_at` get none).
pub fn engagement_traits(
    leads: &Leads,
    activities: &Activities,
    params: &EngagementParams,
) -> Result<Vec<EngagementTrait>> {
    if !leads.has("created_at") || activities.frame().height() == 0 {
        return Ok(Vec::new());
    }
    let prior = prior_frame(leads, activities, params.scoring_offset_days).collect()?;
    engagement_traits_of(leads, prior, params)
}

/// The engagement traits from the activities before each lead's scoring date, as
/// [`prior_frame`] collects them (with the same `scoring_offset_days`).
pub fn engagement_traits_of(
    leads: &Leads,
    prior: DataFrame,
    params: &EngagementParams,
) -> Result<Vec<EngagementTrait>> {
    // Types by frequency (name order on ties); rare ones pooled as "other".
    let counts = prior
        .column("type")?
        .as_materialized_series()
        .value_counts(true, true, "n".into(), false)?;
    let counted = counts.column("n")?.cast(&DataType::UInt64)?;
    let mut types: Vec<(String, u64)> = counts
        .column("type")?
        .str()?
        .iter()
        .zip(counted.u64()?.iter())
        .filter_map(|(t, n)| Some((t?.to_string(), n?)))
        .collect();
    types.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let total: u64 = types.iter().map(|t| t.1).sum();
    let common: Vec<String> = types
        .iter()
        .filter(|t| t.1 as f64 >= RARE_TYPE_SHARE * total as f64)
        .map(|t| t.0.clone())
        .collect();
    let has_rare = common.len() < types.len();

    // Flags per activity row first (vectorised), then plain sums per lead: much faster than
    // evaluating each condition inside the group-by.
    let type_expr = |t: &str| -> Expr {
        if t == "other" && has_rare {
            col("type")
                .is_in(
                    lit(Series::new("common".into(), &common)).implode(false),
                    false,
                )
                .not()
        } else {
            col("type").eq(lit(t.to_string()))
        }
    };
    let mut flags: Vec<Expr> = Vec::new();
    let mut aggs = vec![col("age_ms").min().alias("days_since_last_activity")];
    let mut names: Vec<String> = Vec::new();
    let mut type_names: Vec<String> = common.clone();
    if has_rare {
        type_names.push("other".into());
    }
    let within = |w: u32| col("age_ms").lt_eq(lit(i64::from(w) * DAY_MS as i64));
    for &w in &params.windows_days {
        let name = format!("activities_{w}d");
        flags.push(within(w).cast(DataType::UInt32).alias(&name));
        aggs.push(col(&name).sum());
        names.push(name);
    }
    let mut any_names = Vec::new();
    for t in &type_names {
        let any = format!("__any_{}", slug(t));
        flags.push(type_expr(t).cast(DataType::UInt32).alias(&any));
        for &w in &params.windows_days {
            let name = format!("{}_{w}d", slug(t));
            flags.push(
                type_expr(t)
                    .and(within(w))
                    .cast(DataType::UInt32)
                    .alias(&name),
            );
            aggs.push(col(&name).sum());
            names.push(name);
        }
        aggs.push(col(&any).max());
        any_names.push(any);
    }
    let per_lead = prior
        .lazy()
        .with_columns(flags)
        .group_by([col("lead_id")])
        .agg(aggs);
    let mut left = JoinArgs::new(JoinType::Left);
    left.maintain_order = MaintainOrderJoin::Left;
    let distinct = any_names
        .iter()
        .map(|n| col(n.as_str()).cast(DataType::Float64))
        .reduce(|a, b| a + b)
        .unwrap_or(lit(0.0));
    let mut fills: Vec<Expr> = names
        .iter()
        .map(|n| col(n.as_str()).cast(DataType::Float64).fill_null(lit(0.0)))
        .collect();
    fills.push(
        distinct
            .fill_null(lit(0.0))
            .alias("distinct_activity_types"),
    );
    fills.push(col("days_since_last_activity"));
    let joined = leads
        .frame()
        .clone()
        .lazy()
        .select([col("lead_id")])
        .join(per_lead, [col("lead_id")], [col("lead_id")], left)
        .select(fills)
        .collect()?;
    names.push("distinct_activity_types".into());
    names.push("days_since_last_activity".into());
    names
        .into_iter()
        .map(|name| {
            let values = if name == "days_since_last_activity" {
                // Exact division (see above): the same value SQL gets from its seconds.
                let ms = joined.column(&name)?.cast(&DataType::Int64)?;
                ms.i64()?
                    .iter()
                    .map(|v| v.map(|ms| ms as f64 / DAY_MS))
                    .collect()
            } else {
                joined.column(&name)?.f64()?.iter().collect()
            };
            Ok(EngagementTrait { name, values })
        })
        .collect()
}

/// The values of an engagement trait that the activities scored hold no row for (a type none
/// of these leads had): counts are 0 for every lead with a `created_at`, as they would be for a
/// lead without activities of the type; `days_since_last_activity` is missing. `None` for a
/// name that is not an engagement trait of these windows.
pub fn absent_trait(
    name: &str,
    leads: &Leads,
    windows_days: &[u32],
) -> Result<Option<Vec<Option<f64>>>> {
    let count = name == "distinct_activity_types"
        || name.rsplit_once('_').is_some_and(|(_, days)| {
            days.strip_suffix('d')
                .and_then(|d| d.parse::<u32>().ok())
                .is_some_and(|d| windows_days.contains(&d))
        });
    let created: Vec<bool> = match leads.frame().column("created_at") {
        Ok(c) => c.is_not_null().iter().map(|v| v == Some(true)).collect(),
        Err(_) => return Ok(None),
    };
    Ok(if count {
        Some(created.iter().map(|&c| c.then_some(0.0)).collect())
    } else if name == "days_since_last_activity" {
        Some(vec![None; created.len()])
    } else {
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leads_and_activities(leads: &str, activities: &str) -> (Leads, Activities) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("leads.csv"), leads).unwrap();
        std::fs::write(dir.path().join("activities.csv"), activities).unwrap();
        let path = dir.path().join("leadtune.toml");
        std::fs::write(
            &path,
            "[input]\nleads = \"leads.csv\"\nactivities = \"activities.csv\"\n",
        )
        .unwrap();
        let settings = crate::config::load(&path, None, None).unwrap();
        let inputs = crate::ingest::ingest(&settings, i64::MAX).unwrap();
        (inputs.leads, inputs.activities.unwrap())
    }

    #[test]
    fn counts_windows_and_the_scoring_date_cut() {
        // Lead A created 2024-01-31, scored 7 days later (2024-02-07).
        let (leads, activities) = leads_and_activities(
            "lead_id,created_at,converted\nA,2024-01-31,1\nB,2024-01-31,0\n",
            "lead_id,occurred_at,type\n\
             A,2024-02-06,meeting\n\
             A,2024-01-20,page_view\n\
             A,2023-12-01,page_view\n\
             A,2024-02-20,meeting\n",
        );
        let params = EngagementParams {
            scoring_offset_days: 7.0,
            windows_days: vec![7, 30, 90],
        };
        let traits = engagement_traits(&leads, &activities, &params).unwrap();
        let get = |name: &str| {
            traits
                .iter()
                .find(|t| t.name == name)
                .unwrap_or_else(|| {
                    panic!(
                        "{name} in {:?}",
                        traits.iter().map(|t| &t.name).collect::<Vec<_>>()
                    )
                })
                .values
                .clone()
        };
        // The meeting on 02-20 is after the scoring date: not counted.
        assert_eq!(get("meeting_7d"), vec![Some(1.0), Some(0.0)]);
        assert_eq!(get("page_view_7d"), vec![Some(0.0), Some(0.0)]);
        assert_eq!(get("page_view_30d"), vec![Some(1.0), Some(0.0)]);
        assert_eq!(get("page_view_90d"), vec![Some(2.0), Some(0.0)]);
        assert_eq!(get("activities_90d"), vec![Some(3.0), Some(0.0)]);
        assert_eq!(get("distinct_activity_types"), vec![Some(2.0), Some(0.0)]);
        // Last activity 1 day before the scoring date; B never had one: missing.
        assert_eq!(get("days_since_last_activity"), vec![Some(1.0), None]);
    }
}
