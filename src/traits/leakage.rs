//! Traits that would fool a model: *leaky* traits (filled in by sales during or after contact,
//! so they "predict" an outcome they were written after) and *constant* traits. (*Identity*
//! columns, which never become traits, are decided in [`crate::traits::identity`].)
//!
//! A trait is flagged leaky when any of these holds, and every piece of evidence is shown:
//! - its single-trait AUC (bins ranked by WoE) is above `auc` (default 0.85), or above
//!   `hinted_auc` (0.75) when its name says it is recorded during or after contact
//!   (duration, status, stage, notes, disposition, reason, ...);
//! - one value converts at 95% or more over at least 5% of the leads, or never converts over at
//!   least 30% of the leads where 30 wins were expected;
//! - its missingness tracks contact: missing for at least 90% of the never-contacted leads and at
//!   most 50% of the contacted ones, with the missing bin far from average (|WoE| >= 1);
//! - it holds dates, and for at least half the leads they fall after the first response.

use serde::Serialize;

use crate::stats;
use crate::traits::binning::{BinRule, Origin, TraitBins};

#[derive(Debug, Clone)]
pub struct LeakParams {
    pub auc: f64,
    pub hinted_auc: f64,
    /// Traits the analyst forces back in (`[traits] allow_leaky`).
    pub allow: Vec<String>,
}

impl Default for LeakParams {
    fn default() -> Self {
        LeakParams {
            auc: 0.85,
            hinted_auc: 0.75,
            allow: Vec::new(),
        }
    }
}

/// What a trait is, for the fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    Ok,
    Leaky,
    Identity,
    Constant,
    /// Notes and comments typed by people ([`crate::traits::free_text`]): never a trait.
    FreeText,
}

impl Flag {
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::Ok => "ok",
            Flag::Leaky => "leaky",
            Flag::Identity => "identity",
            Flag::Constant => "constant",
            Flag::FreeText => "free_text",
        }
    }
}

/// The verdict on one trait, with the evidence in words.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub name: String,
    pub flag: Flag,
    pub reason: String,
    /// In-sample AUC of the trait alone (bins ranked by WoE).
    pub auc: f64,
}

/// How a trait's missingness relates to contact (`first_response_at` present or not).
#[derive(Debug, Clone, Copy)]
pub struct MissingByContact {
    pub missing_if_not_contacted: f64,
    pub missing_if_contacted: f64,
}

/// Evidence about a trait beyond its bins, from the leads' timestamps.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimeEvidence {
    /// Missingness by contact, when the leads have `first_response_at`.
    pub contact: Option<MissingByContact>,
    /// For a date-valued trait: the share of leads whose date falls after their first response.
    pub after_first_response: Option<f64>,
}

/// Words in a column name that say the value is recorded during or after contact with sales.
const AFTER_CONTACT_WORDS: [&str; 24] = [
    "duration",
    "status",
    "stage",
    "tag",
    "tags",
    "quality",
    "last",
    "note",
    "notes",
    "disposition",
    "reason",
    "lost",
    "won",
    "outcome",
    "result",
    "closed",
    "close",
    "call",
    "rating",
    "qualified",
    "qualification",
    "feedback",
    "comment",
    "comments",
];

/// The words of a name that hint at after-contact recording.
pub fn name_hints(name: &str) -> Vec<&'static str> {
    let words = crate::traits::identity::header_words(name);
    AFTER_CONTACT_WORDS
        .iter()
        .filter(|w| words.iter().any(|x| x == *w))
        .copied()
        .collect()
}

/// Single-trait AUC: the bins as groups scored by their WoE.
pub fn trait_auc(t: &TraitBins) -> f64 {
    let groups: Vec<(f64, f64, f64)> = t
        .bins
        .iter()
        .map(|b| (b.woe, b.wins as f64, (b.leads - b.wins) as f64))
        .collect();
    stats::auc_grouped(&groups)
}

