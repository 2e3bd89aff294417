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

/// A scoring config read and checked, and whether its content still matches its
/// `content_sha256`.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: ScoringConfig,
    /// The content no longer hashes to `content_sha256` (or the hash is gone): the file was
    /// edited after leadtune wrote it. Only with `--allow-edited`.
    pub edited: bool,
}

/// Largest points of a bin, and base points, either sign, that a scoring config may hold.
pub const MAX_ABS_POINTS: i64 = 1_000_000;
/// Most bins a trait may have (a lead's bin is kept in 16 bits).
pub const MAX_BINS_PER_TRAIT: usize = u16::MAX as usize;
/// Most days for `scoring.scoring_offset_days` and `scoring.activity_windows`.
const MAX_DAYS: f64 = crate::config::limits::MAX_DAYS as f64;

/// Reads a scoring config and validates it completely ([`parse`]). A config whose
/// `content_sha256` does not match its content is refused unless `allow_edited`.
pub fn read(path: &Path, allow_edited: bool) -> Result<Loaded> {
    let text = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = String::from_utf8(text).map_err(|_| {
        Error::input(
            path,
            "not a leadtune scoring config: the file is not UTF-8 text (pass the \
             scoring-config.json that `leadtune run` wrote)",
        )
    })?;
    let loaded = parse(&text).map_err(|m| Error::input(path, m))?;
    if loaded.edited && !allow_edited {
        let why = match &loaded.config.content_sha256 {
            Some(written) => format!(
                "its content_sha256 ({}...) does not match its content ({}...)",
                &written[..written.len().min(12)],
                &content_sha256(&loaded.config)[..12]
            ),
            None => "it has no content_sha256".to_string(),
        };
        return Err(Error::input(
            path,
            format!(
                "{why}: the config was edited after leadtune wrote it. Use the config as \
                 `leadtune run` wrote it, or pass --allow-edited to use it anyway (the output \
                 then records that it was edited)"
            ),
        ));
    }
    Ok(loaded)
}

/// Parses scoring-config JSON and validates it completely: `schema_version` present, a whole
/// number this leadtune understands; every value in range ([`validate`]); and whether the
/// content still hashes to `content_sha256` ([`Loaded::edited`]). Never panics.
pub fn parse(text: &str) -> std::result::Result<Loaded, String> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| format!("not a leadtune scoring config: not JSON ({e})"))?;
    let Some(object) = value.as_object() else {
        return Err(
            "not a leadtune scoring config: the JSON is not an object with schema_version".into(),
        );
    };
    let version = match object.get("schema_version") {
        None => return Err("no schema_version: not a leadtune scoring config".into()),
        Some(serde_json::Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| format!("schema_version = {n}: must be {}", versions()))?,
        Some(other) => {
            return Err(format!(
                "schema_version = {other}: must be {}, not {}",
                versions(),
                json_type(other)
            ));
        }
    };
    if version > u64::from(SCHEMA_VERSION) {
        return Err(format!(
            "schema_version {version} is newer than this leadtune understands \
             ({SCHEMA_VERSION}): upgrade leadtune"
        ));
    }
    if version == 0 {
        return Err(format!("schema_version = 0: must be {}", versions()));
    }
    let config: ScoringConfig =
        serde_json::from_value(value).map_err(|e| format!("not a valid scoring config: {e}"))?;
    validate(&config)?;
    let edited = config.content_sha256.as_deref() != Some(content_sha256(&config).as_str());
    Ok(Loaded { config, edited })
}

/// The schema versions this leadtune reads, as a phrase.
fn versions() -> String {
    match SCHEMA_VERSION {
        1 => "the whole number 1".to_string(),
        n => format!("a whole number from 1 to {n}"),
    }
}

