//! The scoring config operational systems apply to new leads (`scoring-config.json`), its JSON
//! Schema generated from these types (`scoring-config.schema.json`), and reading it back.

use std::collections::BTreeMap;
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fit::scorecard::Scaling;
use crate::traits::binning::{BinRule, Origin};

/// The version of the config's layout; a reader refuses a newer one. 2: the `other` bin
/// records how many rare values it holds and their training frequencies, not the values
/// (version 1 listed them; still read).
pub const SCHEMA_VERSION: u32 = 2;

/// A tuned lead-scoring model: points per trait bin, tiers, calibration, and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoringConfig {
    /// Layout version of this file (currently 2; 1 is still read).
    pub schema_version: u32,
    pub leadtune_version: String,
    /// The date from which the config is meant to score leads: the end of the data it was
    /// fitted on (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    /// SHA-256 of this file's content with this field left out: two configs with the same
    /// hash score every lead the same. Operational systems tell versions apart by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_sha256: Option<String>,
    /// PDO scaling: score = offset + factor * log-odds of winning.
    pub scaling: Scaling,
    /// Points every lead starts with (part of the fit sub-score).
    pub base_points: i64,
    /// How to read lead values when scoring.
    pub scoring: ScoringRules,
    pub traits: Vec<ConfigTrait>,
    /// Hot, warm, cold: a lead is in the first tier whose `min_score` it reaches.
    pub tiers: Vec<ConfigTier>,
    /// Score -> probability of winning within the horizon (isotonic, fitted on training leads).
    pub calibration: Vec<CalibrationStep>,
    pub training: TrainingWindow,
    pub validation: ValidationSummary,
    /// The inputs the model was fitted on.
    pub inputs: Vec<Fingerprint>,
    /// One model per queue (`[[queues]]`): leads go to the first queue whose rule they meet,
    /// and are scored by its model; leads no queue takes are scored by the model above.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queues: Vec<QueueModel>,
}

/// A queue's routing rule and its scorecard (its own, or the pooled one when its history was
/// too thin: then `own_model` is false and `note` says why).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueModel {
    pub name: String,
    /// Lead column -> the values (as text, trimmed) that route a lead here; every column must
    /// match. Empty: every lead left.
    pub when: BTreeMap<String, Vec<String>>,
    pub own_model: bool,
    pub note: String,
    /// Training leads and wins of the queue, and its validation AUC.
    pub training_leads: u64,
    pub training_wins: u64,
    pub validation_auc: Option<f64>,
    pub base_points: i64,
    pub traits: Vec<ConfigTrait>,
    pub tiers: Vec<ConfigTier>,
    pub calibration: Vec<CalibrationStep>,
}

impl ScoringConfig {
    /// The lead columns holding the stage dates of `stage_reached` (`mql_at`, `sql_at`), as
    /// the config lists them: read as dates when scoring.
    pub fn stage_columns(&self) -> Vec<&'static str> {
        self.scoring
            .stages
            .iter()
            .filter_map(|s| s.lead_column())
            .collect()
    }

    /// The config a queue's leads are scored with: this one with the queue's points, tiers and
    /// calibration (and no queues).
    pub fn for_queue(&self, q: usize) -> ScoringConfig {
        let mut c = ScoringConfig {
            queues: Vec::new(),
            ..self.clone()
        };
        if let Some(m) = self.queues.get(q) {
            c.base_points = m.base_points;
            c.traits = m.traits.clone();
            c.tiers = m.tiers.clone();
            c.calibration = m.calibration.clone();
        }
        c
    }
}

/// The queue name of leads no `[[queues]]` rule takes (the pooled model scores them).
pub const NO_QUEUE: &str = "(no queue)";

