//! Hot / warm / cold thresholds, by share of leads or by the sales team's capacity.
//!
//! By share: `hot.top_share = 0.10` puts the top 10% of training scores in hot, and
//! `warm.top_share = 0.30` the top 30% in hot or warm (so warm is the next 20%). Ties at a
//! threshold stay together, so a tier's realised share can differ a little from its target.
//!
//! By capacity: `hot = { capacity_per_day = 40, sla_hours = 4 }` makes the hot tier what the
//! team can call within its SLA: its share is capacity / the historical inflow of leads per day
//! (leads over the days their `created_at` spans), capped at 1.

use serde::Serialize;

use crate::config::TierSetting;

/// A tier's threshold and how it was chosen.
#[derive(Debug, Clone, Serialize)]
pub struct Threshold {
    pub name: String,
    /// The lowest score in the tier; None for the last tier.
    pub min_score: Option<i64>,
    /// The share of training leads the tier (with the tiers above it) was meant to take.
    pub target_share: Option<f64>,
    pub sla_hours: f64,
    pub escalation: String,
}

/// Thresholds from training scores. `inflow_per_day` is needed for capacity tiers.
pub fn thresholds(
    scores: &[i64],
    tiers: &[TierSetting],
    inflow_per_day: Option<f64>,
    notes: &mut Vec<String>,
) -> Vec<Threshold> {
    use rayon::prelude::*;
    let mut sorted = scores.to_vec();
    // Integers: any sort gives the same order, so in parallel.
    sorted.par_sort_unstable_by(|a, b| b.cmp(a));
    let mut cumulative = 0.0f64;
    let mut previous_min: Option<i64> = None;
    let last = tiers.len().saturating_sub(1);
    tiers
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let escalation = t.escalation.clone().unwrap_or_else(|| {
                if i == last {
                    "none: worked as capacity allows".to_string()
                } else {
                    format!(
                        "not contacted within {} h: reassign to the next seller in the queue \
                         with a note",
                        t.sla_hours
                    )
                }
            });
            if i == last {
                return Threshold {
                    name: t.name.clone(),
                    min_score: None,
                    target_share: None,
                    sla_hours: t.sla_hours,
                    escalation,
                };
            }
            let share = match (t.capacity_per_day, inflow_per_day) {
                (Some(capacity), Some(inflow)) if inflow > 0.0 => {
                    let share = (capacity / inflow).min(1.0);
                    notes.push(format!(
                        "{} tier by capacity: {capacity} leads/day of an inflow of {inflow:.1} \
                         leads/day = the top {:.1}%",
                        t.name,
                        share * 100.0
                    ));
                    cumulative + share
                }
                (Some(_), _) => {
                    notes.push(format!(
                        "{} tier: capacity needs lead dates to know the inflow; using its \
                         top_share or 10%",
                        t.name
                    ));
                    t.top_share.unwrap_or(0.10).max(cumulative)
                }
                (None, _) => t.top_share.unwrap_or(0.10).max(cumulative),
            };
            cumulative = share.min(1.0);
            let k =
                ((cumulative * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
            let mut min_score = sorted.get(k - 1).copied().unwrap_or(i64::MAX);
            // Never below or equal to the tier above's threshold: that tier would swallow it.
            if let Some(above) = previous_min
                && min_score >= above
            {
                min_score = above;
                notes.push(format!(
                    "{} tier is empty: scores tie at the {} threshold",
                    t.name,
                    tiers[i - 1].name
                ));
            }
            previous_min = Some(min_score);
            Threshold {
                name: t.name.clone(),
                min_score: Some(min_score),
                target_share: Some(cumulative),
                sla_hours: t.sla_hours,
                escalation,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(name: &str, top_share: Option<f64>, capacity: Option<f64>, sla: f64) -> TierSetting {
        TierSetting {
            name: name.into(),
            top_share,
            capacity_per_day: capacity,
            sla_hours: sla,
            escalation: None,
        }
    }

    #[test]
    fn shares_cut_the_sorted_scores() {
        let scores: Vec<i64> = (1..=100).collect();
        let tiers = [
            tier("hot", Some(0.10), None, 4.0),
            tier("warm", Some(0.30), None, 24.0),
            tier("cold", None, None, 168.0),
        ];
        let t = thresholds(&scores, &tiers, None, &mut Vec::new());
        // Top 10 of 1..=100 are 91..=100; top 30 are 71..=100.
        assert_eq!(t[0].min_score, Some(91));
        assert_eq!(t[1].min_score, Some(71));
        assert_eq!(t[2].min_score, None);
    }

    #[test]
    fn capacity_sets_the_hot_share_from_the_inflow() {
        // 200 leads a day, 40 calls a day: the top 20% are hot.
        let scores: Vec<i64> = (1..=1000).collect();
        let tiers = [
            tier("hot", None, Some(40.0), 4.0),
            tier("warm", Some(0.50), None, 24.0),
            tier("cold", None, None, 168.0),
        ];
        let mut notes = Vec::new();
        let t = thresholds(&scores, &tiers, Some(200.0), &mut notes);
        assert_eq!(t[0].min_score, Some(801));
        assert_eq!(t[0].target_share, Some(0.2));
        assert_eq!(t[1].min_score, Some(501));
        assert!(notes[0].contains("top 20.0%"), "{notes:?}");
    }

    #[test]
    fn ties_keep_a_lower_tier_from_swallowing_a_higher_one() {
        let scores = vec![10; 50];
        let tiers = [
            tier("hot", Some(0.10), None, 4.0),
            tier("warm", Some(0.30), None, 24.0),
            tier("cold", None, None, 168.0),
        ];
        let mut notes = Vec::new();
        let t = thresholds(&scores, &tiers, None, &mut notes);
        assert_eq!(t[0].min_score, Some(10));
        assert_eq!(t[1].min_score, Some(10));
        assert!(notes.iter().any(|n| n.contains("warm tier is empty")));
    }
}