fn json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Every rule a scoring config must meet to score leads: points within
/// +-[`MAX_ABS_POINTS`] and no score that could overflow; traits named, unique, with
/// 1..=[`MAX_BINS_PER_TRAIT`] bins whose rules fit the trait's kind (ranges with `lo <= hi`,
/// finite numbers, each category value once, at most one `other` and one `missing`); tiers
/// named, unique, their `min_score` falling (only the last without one); calibration steps
/// non-empty, ascending, probabilities within 0..1 and never falling; the same for every
/// queue's model. The error names where (`traits[2] "source", bin 4`) and the allowed range.
pub fn validate(config: &ScoringConfig) -> std::result::Result<(), String> {
    let s = &config.scaling;
    for (name, v) in [
        ("points_to_double_odds", s.points_to_double_odds),
        ("base_score", s.base_score),
        ("base_odds", s.base_odds),
        ("factor", s.factor),
        ("offset", s.offset),
    ] {
        if !v.is_finite() {
            return Err(format!("scaling.{name} = {v}: must be a finite number"));
        }
    }
    if !(s.points_to_double_odds > 0.0 && s.factor > 0.0 && s.base_odds > 0.0) {
        return Err(format!(
            "scaling: points_to_double_odds ({}), factor ({}) and base_odds ({}) must be above 0",
            s.points_to_double_odds, s.factor, s.base_odds
        ));
    }
    let r = &config.scoring;
    if !(0.0..=MAX_DAYS).contains(&r.scoring_offset_days) {
        return Err(format!(
            "scoring.scoring_offset_days = {}: must be a number from 0 to {MAX_DAYS}",
            r.scoring_offset_days
        ));
    }
    if let Some(w) = r
        .activity_windows
        .iter()
        .find(|&&w| !(1.0..=MAX_DAYS).contains(&f64::from(w)))
    {
        return Err(format!(
            "scoring.activity_windows: {w} days: each window must be 1 to {MAX_DAYS} days"
        ));
    }
    if let Some(d) = &r.decay {
        if !(d.half_life_days.is_finite() && d.half_life_days > 0.0) {
            return Err(format!(
                "scoring.decay.half_life_days = {}: must be a number above 0",
                d.half_life_days
            ));
        }
        if let Some((t, w)) = d.type_weights.iter().find(|(_, w)| !w.is_finite()) {
            return Err(format!(
                "scoring.decay.type_weights {t:?} = {w}: must be a finite number"
            ));
        }
    }
    check_model(
        "",
        config.base_points,
        &config.traits,
        &config.tiers,
        &config.calibration,
    )?;
    let mut names = std::collections::BTreeSet::new();
    for (k, q) in config.queues.iter().enumerate() {
        let at = format!("queues[{k}] {:?}: ", q.name);
        if q.name.trim().is_empty() {
            return Err(format!("queues[{k}]: a queue needs a name"));
        }
        if !names.insert(q.name.as_str()) {
            return Err(format!("{at}the queue name is used twice"));
        }
        if let Some(auc) = q.validation_auc
            && !(0.0..=1.0).contains(&auc)
        {
            return Err(format!("{at}validation_auc = {auc}: must be from 0 to 1"));
        }
        check_model(&at, q.base_points, &q.traits, &q.tiers, &q.calibration)?;
    }
    Ok(())
}