/// Judges one binned trait. `contact` is given when the leads have `first_response_at`.
pub fn assess(
    t: &TraitBins,
    overall_rate: f64,
    time: TimeEvidence,
    params: &LeakParams,
) -> Verdict {
    let auc = trait_auc(t);
    let total: u64 = t.bins.iter().map(|b| b.leads).sum();
    let verdict = |flag, reason: String| Verdict {
        name: t.name.clone(),
        flag,
        reason,
        auc,
    };
    let largest = t.bins.iter().map(|b| b.leads).max().unwrap_or(0);
    if total == 0 || largest as f64 >= 0.99 * total as f64 {
        let share = if total == 0 {
            1.0
        } else {
            largest as f64 / total as f64
        };
        return verdict(
            Flag::Constant,
            format!(
                "{:.1}% of leads share one bin: nothing to learn",
                share * 100.0
            ),
        );
    }
    let hints = if t.origin == Origin::Fit {
        name_hints(&t.name)
    } else {
        Vec::new()
    };
    let mut evidence = Vec::new();
    let mut leaky = false;
    if auc > params.auc {
        leaky = true;
        evidence.push(format!("single-trait AUC {auc:.3} (> {})", params.auc));
    } else if !hints.is_empty() && auc > params.hinted_auc {
        leaky = true;
        evidence.push(format!(
            "single-trait AUC {auc:.3} (> {} for a name like this)",
            params.hinted_auc
        ));
    }
    for b in &t.bins {
        if b.rule == BinRule::Missing || b.leads < 30 {
            continue;
        }
        let share = b.leads as f64 / total as f64;
        if share >= 0.05 && b.conversion >= 0.95 && overall_rate < 0.5 {
            leaky = true;
            evidence.push(format!(
                "{} converts {:.0}% over {:.0}% of leads",
                b.label,
                b.conversion * 100.0,
                share * 100.0
            ));
        } else if share >= 0.30 && b.wins == 0 && overall_rate * b.leads as f64 >= 30.0 {
            leaky = true;
            evidence.push(format!(
                "{} never converts over {:.0}% of leads",
                b.label,
                share * 100.0
            ));
        }
    }
    if let Some(share) = time.after_first_response
        && share >= 0.5
    {
        leaky = true;
        evidence.push(format!(
            "its dates fall after the first response for {:.0}% of leads: recorded after contact",
            share * 100.0
        ));
    }
    if let Some(c) = time.contact {
        let missing_woe = t
            .bins
            .iter()
            .find(|b| b.rule == BinRule::Missing && b.leads > 0)
            .map(|b| b.woe.abs())
            .unwrap_or(0.0);
        if c.missing_if_not_contacted >= 0.9 && c.missing_if_contacted <= 0.5 && missing_woe >= 1.0
        {
            leaky = true;
            evidence.push(format!(
                "missing for {:.0}% of never-contacted leads but {:.0}% of contacted ones: \
                 filled in after contact",
                c.missing_if_not_contacted * 100.0,
                c.missing_if_contacted * 100.0
            ));
        }
    }
    if !hints.is_empty() {
        evidence.push(format!(
            "name suggests it is recorded during or after contact ({})",
            hints.join(", ")
        ));
    }
    if leaky && params.allow.contains(&t.name) {
        return verdict(
            Flag::Ok,
            format!(
                "kept by [traits] allow_leaky despite: {}",
                evidence.join("; ")
            ),
        );
    }
    if leaky {
        verdict(Flag::Leaky, evidence.join("; "))
    } else {
        verdict(Flag::Ok, String::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traits::binning::{BinningParams, Population, TraitInput, TraitValues, bin_traits};

    fn categorical(name: &str, values: Vec<Option<String>>, won: &[bool]) -> TraitBins {
        let input = TraitInput {
            name: name.into(),
            origin: Origin::Fit,
            values: TraitValues::categorical(values.iter().map(|v| v.as_deref())),
        };
        let population = Population {
            won: won.to_vec(),
            best: vec![false; won.len()],
            rows: None,
        };
        bin_traits(&[input], &population, &BinningParams::default())
            .traits
            .remove(0)
    }

    /// 2000 leads, 10% convert (every tenth).
    fn outcomes() -> Vec<bool> {
        (0..2000).map(|i| i % 10 == 0).collect()
    }

    #[test]
    fn a_column_written_after_the_outcome_is_leaky() {
        let won = outcomes();
        let values = won
            .iter()
            .enumerate()
            .map(|(i, &w)| {
                Some(
                    if w || i % 97 == 1 {
                        "meeting held"
                    } else {
                        "no answer"
                    }
                    .to_string(),
                )
            })
            .collect();
        let t = categorical("sales_note_status", values, &won);
        let v = assess(&t, 0.1, TimeEvidence::default(), &LeakParams::default());
        assert_eq!(v.flag, Flag::Leaky, "{v:?}");
        assert!(v.reason.contains("single-trait AUC"), "{}", v.reason);
        assert!(v.reason.contains("status"), "{}", v.reason);
    }

    #[test]
    fn an_honest_trait_with_signal_is_not_leaky() {
        let won = outcomes();
        // "big" converts twice as often as "small": a real, moderate effect.
        let values = (0..2000)
            .map(|i| {
                Some(
                    if i % 10 == 0 && i % 20 == 0 || i % 3 == 0 {
                        "big"
                    } else {
                        "small"
                    }
                    .to_string(),
                )
            })
            .collect();
        let t = categorical("industry_size", values, &won);
        let v = assess(&t, 0.1, TimeEvidence::default(), &LeakParams::default());
        assert_eq!(v.flag, Flag::Ok, "{v:?}");
    }

    #[test]
    fn allow_leaky_keeps_it_with_the_evidence() {
        let won = outcomes();
        let values = won
            .iter()
            .map(|&w| Some(if w { "won" } else { "open" }.to_string()))
            .collect();
        let t = categorical("stage", values, &won);
        let params = LeakParams {
            allow: vec!["stage".into()],
            ..Default::default()
        };
        let v = assess(&t, 0.1, TimeEvidence::default(), &params);
        assert_eq!(v.flag, Flag::Ok);
        assert!(v.reason.starts_with("kept by [traits] allow_leaky"));
    }

    #[test]
    fn missingness_that_tracks_contact_is_leaky() {
        let won = outcomes();
        // Filled (with noise) only for the contacted, who convert far more.
        let values = won
            .iter()
            .enumerate()
            .map(|(i, &w)| (w || i % 7 == 0).then(|| ["a", "b"][i % 2].to_string()))
            .collect();
        let t = categorical("budget_confirmed", values, &won);
        let contact = MissingByContact {
            missing_if_not_contacted: 0.97,
            missing_if_contacted: 0.2,
        };
        let time = TimeEvidence {
            contact: Some(contact),
            after_first_response: None,
        };
        let v = assess(&t, 0.1, time, &LeakParams::default());
        assert_eq!(v.flag, Flag::Leaky, "{v:?}");
        assert!(v.reason.contains("filled in after contact"), "{}", v.reason);
        // Without the contact evidence the same trait is a legitimate missing-value signal.
        let hidden = assess(&t, 0.1, TimeEvidence::default(), &LeakParams::default());
        assert!(!hidden.reason.contains("after contact"));
    }

    #[test]
    fn dates_recorded_after_the_first_response_are_leaky() {
        let won = outcomes();
        let values = (0..2000).map(|i| Some(format!("d{}", i % 3))).collect();
        let t = categorical("follow_up", values, &won);
        let after = |share| TimeEvidence {
            contact: None,
            after_first_response: Some(share),
        };
        let v = assess(&t, 0.1, after(0.8), &LeakParams::default());
        assert_eq!(v.flag, Flag::Leaky, "{v:?}");
        assert!(v.reason.contains("after the first response for 80%"));
        assert_eq!(
            assess(&t, 0.1, after(0.1), &LeakParams::default()).flag,
            Flag::Ok
        );
    }

    #[test]
    fn constant_and_near_constant_traits() {
        let won = outcomes();
        let values = (0..2000)
            .map(|i| (i == 5).then(|| "x".to_string()))
            .collect();
        let t = categorical("mostly_empty", values, &won);
        assert_eq!(
            assess(&t, 0.1, TimeEvidence::default(), &LeakParams::default()).flag,
            Flag::Constant
        );
    }

    #[test]
    fn name_hints_read_snake_and_camel_case() {
        assert_eq!(name_hints("sales_note_status"), vec!["status", "note"]);
        assert_eq!(name_hints("LastActivityDate"), vec!["last"]);
        assert_eq!(name_hints("duration"), vec!["duration"]);
        assert!(name_hints("industry").is_empty());
        assert!(name_hints("employee_band").is_empty());
    }
}