/// Each lead's queue: the first whose every `when` column holds one of its values (text,
/// trimmed); `None` when no queue takes it.
pub fn route(
    queues: &[(String, BTreeMap<String, Vec<String>>)],
    leads: &polars::prelude::DataFrame,
) -> Result<Vec<Option<usize>>> {
    use polars::prelude::DataType;
    let n = leads.height();
    let mut columns: BTreeMap<&str, Vec<Option<String>>> = BTreeMap::new();
    for (_, when) in queues {
        for name in when.keys() {
            if columns.contains_key(name.as_str()) {
                continue;
            }
            let values = match leads.column(name) {
                Ok(c) => {
                    let c = c.cast(&DataType::String)?;
                    c.str()?
                        .iter()
                        .map(|v| v.map(|v| v.trim().to_string()))
                        .collect()
                }
                Err(_) => vec![None; n],
            };
            columns.insert(name, values);
        }
    }
    Ok((0..n)
        .map(|i| {
            queues.iter().position(|(_, when)| {
                when.iter().all(|(name, allowed)| {
                    columns[name.as_str()][i]
                        .as_deref()
                        .is_some_and(|v| allowed.iter().any(|a| a.trim() == v))
                })
            })
        })
        .collect())
}

/// How a trait's value is obtained from a lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TraitKind {
    /// A lead column, compared as text.
    Categorical,
    /// A lead column read as a number.
    Numeric,
    /// A lead column holding dates: days from the lead's `created_at` (negative = before).
    Date,
    /// Derived from the lead's activities before its scoring date (see `scoring`).
    Activity,
    /// The funnel stage reached strictly before the lead's scoring date: 0 none, 1 MQL, 2 SQL,
    /// 3 opportunity, from the stage dates in `scoring.stages`.
    Stage,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoringRules {
    /// Values meaning "no value" (compared trimmed, case-insensitive); the empty string always.
    pub missing_tokens: Vec<String>,
    /// A lead is scored this many days after `created_at`; later activities do not count.
    pub scoring_offset_days: f64,
    /// Windows (days before the scoring date) of the activity counts.
    pub activity_windows: Vec<u32>,
    /// The chrono format of dates besides ISO 8601, when one was configured.
    pub date_format: Option<String>,
    /// Engagement decay fitted from history: the half-life (with its interval) and type weights
    /// behind the `engagement_decayed` trait; operational systems can decay it between re-fits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decay: Option<crate::traits::decay::DecaySpec>,
    /// The stage dates behind the `stage_reached` trait, in funnel order: `mql_at` and
    /// `sql_at` (lead columns) and `opportunity` (the `created_at` of the lead's first deal).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<crate::traits::stage::StageDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigTrait {
    pub name: String,
    pub kind: TraitKind,
    /// Which sub-score the trait's points go to.
    pub sub_score: Origin,
    /// Every value falls in exactly one bin; `missing` (and `other` for categories) included.
    pub bins: Vec<ConfigBin>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigBin {
    pub label: String,
    pub rule: BinRule,
    pub points: i64,
    /// Fixed by the analyst (`[model] pin`), not fitted.
    pub pinned: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigTier {
    pub name: String,
    /// The lowest score in the tier; absent for the last tier (everything else).
    pub min_score: Option<i64>,
    /// Hours within which a lead of this tier must be contacted.
    pub sla_hours: f64,
    /// What happens when the SLA is missed.
    pub escalation: String,
    /// Conversion of the tier on the validation leads, with a 95% Wilson interval.
    pub expected_conversion: f64,
    pub conversion_low: f64,
    pub conversion_high: f64,
    /// Share of training leads in the tier.
    pub share_of_leads: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CalibrationStep {
    pub score_low: f64,
    pub score_high: f64,
    pub probability: f64,
    /// Training leads behind the step.
    pub leads: f64,
}

/// Left out of the JSON when false (a config written before the field hashes as it did).
fn is_false(v: &bool) -> bool {
    !v
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainingWindow {
    /// Creation date of the first and last training lead (ISO 8601), when leads have dates.
    pub from: Option<String>,
    pub to: Option<String>,
    /// The data's end date used for censoring.
    pub as_of: Option<String>,
    pub horizon_days: u32,
    pub leads: u64,
    pub wins: u64,
    /// `time`, `random` or `file_order`.
    pub split: String,
    /// True when the points were refitted on every mature lead after validation (`from`,
    /// `to`, `leads` and `wins` then describe all of them); the validation figures describe the
    /// model fitted on the training window alone.
    #[serde(default, skip_serializing_if = "is_false")]
    pub refit: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidationSummary {
    pub leads: u64,
    pub wins: u64,
    pub auc: Option<f64>,
    pub ks: Option<f64>,
    pub brier: Option<f64>,
    pub log_loss: Option<f64>,
    pub ece: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fingerprint {
    pub table: String,
    pub path: String,
    pub sha256: String,
}

/// The JSON Schema of [`ScoringConfig`], generated from the types.
pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(ScoringConfig)).unwrap_or_default()
}

/// Reads a scoring config, refusing a newer layout than this leadtune knows.
/// The config's content hash: SHA-256 of its JSON with `content_sha256` left out.
pub fn content_sha256(config: &ScoringConfig) -> String {
    use sha2::{Digest, Sha256};
    let unhashed = ScoringConfig {
        content_sha256: None,
        ..config.clone()
    };
    let bytes = serde_json::to_vec(&unhashed).unwrap_or_default();
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Sets `valid_from` (from the training window's end of data) and `content_sha256`.
pub fn stamp(config: &mut ScoringConfig) {
    config.valid_from = config
        .training
        .as_of
        .as_ref()
        .map(|a| a.chars().take(10).collect());
    config.content_sha256 = Some(content_sha256(config));
}

pub fn read(path: &Path) -> Result<ScoringConfig> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| Error::input(path, format!("not JSON: {e}")))?;
    let version = value
        .get("schema_version")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| Error::input(path, "no schema_version: not a leadtune scoring config"))?;
    if version > u64::from(SCHEMA_VERSION) {
        return Err(Error::input(
            path,
            format!(
                "schema_version {version} is newer than this leadtune understands \
                 ({SCHEMA_VERSION}): upgrade leadtune"
            ),
        ));
    }
    let config: ScoringConfig = serde_json::from_value(value)
        .map_err(|e| Error::input(path, format!("not a valid scoring config: {e}")))?;
    if config.tiers.is_empty() {
        return Err(Error::input(path, "the scoring config has no tiers"));
    }
    if let Some(t) = config.traits.iter().find(|t| t.bins.is_empty()) {
        return Err(Error::input(
            path,
            format!("trait {:?} has no bins in the scoring config", t.name),
        ));
    }
    Ok(config)
}

/// Probability for a score from the config's calibration steps (see [`crate::evaluate::metrics`]).
pub fn calibration(config: &ScoringConfig) -> crate::evaluate::metrics::Calibration {
    crate::evaluate::metrics::Calibration {
        points: config
            .calibration
            .iter()
            .map(|c| crate::evaluate::metrics::CalibrationPoint {
                score_low: c.score_low,
                score_high: c.score_high,
                probability: c.probability,
                leads: c.leads,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_hash_names_the_content() {
        // A config as `run` wrote it on the sample.
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scoring-config-v1.json");
        let mut config = read(&path).unwrap();
        let written = config.content_sha256.clone();
        stamp(&mut config);
        assert_eq!(config.content_sha256, written, "as written");
        let hash = config.content_sha256.clone().unwrap();
        assert_eq!(hash.len(), 64);
        // The hash leaves itself out: stamping again gives the same hash.
        stamp(&mut config);
        assert_eq!(config.content_sha256.as_deref(), Some(hash.as_str()));
        // Any change to what scores a lead changes it.
        config.traits[0].bins[0].points += 1;
        assert_ne!(content_sha256(&config), hash);
    }
}