/// One model's points, tiers and calibration (the pooled one, or a queue's: `at` says which).
fn check_model(
    at: &str,
    base_points: i64,
    traits: &[ConfigTrait],
    tiers: &[ConfigTier],
    calibration: &[CalibrationStep],
) -> std::result::Result<(), String> {
    let points_range = format!("must be from {} to {MAX_ABS_POINTS}", -MAX_ABS_POINTS);
    if base_points.unsigned_abs() > MAX_ABS_POINTS as u64 {
        return Err(format!("{at}base_points = {base_points}: {points_range}"));
    }
    let mut names = std::collections::BTreeSet::new();
    for (i, t) in traits.iter().enumerate() {
        let here = format!("{at}traits[{i}] {:?}", t.name);
        if t.name.trim().is_empty() {
            return Err(format!("{at}traits[{i}]: a trait needs a name"));
        }
        if !names.insert(t.name.as_str()) {
            return Err(format!("{here}: the trait is listed twice"));
        }
        if t.bins.is_empty() || t.bins.len() > MAX_BINS_PER_TRAIT {
            return Err(format!(
                "{here}: has {} bins; a trait has 1 to {MAX_BINS_PER_TRAIT}",
                t.bins.len()
            ));
        }
        let (mut missing, mut other) = (0, 0);
        let mut values = std::collections::BTreeSet::new();
        for (b, bin) in t.bins.iter().enumerate() {
            let here = format!("{here}, bin {b} {:?}", bin.label);
            if bin.points.unsigned_abs() > MAX_ABS_POINTS as u64 {
                return Err(format!("{here}: points = {}: {points_range}", bin.points));
            }
            let categorical = t.kind == TraitKind::Categorical;
            match &bin.rule {
                BinRule::Missing => missing += 1,
                BinRule::Other { .. } if categorical => other += 1,
                BinRule::Value { value } if categorical => {
                    if !values.insert(value.as_str()) {
                        return Err(format!("{here}: the value {value:?} has two bins"));
                    }
                }
                BinRule::Range { lo, hi } if !categorical => {
                    for (name, v) in [("lo", lo), ("hi", hi)] {
                        if let Some(v) = v
                            && !v.is_finite()
                        {
                            return Err(format!("{here}: {name} = {v}: must be a finite number"));
                        }
                    }
                    if let (Some(lo), Some(hi)) = (lo, hi)
                        && lo > hi
                    {
                        return Err(format!(
                            "{here}: the range's lo ({lo}) is above its hi ({hi}): lo <= hi"
                        ));
                    }
                }
                BinRule::Special { value } if !categorical => {
                    if !value.is_finite() {
                        return Err(format!("{here}: value = {value}: must be a finite number"));
                    }
                }
                rule => {
                    return Err(format!(
                        "{here}: a {} rule does not fit a {} trait (categorical traits have \
                         value, other and missing bins; the others range, special and missing)",
                        rule_kind(rule),
                        kind_name(t.kind)
                    ));
                }
            }
        }
        if missing > 1 || other > 1 {
            return Err(format!(
                "{here}: has {missing} missing and {other} other bins; at most one of each"
            ));
        }
    }
    score_range(base_points, traits).map_err(|m| format!("{at}{m}"))?;

    if tiers.is_empty() {
        return Err(format!("{at}the scoring config has no tiers"));
    }
    let mut names = std::collections::BTreeSet::new();
    let mut previous: Option<(&str, i64)> = None;
    for (i, tier) in tiers.iter().enumerate() {
        let here = format!("{at}tiers[{i}] {:?}", tier.name);
        if tier.name.trim().is_empty() {
            return Err(format!("{at}tiers[{i}]: a tier needs a name"));
        }
        if !names.insert(tier.name.as_str()) {
            return Err(format!("{here}: the tier is listed twice"));
        }
        let last = i + 1 == tiers.len();
        match (tier.min_score, last) {
            (None, false) => {
                return Err(format!(
                    "{here}: only the last tier may have no min_score (it takes every lead left)"
                ));
            }
            (Some(m), _) => {
                if let Some((above, above_min)) = previous
                    && m > above_min
                {
                    return Err(format!(
                        "{here}: min_score {m} is above tier {above:?}'s {above_min}: tiers go \
                         from the highest min_score down"
                    ));
                }
                previous = Some((&tier.name, m));
            }
            (None, true) => {}
        }
        if !(tier.sla_hours.is_finite() && tier.sla_hours >= 0.0) {
            return Err(format!(
                "{here}: sla_hours = {}: must be a number, 0 or more",
                tier.sla_hours
            ));
        }
        for (name, v) in [
            ("expected_conversion", tier.expected_conversion),
            ("conversion_low", tier.conversion_low),
            ("conversion_high", tier.conversion_high),
            ("share_of_leads", tier.share_of_leads),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("{here}: {name} = {v}: must be from 0 to 1"));
            }
        }
    }

    if calibration.is_empty() {
        return Err(format!(
            "{at}calibration is empty: a score has no probability (the calibration maps \
             score ranges to probabilities)"
        ));
    }
    for (i, step) in calibration.iter().enumerate() {
        let here = format!("{at}calibration[{i}]");
        for (name, v) in [
            ("score_low", step.score_low),
            ("score_high", step.score_high),
            ("leads", step.leads),
        ] {
            if !v.is_finite() {
                return Err(format!("{here}: {name} = {v}: must be a finite number"));
            }
        }
        if step.score_low > step.score_high {
            return Err(format!(
                "{here}: score_low {} is above score_high {}",
                step.score_low, step.score_high
            ));
        }
        if !(0.0..=1.0).contains(&step.probability) {
            return Err(format!(
                "{here}: probability = {}: must be from 0 to 1",
                step.probability
            ));
        }
        if step.leads < 0.0 {
            return Err(format!("{here}: leads = {}: must be 0 or more", step.leads));
        }
        if i > 0 {
            let prev = &calibration[i - 1];
            if step.score_low < prev.score_high {
                return Err(format!(
                    "{here}: starts at score {} inside the step before (up to {}): steps go \
                     up the scores without overlapping",
                    step.score_low, prev.score_high
                ));
            }
            if step.probability < prev.probability {
                return Err(format!(
                    "{here}: probability {} is below the step before's {}: the calibration \
                     must not fall as the score rises",
                    step.probability, prev.probability
                ));
            }
        }
    }
    Ok(())
}

/// The lowest and highest score a lead can get (base points plus each trait's least or most
/// points), summed with checked arithmetic: an overflow is an error naming the trait.
fn score_range(
    base_points: i64,
    traits: &[ConfigTrait],
) -> std::result::Result<(i64, i64), String> {
    let (mut low, mut high) = (base_points, base_points);
    for (i, t) in traits.iter().enumerate() {
        let most = t.bins.iter().map(|b| b.points).max().unwrap_or(0);
        let least = t.bins.iter().map(|b| b.points).min().unwrap_or(0);
        let overflow = || {
            format!(
                "traits[{i}] {:?}: the score summed up to this trait overflows",
                t.name
            )
        };
        high = high.checked_add(most).ok_or_else(overflow)?;
        low = low.checked_add(least).ok_or_else(overflow)?;
    }
    Ok((low, high))
}

