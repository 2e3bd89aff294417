//! Engagement traits derived from activities, as of each lead's *scoring date*
//! (`created_at` + `scoring_offset_days`): activities after it are ignored, so nothing that
//! happened after (or because of) the outcome leaks in.
//!
//! Per lead: activity counts per type within each window (default 7, 30 and 90 days before the
//! scoring date), total counts per window, days since the last activity (missing when there was
//! none), and the number of distinct activity types. From activities strictly before the
//! scoring date: per type whose `value` holds numbers, the sum and the largest of the values in
//! each window (`page_view_value_sum_30d`, `page_view_value_max_30d`), and for the most frequent
//! types the days since the last one (`days_since_page_view`).

use polars::prelude::*;

use crate::error::Result;
use crate::ingest::{Activities, Leads};
use crate::traits::binning::{CountCoder, Numbers};

const DAY_MS: f64 = 86_400_000.0;
/// Activity types rarer than this share of all activities are counted together as `other`.
const RARE_TYPE_SHARE: f64 = 0.001;

#[derive(Debug, Clone)]
pub struct EngagementParams {
    /// Days after a lead's creation at which it is scored: activities later than that are not
    /// counted (`[traits] scoring_offset_days`).
    pub scoring_offset_days: f64,
    /// The windows activities are counted in, in days (`[traits] activity_windows`).
    pub windows_days: Vec<u32>,
    /// How many of the most frequent types get their own recency (`days_since_<type>`):
    /// [`RECENCY_TYPES`] in discovery; every type when scoring, so that whichever types the
    /// model holds are derived.
    pub recency_types: usize,
}

/// The most frequent types whose recency is a trait in discovery.
pub const RECENCY_TYPES: usize = 3;

impl Default for EngagementParams {
    fn default() -> Self {
        EngagementParams {
            scoring_offset_days: 7.0,
            windows_days: vec![7, 30, 90],
            recency_types: RECENCY_TYPES,
        }
    }
}