fn rule_kind(rule: &BinRule) -> &'static str {
    match rule {
        BinRule::Range { .. } => "range",
        BinRule::Special { .. } => "special",
        BinRule::Value { .. } => "value",
        BinRule::Other { .. } => "other",
        BinRule::Missing => "missing",
    }
}

fn kind_name(kind: TraitKind) -> &'static str {
    match kind {
        TraitKind::Categorical => "categorical",
        TraitKind::Numeric => "numeric",
        TraitKind::Date => "date",
        TraitKind::Activity => "activity",
        TraitKind::Stage => "stage",
    }
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

    fn fixture() -> ScoringConfig {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scoring-config-v1.json");
        read(&path, false).unwrap().config
    }

    /// One rule per case: the config as run wrote it passes; each change breaks one rule and
    /// the error says which.
    #[test]
    fn validation_refuses_each_broken_rule() {
        assert_eq!(validate(&fixture()), Ok(()));
        type Edit = fn(&mut ScoringConfig);
        let cases: [(Edit, &str); 9] = [
            (
                |c| c.traits[0].bins[0].points = MAX_ABS_POINTS + 1,
                "points = 1000001",
            ),
            (
                |c| c.base_points = -MAX_ABS_POINTS - 1,
                "base_points = -1000001",
            ),
            (|c| c.calibration.clear(), "calibration is empty"),
            (
                |c| c.tiers.swap(0, 1),
                "min_score 77 is above tier \"warm\"'s 51",
            ),
            (
                |c| c.traits[2].name = c.traits[1].name.clone(),
                "listed twice",
            ),
            (|c| c.calibration[1].probability = 0.0, "must not fall"),
            (
                |c| c.calibration[0].score_high = c.calibration[1].score_high + 1.0,
                "inside the step before",
            ),
            (|c| c.scaling.factor = f64::NAN, "scaling.factor = NaN"),
            (
                |c| c.scoring.activity_windows = vec![0],
                "activity_windows: 0 days",
            ),
        ];
        for (edit, expected) in cases {
            let mut c = fixture();
            edit(&mut c);
            let err = validate(&c).unwrap_err();
            assert!(err.contains(expected), "{expected:?} not in {err}");
        }
    }

    /// The lowest and highest score are summed with checked arithmetic: a sum past i64 is an
    /// error naming the trait where it overflows (the points bound keeps real configs far
    /// from it; a base near i64::MAX shows the check).
    #[test]
    fn an_overflowing_sum_names_the_trait() {
        let c = fixture();
        assert!(score_range(c.base_points, &c.traits).is_ok());
        let err = score_range(i64::MAX - 1, &c.traits).unwrap_err();
        let first_positive = c
            .traits
            .iter()
            .find(|t| t.bins.iter().any(|b| b.points > 1))
            .unwrap();
        assert!(err.contains(&format!("{:?}", first_positive.name)), "{err}");
        assert!(err.contains("overflows"), "{err}");
        let err = score_range(i64::MIN + 1, &c.traits).unwrap_err();
        assert!(err.contains("overflows"), "{err}");
    }

    /// JSON text to a validated config: the type of `schema_version` is named, and the edit
    /// flag follows the hash.
    #[test]
    fn parse_names_the_schema_version_type_and_the_edit() {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scoring-config-v1.json"),
        )
        .unwrap();
        assert!(!parse(&text).unwrap().edited);
        let err = parse(&text.replacen("\"schema_version\": 1", "\"schema_version\": \"1\"", 1));
        assert!(err.unwrap_err().contains("not a string"));
        let err = parse(&text.replacen("\"schema_version\": 1", "\"schema_version\": 1.5", 1));
        assert!(err.unwrap_err().contains("schema_version = 1.5"));
        let mut c = fixture();
        c.traits[0].bins[0].points += 1;
        let edited = serde_json::to_string(&c).unwrap();
        assert!(parse(&edited).unwrap().edited);
        stamp(&mut c);
        assert!(!parse(&serde_json::to_string(&c).unwrap()).unwrap().edited);
        assert!(parse("[1, 2]").unwrap_err().contains("not an object"));
        assert!(parse("").unwrap_err().contains("not JSON"));
    }

    #[test]
    fn the_content_hash_names_the_content() {
        // A config as `run` wrote it on the sample.
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scoring-config-v1.json");
        let loaded = read(&path, false).unwrap();
        assert!(!loaded.edited);
        let mut config = loaded.config;
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