/// One derived trait: its name and its value per lead, in the leads' order.
#[derive(Debug, Clone)]
pub struct EngagementTrait {
    pub name: String,
    pub values: Numbers,
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

/// The activities before their leads' scoring dates (`created_at + offset_days`), in the
/// activities' order: each one's lead row among the leads, its age before the scoring date in
/// whole milliseconds, and its raw type as an index into `kind_names` ([`NO_KIND`] for none).
///
/// Ages stay whole milliseconds so that days are divided exactly afterwards (the value SQL gets
/// from its seconds); an activity exactly at the scoring date counts (age 0).
#[derive(Debug, Clone, Default)]
pub struct Prior {
    pub rows: Vec<u32>,
    pub ages_ms: Vec<i64>,
    pub kinds: Vec<u32>,
    /// Each one's `value` where it is a number (NaN otherwise); `None` when the activities
    /// have no number ([`Activities::values`]).
    pub values: Option<Vec<f64>>,
    /// The raw type texts, in order of first appearance.
    pub kind_names: Vec<String>,
    /// How many leads the rows index into.
    pub leads: usize,
}

/// The kind of an activity without a type.
pub const NO_KIND: u32 = crate::ingest::NO_KIND;

/// Rows per parallel chunk when the activities are matched to their leads.
const CHUNK: usize = 1 << 16;

impl Prior {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// How many activities of each kind (index as `kind_names`).
    pub fn kind_counts(&self) -> Vec<u64> {
        let mut counts = vec![0u64; self.kind_names.len()];
        for &k in &self.kinds {
            if let Some(n) = counts.get_mut(k as usize) {
                *n += 1;
            }
        }
        counts
    }
}

/// Matches each activity to its lead by `lead_id` (a hash lookup, in parallel chunks that keep
/// the activities' order) and keeps those at or before the lead's scoring date. Activities of
/// leads without a `created_at` are not kept.
pub fn prior(leads: &Leads, activities: &Activities, offset_days: f64) -> Result<Prior> {
    use rayon::prelude::*;
    let offset_ms = (offset_days * DAY_MS) as i64;
    let n = leads.len();
    let created = leads.frame().column("created_at")?.cast(&DataType::Int64)?;
    // Each lead's scoring date (None without created_at).
    let scoring: Vec<Option<i64>> = created
        .i64()?
        .iter()
        .map(|c| c.map(|c| c + offset_ms))
        .collect();
    let lead_rows = activities.lead_rows();
    let times = activities.occurred_ms();
    let types = activities.kinds();
    let values = activities.values();
    let height = activities.len();
    let chunks = height.div_ceil(CHUNK);
    let chunk_range = |c: usize| (c * CHUNK, ((c + 1) * CHUNK).min(height));
    // Activity `i`'s age at its lead's scoring date, when it is kept.
    let kept = |i: usize| -> Option<i64> {
        let (row, t) = (lead_rows[i], times[i]);
        if row == crate::ingest::NO_LEAD || t == crate::ingest::NO_TIME {
            return None;
        }
        let scoring = scoring.get(row as usize).copied().flatten()?;
        (t <= scoring).then_some(scoring - t)
    };
    // Two passes over the activities: the first counts each chunk's kept ones, the second
    // writes them straight into their place (no per-chunk copies to gather: at 50M
    // activities those would double the memory of the result).
    let counts: Vec<usize> = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let (lo, hi) = chunk_range(c);
            (lo..hi).filter(|&i| kept(i).is_some()).count()
        })
        .collect();
    let total: usize = counts.iter().sum();
    let mut prior = Prior {
        leads: n,
        rows: vec![0; total],
        ages_ms: vec![0; total],
        kinds: vec![0; total],
        values: values.map(|_| vec![0.0; total]),
        ..Prior::default()
    };
    use crate::parallel::split_lengths;
    let counted = || counts.iter().copied();
    let value_places: Vec<Option<&mut [f64]>> = match prior.values.as_mut() {
        Some(v) => split_lengths(v, counted()).into_iter().map(Some).collect(),
        None => (0..chunks).map(|_| None).collect(),
    };
    let mut places: Vec<_> = split_lengths(&mut prior.rows, counted())
        .into_iter()
        .zip(split_lengths(&mut prior.ages_ms, counted()))
        .zip(split_lengths(&mut prior.kinds, counted()))
        .zip(value_places)
        .map(|(((r, a), k), v)| (r, a, k, v))
        .collect();
    // The kinds kept are renumbered in order of first appearance among the kept activities:
    // each chunk lists the ones it sees first, then one list is made in chunk order.
    let firsts: Vec<Vec<u32>> = places
        .par_iter_mut()
        .enumerate()
        .map(|(c, (rows, ages, kinds, kept_values))| {
            let (lo, hi) = chunk_range(c);
            let mut seen = vec![false; activities.kind_names().len()];
            let mut firsts = Vec::new();
            let mut at = 0;
            for i in lo..hi {
                let Some(age) = kept(i) else {
                    continue;
                };
                let kind = types[i];
                if let Some(seen) = seen.get_mut(kind as usize).filter(|s| !**s) {
                    *seen = true;
                    firsts.push(kind);
                }
                rows[at] = lead_rows[i];
                ages[at] = age;
                kinds[at] = kind;
                if let (Some(kept), Some(values)) = (kept_values.as_deref_mut(), values) {
                    kept[at] = values[i];
                }
                at += 1;
            }
            firsts
        })
        .collect();
    let mut order = vec![NO_KIND; activities.kind_names().len()];
    let mut kind_names = Vec::new();
    for kind in firsts.into_iter().flatten() {
        if order[kind as usize] == NO_KIND {
            order[kind as usize] = kind_names.len() as u32;
            kind_names.push(activities.kind_names()[kind as usize].clone());
        }
    }
    prior.kinds.par_chunks_mut(CHUNK).for_each(|kinds| {
        for k in kinds.iter_mut() {
            if *k != NO_KIND {
                *k = order[*k as usize];
            }
        }
    });
    prior.kind_names = kind_names;
    Ok(prior)
}

/// Derives the engagement traits for every lead (leads without `created_at` get none).
pub fn engagement_traits(
    leads: &Leads,
    activities: &Activities,
    params: &EngagementParams,
) -> Result<Vec<EngagementTrait>> {
    if !leads.has("created_at") || activities.is_empty() {
        return Ok(Vec::new());
    }
    let prior = prior(leads, activities, params.scoring_offset_days)?;
    Ok(engagement_traits_of(&prior, params))
}

/// The engagement traits from the activities before each lead's scoring date, as [`prior`]
/// collects them (with the same `scoring_offset_days`): one pass over the activities, counting
/// into a table of leads x traits.
///
/// Types are ordered by frequency (name order on ties); types rarer than 0.1% of the counted
/// activities are pooled as `other`. Every lead gets a count (0 without activities);
/// `days_since_last_activity` is missing for a lead without one.
pub fn engagement_traits_of(prior: &Prior, params: &EngagementParams) -> Vec<EngagementTrait> {
    let counted = prior.kind_counts();
    let mut types: Vec<(usize, u64)> = counted.iter().copied().enumerate().collect();
    types.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then(prior.kind_names[a.0].cmp(&prior.kind_names[b.0]))
    });
    let total: u64 = counted.iter().sum();
    let common: Vec<usize> = types
        .iter()
        .filter(|t| t.1 as f64 >= RARE_TYPE_SHARE * total as f64)
        .map(|t| t.0)
        .collect();
    let has_rare = common.len() < types.len();
    // Column groups by name (two raw types with the same slug share one), and each raw kind's
    // group and distinct-type slot.
    let mut groups: Vec<String> = Vec::new();
    let mut group_of = vec![usize::MAX; prior.kind_names.len()];
    let mut slot_of = vec![usize::MAX; prior.kind_names.len()];
    for (slot, &k) in common.iter().enumerate() {
        let name = slug(&prior.kind_names[k]);
        group_of[k] = groups.iter().position(|g| *g == name).unwrap_or_else(|| {
            groups.push(name);
            groups.len() - 1
        });
        slot_of[k] = slot;
    }
    let mut slots = common.len();
    if has_rare {
        let other = groups.iter().position(|g| g == "other").unwrap_or_else(|| {
            groups.push("other".to_string());
            groups.len() - 1
        });
        for (k, g) in group_of.iter_mut().enumerate() {
            if *g == usize::MAX {
                *g = other;
                slot_of[k] = slots;
            }
        }
        slots += 1;
    }
    let windows: Vec<i64> = params
        .windows_days
        .iter()
        .map(|&w| i64::from(w) * DAY_MS as i64)
        .collect();
    let nw = windows.len();
    let width = nw * (1 + groups.len());
    // The groups whose values are summed: those with a number among the activities strictly
    // before the scoring date; and those with their own recency, the most frequent (not the
    // pooled `other`).
    let mut valued_slot = vec![usize::MAX; groups.len()];
    let mut valued: Vec<usize> = Vec::new();
    if let Some(values) = &prior.values {
        let mut has = vec![false; groups.len()];
        for ((&kind, &age), v) in prior.kinds.iter().zip(&prior.ages_ms).zip(values) {
            if kind != NO_KIND && age > 0 && !v.is_nan() {
                has[group_of[kind as usize]] = true;
            }
        }
        valued = (0..groups.len()).filter(|&g| has[g]).collect();
        for (slot, &g) in valued.iter().enumerate() {
            valued_slot[g] = slot;
        }
    }
    let mut recent_slot = vec![usize::MAX; groups.len()];
    let mut recent: Vec<usize> = Vec::new();
    for &k in &common {
        let g = group_of[k];
        if recent.len() < params.recency_types && !recent.contains(&g) {
            recent.push(g);
        }
    }
    for (slot, &g) in recent.iter().enumerate() {
        recent_slot[g] = slot;
    }
    // Per lead: each valued group's sum and largest value per window, side by side.
    let value_width = 2 * nw * valued.len();
    let n = prior.leads;
    let mut counts = vec![0u32; n * width];
    let words = slots.div_ceil(64);
    let mut seen = vec![0u64; n * words];
    let mut last = vec![i64::MAX; n];
    let mut sums = vec![0.0f64; n * value_width];
    let mut lasts = vec![i64::MAX; n * recent.len()];
    // The leads are cut into one range per thread; each task reads every activity and counts
    // those of its own leads (the activities may come in any order).
    use rayon::prelude::*;
    let tasks = rayon::current_num_threads().max(1);
    let per_task = n.div_ceil(tasks).max(1);
    use crate::parallel::split_lengths;
    let ranges: Vec<(usize, usize)> = (0..n)
        .step_by(per_task)
        .map(|lo| (lo, (lo + per_task).min(n)))
        .collect();
    let lengths = |per_lead: usize| ranges.iter().map(move |(lo, hi)| (hi - lo) * per_lead);
    ranges
        .iter()
        .zip(split_lengths(&mut counts, lengths(width)))
        .zip(split_lengths(&mut seen, lengths(words)))
        .zip(split_lengths(&mut last, lengths(1)))
        .zip(split_lengths(&mut sums, lengths(value_width)))
        .zip(split_lengths(&mut lasts, lengths(recent.len())))
        .collect::<Vec<_>>()
        .into_par_iter()
        .for_each(|(((((&(lo, hi), counts), seen), last), sums), lasts)| {
            // Largest values start at -inf (none yet; missing at the end).
            for lead in sums.chunks_exact_mut(2 * nw.max(1)) {
                lead[nw..].fill(f64::NEG_INFINITY);
            }
            let values = prior.values.as_deref();
            for (i, ((&row, &age), &kind)) in prior
                .rows
                .iter()
                .zip(&prior.ages_ms)
                .zip(&prior.kinds)
                .enumerate()
            {
                let row = row as usize;
                if row < lo || row >= hi {
                    continue;
                }
                let row = row - lo;
                // Values and recency by type: strictly before the scoring date.
                if kind != NO_KIND && age > 0 {
                    let g = group_of[kind as usize];
                    let v = values.map_or(f64::NAN, |v| v[i]);
                    let slot = valued_slot[g];
                    if slot != usize::MAX && !v.is_nan() {
                        let at = row * value_width + slot * 2 * nw;
                        for (w, &limit) in windows.iter().enumerate() {
                            if age <= limit {
                                sums[at + w] += v;
                                let max = &mut sums[at + nw + w];
                                *max = max.max(v);
                            }
                        }
                    }
                    let slot = recent_slot[g];
                    if slot != usize::MAX {
                        let l = &mut lasts[row * recent.len() + slot];
                        *l = (*l).min(age);
                    }
                }
                let cells = &mut counts[row * width..(row + 1) * width];
                let group = (kind != NO_KIND).then(|| group_of[kind as usize]);
                for (w, &limit) in windows.iter().enumerate() {
                    if age <= limit {
                        cells[w] += 1;
                        if let Some(g) = group {
                            cells[nw * (1 + g) + w] += 1;
                        }
                    }
                }
                if kind != NO_KIND {
                    let slot = slot_of[kind as usize];
                    seen[row * words + slot / 64] |= 1 << (slot % 64);
                }
                last[row] = last[row].min(age);
            }
        });
    let mut names: Vec<String> = params
        .windows_days
        .iter()
        .map(|w| format!("activities_{w}d"))
        .collect();
    for g in &groups {
        names.extend(params.windows_days.iter().map(|w| format!("{g}_{w}d")));
    }
    // Coded as they are read (counts have few levels), so that the columns are never held as
    // 8-byte values: at 10M leads that was the run's peak. The columns are cut into one
    // group per thread, and each group is coded in one pass over the table's rows (a pass per
    // column read the whole table, 840 MB at 10M leads, once per column).
    let per_group = width.div_ceil(tasks).max(1);
    let table = &counts[..];
    let column = move |c: usize| (0..n).map(move |r| table[r * width + c]);
    let coded: Vec<Numbers> = (0..width)
        .step_by(per_group)
        .collect::<Vec<_>>()
        .into_par_iter()
        .flat_map_iter(|lo| {
            let hi = (lo + per_group).min(width);
            let mut coders: Vec<CountCoder> = (lo..hi).map(|_| CountCoder::new(n)).collect();
            for row in table.chunks_exact(width.max(1)).take(n) {
                for (coder, &count) in coders.iter_mut().zip(&row[lo..hi]) {
                    coder.push(count);
                }
            }
            coders
                .into_iter()
                .zip(lo..hi)
                .map(|(coder, c)| coder.finish(column(c)))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut traits: Vec<EngagementTrait> = names
        .into_iter()
        .zip(coded)
        .map(|(name, values)| EngagementTrait { name, values })
        .collect();
    traits.push(EngagementTrait {
        name: "distinct_activity_types".into(),
        values: (0..n)
            .map(|r| {
                let bits = &seen[r * words..(r + 1) * words];
                Some(f64::from(bits.iter().map(|b| b.count_ones()).sum::<u32>()))
            })
            .collect(),
    });
    traits.push(EngagementTrait {
        name: "days_since_last_activity".into(),
        // Exact division (see [`Prior`]): the same value SQL gets from its seconds.
        values: last
            .iter()
            .map(|&ms| (ms != i64::MAX).then(|| ms as f64 / DAY_MS))
            .collect(),
    });
    // Sums are 0 without a value in the window (nothing summed), the largest missing.
    for (slot, &g) in valued.iter().enumerate() {
        for (measure, offset) in [("sum", 0), ("max", nw)] {
            for (w, days) in params.windows_days.iter().enumerate() {
                let c = slot * 2 * nw + offset + w;
                traits.push(EngagementTrait {
                    name: format!("{}_value_{measure}_{days}d", groups[g]),
                    values: (0..n)
                        .map(|r| Some(sums[r * value_width + c]).filter(|v| v.is_finite()))
                        .collect(),
                });
            }
        }
    }
    for (slot, &g) in recent.iter().enumerate() {
        traits.push(EngagementTrait {
            name: format!("days_since_{}", groups[g]),
            values: (0..n)
                .map(|r| {
                    let ms = lasts[r * recent.len() + slot];
                    (ms != i64::MAX).then(|| ms as f64 / DAY_MS)
                })
                .collect(),
        });
    }
    traits
}

/// What an engagement trait's name says it measures, for the windows `windows_days`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Measure {
    /// Activities in the window (`page_view_30d`; type `None`: `activities_30d`).
    Count { kind: Option<String>, days: u32 },
    /// The sum (`largest` false) or the largest of a type's values in the window, strictly
    /// before the scoring date (`page_view_value_sum_30d`, `page_view_value_max_30d`).
    Value {
        kind: String,
        days: u32,
        largest: bool,
    },
    /// Days since the last activity of a type strictly before the scoring date
    /// (`days_since_page_view`).
    DaysSince { kind: String },
    /// `days_since_last_activity`.
    DaysSinceLast,
    /// `distinct_activity_types`.
    DistinctTypes,
}

/// What the engagement trait `name` measures ([`Measure`]); `None` for a name that is not one
/// of these windows (`engagement_decayed` included). The one reading of the names, for scoring
/// and SQL.
pub fn measure(name: &str, windows_days: &[u32]) -> Option<Measure> {
    match name {
        "days_since_last_activity" => return Some(Measure::DaysSinceLast),
        "distinct_activity_types" => return Some(Measure::DistinctTypes),
        _ => {}
    }
    if let Some(kind) = name.strip_prefix("days_since_") {
        return Some(Measure::DaysSince {
            kind: kind.to_string(),
        });
    }
    let (stem, days) = name.rsplit_once('_')?;
    let days: u32 = days.strip_suffix('d')?.parse().ok()?;
    if !windows_days.contains(&days) {
        return None;
    }
    for (suffix, largest) in [("_value_sum", false), ("_value_max", true)] {
        if let Some(kind) = stem.strip_suffix(suffix) {
            return Some(Measure::Value {
                kind: kind.to_string(),
                days,
                largest,
            });
        }
    }
    Some(Measure::Count {
        kind: (stem != "activities").then(|| stem.to_string()),
        days,
    })
}

/// The values of an engagement trait that the activities scored hold no row for (a type none
/// of these leads had, or whose values held no number): counts and sums are 0 for every lead
/// with a `created_at`, as they would be for a lead without activities of the type; the days
/// since an activity and the largest value are missing. `None` for a name that is not an
/// engagement trait of these windows.
pub fn absent_trait(
    name: &str,
    leads: &Leads,
    windows_days: &[u32],
) -> Result<Option<Vec<Option<f64>>>> {
    let Some(measure) = measure(name, windows_days) else {
        return Ok(None);
    };
    let count = matches!(
        measure,
        Measure::Count { .. } | Measure::DistinctTypes | Measure::Value { largest: false, .. }
    );
    let created: Vec<bool> = match leads.frame().column("created_at") {
        Ok(c) => c.is_not_null().iter().map(|v| v == Some(true)).collect(),
        Err(_) => return Ok(None),
    };
    Ok(Some(if count {
        created.iter().map(|&c| c.then_some(0.0)).collect()
    } else {
        vec![None; created.len()]
    }))
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
        let inputs = crate::ingest::ingest(&settings, i64::MAX, &crate::observe::Silent).unwrap();
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
            ..EngagementParams::default()
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
                .iter()
                .collect::<Vec<_>>()
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

    /// Values and a type's recency, computed by hand. Lead A is created 2024-01-31 and scored
    /// 2024-02-07T00:00. A page view exactly at the scoring date counts among the page views
    /// (as counts always did) but neither among the values nor for `days_since_page_view`
    /// (strictly before); the one after it counts nowhere. A `value` that is not a number
    /// (`/pricing`) or empty is no value; `email_open`, whose values are all empty, gets no
    /// value traits.
    #[test]
    fn values_and_recency_strictly_before_the_scoring_date() {
        let (leads, activities) = leads_and_activities(
            "lead_id,created_at,converted\nA,2024-01-31,1\nB,2024-01-31,0\nC,2024-01-31,0\n",
            "lead_id,occurred_at,type,value\n\
             A,2024-02-06,page_view,30\n\
             A,2024-01-20,page_view,45\n\
             A,2023-12-01,page_view,10\n\
             A,2024-02-07,page_view,1000\n\
             A,2024-02-20,page_view,5000\n\
             A,2024-02-01,page_view,/pricing\n\
             A,2024-02-05,download,2.5\n\
             A,2024-02-06T12:00:00,email_open,\n\
             A,2024-02-03,email_open,\n\
             B,2024-01-30,page_view,\n",
        );
        let params = EngagementParams {
            scoring_offset_days: 7.0,
            windows_days: vec![7, 30, 90],
            ..EngagementParams::default()
        };
        let traits = engagement_traits(&leads, &activities, &params).unwrap();
        let get = |name: &str| {
            traits
                .iter()
                .find(|t| t.name == name)
                .unwrap_or_else(|| panic!("{name}"))
                .values
                .iter()
                .collect::<Vec<_>>()
        };
        // Counts: at the scoring date included, after it not.
        assert_eq!(get("page_view_30d"), vec![Some(4.0), Some(1.0), Some(0.0)]);
        // Sums: 0 without a value; the 1000 at the scoring date and the 5000 after it left out.
        assert_eq!(
            get("page_view_value_sum_7d"),
            vec![Some(30.0), Some(0.0), Some(0.0)]
        );
        assert_eq!(
            get("page_view_value_sum_30d"),
            vec![Some(75.0), Some(0.0), Some(0.0)]
        );
        assert_eq!(
            get("page_view_value_sum_90d"),
            vec![Some(85.0), Some(0.0), Some(0.0)]
        );
        // The largest: missing without a value.
        assert_eq!(get("page_view_value_max_7d"), vec![Some(30.0), None, None]);
        assert_eq!(get("page_view_value_max_90d"), vec![Some(45.0), None, None]);
        assert_eq!(
            get("download_value_sum_7d"),
            vec![Some(2.5), Some(0.0), Some(0.0)]
        );
        assert_eq!(get("download_value_max_30d"), vec![Some(2.5), None, None]);
        assert!(
            !traits
                .iter()
                .any(|t| t.name.starts_with("email_open_value"))
        );
        // Recency of the top three types: A's last page view before the scoring date is the
        // one of 02-06 (1 day), not the one at it; B's 8 days; C none.
        assert_eq!(
            get("days_since_page_view"),
            vec![Some(1.0), Some(8.0), None]
        );
        assert_eq!(get("days_since_email_open"), vec![Some(0.5), None, None]);
        assert_eq!(get("days_since_download"), vec![Some(2.0), None, None]);
        // The last activity of any type is the one at the scoring date (as before).
        assert_eq!(
            get("days_since_last_activity"),
            vec![Some(0.0), Some(8.0), None]
        );
        // Scoring derives the same from names (a type without values: sums 0, maxima missing).
        let absent = |name| absent_trait(name, &leads, &[7, 30, 90]).unwrap().unwrap();
        assert_eq!(absent("meeting_value_sum_30d"), vec![Some(0.0); 3]);
        assert_eq!(absent("meeting_value_max_30d"), vec![None; 3]);
        assert_eq!(absent("days_since_meeting"), vec![None; 3]);
        assert_eq!(absent("meeting_30d"), vec![Some(0.0); 3]);
    }

    #[test]
    fn rare_types_pool_as_other_and_same_slugs_share_a_column() {
        // 1,200 page views on A; one "Demo" each on A and B, which are rare (< 0.1%);
        // "Page View" and "page_view" are the same column.
        let mut acts = String::from("lead_id,occurred_at,type\n");
        for i in 0..1200 {
            let kind = if i % 2 == 0 { "page_view" } else { "Page View" };
            acts.push_str(&format!("A,2024-02-0{},{kind}\n", 1 + i % 6));
        }
        acts.push_str("A,2024-02-06,Demo\nB,2024-02-06,Webinar\n");
        let (leads, activities) = leads_and_activities(
            "lead_id,created_at,converted\nA,2024-01-31,1\nB,2024-01-31,0\nC,2024-01-31,0\n",
            &acts,
        );
        let params = EngagementParams {
            scoring_offset_days: 7.0,
            windows_days: vec![30],
            ..EngagementParams::default()
        };
        let traits = engagement_traits(&leads, &activities, &params).unwrap();
        let names: Vec<&str> = traits.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "activities_30d",
                "page_view_30d",
                "other_30d",
                "distinct_activity_types",
                "days_since_last_activity",
                "days_since_page_view"
            ]
        );
        let get = |i: usize| traits[i].values.iter().collect::<Vec<_>>();
        assert_eq!(get(0), vec![Some(1201.0), Some(1.0), Some(0.0)]);
        assert_eq!(get(1), vec![Some(1200.0), Some(0.0), Some(0.0)]);
        assert_eq!(get(2), vec![Some(1.0), Some(1.0), Some(0.0)]);
        // A: page_view, Page View (two raw types) and the pooled rare ones.
        assert_eq!(get(3), vec![Some(3.0), Some(1.0), Some(0.0)]);
        assert_eq!(get(4), vec![Some(1.0), Some(1.0), None]);
    }
}
