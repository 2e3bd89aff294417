//! The run config (`leadtune.toml`), parsed strictly and resolved once into checked [`Settings`].
//!
//! What the user wrote ([`RawConfig`], serde with unknown keys refused) is kept apart from what the
//! pipeline uses ([`Settings`]: paths resolved against the config's folder, values checked).
//! Every default lives here and only here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fit::split::SplitPlan;
use crate::traits::DiscoveryParams;
use crate::traits::binning::{BinningParams, Trend};
use crate::traits::engagement::EngagementParams;
use crate::traits::identity::IdentityParams;
use crate::traits::leakage::LeakParams;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawConfig {
    pub input: RawInput,
    /// header names: `leadtune_name = "Header in the file"`, or per table in `[columns.deals]` etc.
    pub columns: BTreeMap<String, toml::Value>,
    pub traits: RawTraits,
    pub outcome: RawOutcome,
    pub model: RawModel,
    pub tiers: BTreeMap<String, RawTier>,
    pub output: RawOutput,
    /// `[[queues]]`: one model per queue, leads routed by the first queue whose rule they meet.
    pub queues: Vec<RawQueue>,
}

/// One queue: its name, and which leads it takes (`when`: column -> the values that route a
/// lead here; every column must match). A queue without `when` takes every lead left.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawQueue {
    pub name: String,
    pub when: BTreeMap<String, Vec<String>>,
    /// Least wins (in the queue's training leads) for a model of its own; below it the queue
    /// is scored by the pooled model (default 40).
    pub min_wins: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawInput {
    pub leads: Option<String>,
    pub deals: Option<String>,
    pub activities: Option<String>,
    pub spend: Option<String>,
    pub customers: Option<String>,
    pub delimiter: Option<String>,
    pub decimal: Option<String>,
    pub date_format: Option<String>,
    /// The CSV inputs' text encoding (`"windows-1250"`); detected per file when absent.
    pub encoding: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawTraits {
    pub exclude: Vec<String>,
    pub missing: Vec<String>,
    pub engagement: Vec<String>,
    pub categorical: Vec<String>,
    pub numeric: Vec<String>,
    /// `"auto"` for every numeric trait, or a table: `{ default = "auto", employees = "ascending" }`.
    pub monotonic: Option<toml::Value>,
    /// Values of numeric traits that keep their own bin: `{ pdays = [-1] }`.
    pub special: BTreeMap<String, Vec<f64>>,
    pub max_bins: Option<usize>,
    /// Days after `created_at` at which a lead is scored; later activities are ignored.
    pub scoring_offset_days: Option<f64>,
    pub activity_windows: Option<Vec<u32>>,
    pub allow_leaky: Vec<String>,
    pub leak_auc: Option<f64>,
    /// Columns kept as traits although their values look like an identity's.
    pub keep: Vec<String>,
    /// Columns that identify a person or company whatever their values look like.
    pub identity: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawOutcome {
    pub horizon_days: Option<u32>,
    pub best_customers_top_percent: Option<f64>,
    /// The data's end date for censoring; otherwise the latest timestamp seen.
    pub as_of: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawModel {
    pub validation: Option<String>,
    pub validation_share: Option<f64>,
    pub min_bin_share: Option<f64>,
    pub points_to_double_odds: Option<f64>,
    pub base_score: Option<f64>,
    pub pin: BTreeMap<String, f64>,
    /// `"woe"` (one coefficient per trait) or `"indicator"` (one per bin).
    pub encoding: Option<String>,
    /// L2 penalty of the logistic fit.
    pub l2: Option<f64>,
    /// The scoring config in use, for the back-test.
    pub current: Option<String>,
    /// Traits with less information value stay out of the model.
    pub min_iv: Option<f64>,
    /// The most traits the model takes (by IV).
    pub max_traits: Option<usize>,
    /// The folds traits and the L2 penalty are chosen by: `"shuffled"` (default) or `"time"`.
    pub selection_folds: Option<String>,
    /// Traits always in the model, whatever the cross-validation says.
    pub include: Vec<String>,
    /// Seed of the random validation split.
    pub seed: Option<u64>,
    /// Refit the deployed points on every mature lead once validated (default true).
    pub refit: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawTier {
    pub top_share: Option<f64>,
    pub capacity_per_day: Option<f64>,
    pub sla_hours: Option<f64>,
    pub escalation: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawOutput {
    pub dir: Option<String>,
    /// Report cells with fewer leads are merged or suppressed (default 10).
    pub min_cell_leads: Option<u64>,
    /// Traits to break conversion down by in `conversion_by_segment.csv` (default: the
    /// categorical lead traits with at most 50 values, other than source and campaign).
    pub segments: Option<Vec<String>>,
}

pub use crate::ingest::source::{Role, TableSource};

/// The ranges the run config's values are checked against at load (the README's "The config"
/// table lists them); a value outside is refused with its key and its range.
pub mod limits {
    /// Most days for `[traits] scoring_offset_days`, `activity_windows` and `[outcome]
    /// horizon_days`: ten years.
    pub const MAX_DAYS: u32 = 3650;
    /// Largest `[model] pin` points, either sign.
    pub const MAX_PIN: f64 = 10_000.0;
    /// Largest `[model] points_to_double_odds`.
    pub const MAX_PDO: f64 = 1_000.0;
    /// Largest `[model] base_score`, either sign.
    pub const MAX_BASE_SCORE: f64 = 100_000.0;
    /// Largest `[model] min_iv` (an IV above 2 is already suspicious).
    pub const MAX_MIN_IV: f64 = 100.0;
    /// Largest `[model] max_traits`.
    pub const MAX_TRAITS: usize = 1_000;
    /// Largest `[model] l2`.
    pub const MAX_L2: f64 = 1e6;
    /// Largest `[tiers] <tier>.sla_hours`: a year.
    pub const MAX_SLA_HOURS: f64 = 8_760.0;
    /// Largest `[tiers] <tier>.capacity_per_day`.
    pub const MAX_CAPACITY_PER_DAY: f64 = 1e9;
    /// Largest `[output] min_cell_leads`.
    pub const MAX_MIN_CELL_LEADS: u64 = 1_000_000;

    /// Most bins `[traits] max_bins` may ask for: binning starts from this many pre-bins, so
    /// more bins are never made.
    pub fn max_bins() -> usize {
        crate::traits::binning::BinningParams::default().prebins
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct InputSettings {
    pub leads: TableSource,
    pub deals: Option<TableSource>,
    pub activities: Option<TableSource>,
    pub spend: Option<TableSource>,
    pub customers: Option<TableSource>,
}

impl InputSettings {
    /// The tables given, in the fixed order of [`Role::ALL`].
    pub fn all(&self) -> Vec<&TableSource> {
        [
            Some(&self.leads),
            self.deals.as_ref(),
            self.activities.as_ref(),
            self.spend.as_ref(),
            self.customers.as_ref(),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// CSV dialect choices the config forces; anything `None` is detected from the file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DialectSettings {
    pub delimiter: Option<u8>,
    pub decimal: Option<u8>,
    /// A chrono format such as `%d.%m.%Y`, tried before ISO 8601.
    pub date_format: Option<String>,
    /// The CSV inputs' text encoding; detected per file when `None`.
    #[serde(serialize_with = "encoding_name")]
    pub encoding: Option<&'static encoding_rs::Encoding>,
}

fn encoding_name<S: serde::Serializer>(
    e: &Option<&'static encoding_rs::Encoding>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match e {
        Some(e) => s.serialize_some(e.name()),
        None => s.serialize_none(),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TraitSettings {
    pub exclude: Vec<String>,
    /// Tokens meaning "no value" (compared after trimming, case-insensitive), always incl. "".
    pub missing: Vec<String>,
    pub engagement: Vec<String>,
    pub categorical: Vec<String>,
    pub numeric: Vec<String>,
    pub trend: Trend,
    pub trend_for: BTreeMap<String, Trend>,
    pub special: BTreeMap<String, Vec<f64>>,
    pub max_bins: usize,
    pub scoring_offset_days: f64,
    pub activity_windows: Vec<u32>,
    pub allow_leaky: Vec<String>,
    pub leak_auc: f64,
    /// `[traits] keep`: traits whatever their values look like (identity evidence overridden).
    pub keep: Vec<String>,
    /// `[traits] identity`: identity columns whatever their values look like.
    pub identity: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutcomeSettings {
    pub horizon_days: u32,
    pub best_customers_top_percent: f64,
    /// Milliseconds since the Unix epoch (UTC), when set by the config or `--as-of`.
    pub as_of_ms: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelSettings {
    pub validation: String,
    pub validation_share: f64,
    pub min_bin_share: f64,
    pub points_to_double_odds: f64,
    pub base_score: f64,
    pub pin: BTreeMap<String, f64>,
    pub encoding: Encoding,
    /// The L2 penalty; `None`: chosen by time-ordered cross-validation.
    pub l2: Option<f64>,
    /// The scoring config in use (resolved path, and as written).
    #[serde(skip)]
    pub current: Option<PathBuf>,
    pub current_written: Option<String>,
    pub min_iv: f64,
    pub max_traits: usize,
    /// Traits and the L2 penalty are chosen by cross-validation folds in creation order
    /// (`selection_folds = "time"`) instead of shuffled ones (`"shuffled"`, the default).
    pub selection_folds: String,
    /// Traits always in the model (`[model] include`), fitted like the others.
    pub include: Vec<String>,
    pub seed: u64,
    /// After validation, the config's points are refitted on every mature lead (training and
    /// validation windows) with the same settings: the newest leads shape the deployed model.
    pub refit: bool,
}

/// How binned traits enter the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// The bin's weight of evidence, one coefficient per trait (the scorecard standard).
    Woe,
    /// One 0/1 column per bin (the reference bin left out), one coefficient per bin.
    Indicator,
}

#[derive(Debug, Clone, Serialize)]
pub struct TierSetting {
    pub name: String,
    pub top_share: Option<f64>,
    pub capacity_per_day: Option<f64>,
    pub sla_hours: f64,
    pub escalation: Option<String>,
}

/// The resolved run: every value checked, every path absolute.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    #[serde(skip)]
    pub config_path: PathBuf,
    pub input: InputSettings,
    pub dialect: DialectSettings,
    /// Per table: leadtune's column name -> the header in the file.
    pub columns: BTreeMap<String, BTreeMap<String, String>>,
    pub traits: TraitSettings,
    pub outcome: OutcomeSettings,
    pub model: ModelSettings,
    pub tiers: Vec<TierSetting>,
    #[serde(skip)]
    pub output_dir: PathBuf,
    pub output_dir_written: String,
    pub min_cell_leads: u64,
    /// `[output] segments`; `None`: chosen from the traits.
    pub segments: Option<Vec<String>>,
    /// `[[queues]]`, in routing order.
    pub queues: Vec<QueueSetting>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueueSetting {
    pub name: String,
    pub when: BTreeMap<String, Vec<String>>,
    pub min_wins: u64,
}

impl Settings {
    /// The header to look for in `table` for leadtune's column `name`.
    pub fn header_for<'a>(&'a self, table: Role, name: &'a str) -> &'a str {
        self.columns
            .get(table.name())
            .and_then(|m| m.get(name))
            .map(String::as_str)
            .unwrap_or(name)
    }
}

impl Settings {
    /// Trait discovery's parameters (the split: how the fit will split, for the decay's fit);
    /// what the config does not set is the stages' own default.
    pub fn discovery_params(&self, split: &SplitPlan) -> DiscoveryParams {
        let settings = self;
        let t = &settings.traits;
        DiscoveryParams {
            binning: BinningParams {
                min_bin_share: settings.model.min_bin_share,
                max_bins: t.max_bins,
                trend: t.trend,
                trend_for: t.trend_for.clone(),
                special: t.special.clone(),
                ..BinningParams::default()
            },
            leak: LeakParams {
                auc: t.leak_auc,
                hinted_auc: t.leak_auc.min(LeakParams::default().hinted_auc),
                allow: t.allow_leaky.clone(),
            },
            engagement: EngagementParams {
                scoring_offset_days: t.scoring_offset_days,
                windows_days: t.activity_windows.clone(),
                ..EngagementParams::default()
            },
            best_top_percent: settings.outcome.best_customers_top_percent,
            engagement_columns: t.engagement.clone(),
            categorical: t.categorical.clone(),
            date_format: settings.dialect.date_format.clone(),
            exclude: t.exclude.clone(),
            identity: IdentityParams {
                keep: t.keep.clone(),
                force: t.identity.clone(),
            },
            split: Some(split.clone()),
        }
    }
}

/// Reads and resolves the config file. `out` overrides `[output] dir` (relative to the current
/// directory, as a command-line path is); `as_of` overrides `[outcome] as_of`.
pub fn load(path: &Path, out: Option<&Path>, as_of: Option<&str>) -> Result<Settings> {
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::config(
            path,
            "config file not found; pass --config FILE or create leadtune.toml \
             (`leadtune generate --out DIR` writes a working example)",
        ),
        std::io::ErrorKind::IsADirectory => Error::config(
            path,
            "is a directory, not a config file; pass --config FILE (a leadtune.toml)",
        ),
        _ => Error::io(path, e),
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        Error::config(
            path,
            "not a leadtune TOML config: the file is not UTF-8 text; pass --config FILE \
             (a leadtune.toml)",
        )
    })?;
    let raw = parse(&text).map_err(|m| Error::config(path, m))?;
    let settings = resolve(raw, path, out, as_of)?;
    check_files(&settings)?;
    Ok(settings)
}

/// Parses and checks config text without touching the file system (the input files named are
/// not looked for): every value against its documented range. What `load` does but the files.
pub fn check_text(text: &str, path: &Path) -> Result<Settings> {
    let raw = parse(text).map_err(|m| Error::config(path, m))?;
    resolve(raw, path, None, None)
}

/// The files the config names exist: every input table and `[model] current`.
fn check_files(settings: &Settings) -> Result<()> {
    let bad = |m: String| Error::config(&settings.config_path, m);
    for table in settings.input.all() {
        if table.path().is_dir() {
            return Err(bad(format!(
                "[input] {} = {:?} is a directory, not a file ({}): name the CSV or Parquet \
                 file in it",
                table.role,
                table.written,
                table.path().display()
            )));
        }
        if !table.path().is_file() {
            return Err(bad(format!(
                "[input] {} = {:?}: no such file ({})",
                table.role,
                table.written,
                table.path().display()
            )));
        }
    }
    if let Some(path) = &settings.model.current
        && !path.is_file()
    {
        return Err(bad(format!(
            "[model] current = {:?}: no such file ({})",
            settings
                .model
                .current_written
                .as_deref()
                .unwrap_or_default(),
            path.display()
        )));
    }
    Ok(())
}

/// Parses TOML text strictly; an unknown key is refused with the closest known one suggested.
/// Errors give the line and column, never the file's text: a path that points at some other
/// file (`/etc/passwd`) must not have its content echoed. Text that is not TOML at all is
/// called out as not a leadtune config.
pub fn parse(text: &str) -> std::result::Result<RawConfig, String> {
    let at = |e: &toml::de::Error| match e.span() {
        Some(span) => {
            let mut start = span.start.min(text.len());
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            let before = &text[..start];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            format!("line {line}, column {column}")
        }
        None => "an unknown place".to_string(),
    };
    // Syntax alone (values kept as written, so a number too large is not a syntax error).
    if let Err(e) = toml::de::DeTable::parse(text) {
        // A leadtune config with a TOML mistake (a table given twice, a quote left open) is
        // told where to fix it; any other file is not a config at all.
        const TABLES: [&str; 8] = [
            "[input]",
            "[columns]",
            "[outcome]",
            "[traits]",
            "[model]",
            "[tiers",
            "[output]",
            "[scoring]",
        ];
        let ours = text
            .lines()
            .any(|l| TABLES.iter().any(|t| l.trim_start().starts_with(t)));
        return Err(if ours {
            format!(
                "not valid TOML at {}: {}; fix that line (a table or key given twice, a quote \
                 or bracket left open)",
                at(&e),
                e.message().trim()
            )
        } else {
            format!(
                "not a leadtune TOML config: the file is not TOML (parsing failed at {}: {}); \
                 pass --config FILE (a leadtune.toml)",
                at(&e),
                e.message().trim()
            )
        });
    }
    toml::from_str::<RawConfig>(text).map_err(|e| {
        let message = format!("at {}: {}", at(&e), e.message().trim());
        match did_you_mean(&message) {
            Some(hint) => format!("{message}\n{hint}"),
            None => message,
        }
    })
}

/// From serde's "unknown field `x`, expected one of `a`, `b`" builds "did you mean `a`?".
fn did_you_mean(message: &str) -> Option<String> {
    let rest = message.split("unknown field `").nth(1)?;
    let (unknown, expected) = rest.split_once('`')?;
    let best = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|candidate| (strsim::jaro_winkler(unknown, candidate), candidate))
        .max_by(|a, b| a.0.total_cmp(&b.0))?;
    (best.0 >= 0.7).then(|| format!("did you mean `{}` instead of `{unknown}`?", best.1))
}

fn resolve(
    raw: RawConfig,
    path: &Path,
    out: Option<&Path>,
    as_of: Option<&str>,
) -> Result<Settings> {
    let RawConfig {
        input,
        columns,
        traits,
        outcome,
        model,
        tiers,
        output,
        queues: raw_queues,
    } = raw;
    let base = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let bad = |m: String| Error::config(path, m);
    let source = |role: Role, v: Option<String>| {
        v.map(|written| TableSource::file(role, base.join(&written), written))
    };
    let RawInput {
        leads,
        deals,
        activities,
        spend,
        customers,
        delimiter,
        decimal,
        date_format,
        encoding,
    } = input;
    let leads = source(Role::Leads, leads)
        .ok_or_else(|| bad("[input] leads is required: the path of the leads table".into()))?;
    let input = InputSettings {
        leads,
        deals: source(Role::Deals, deals),
        activities: source(Role::Activities, activities),
        spend: source(Role::Spend, spend),
        customers: source(Role::Customers, customers),
    };

    let dialect = DialectSettings {
        delimiter: delimiter
            .map(|d| match d.as_str() {
                "," => Ok(b','),
                ";" => Ok(b';'),
                "\t" | "tab" | "\\t" => Ok(b'\t'),
                "|" => Ok(b'|'),
                other => Err(bad(format!(
                    "[input] delimiter = {other:?}: use \",\", \";\", \"tab\" or \"|\""
                ))),
            })
            .transpose()?,
        decimal: decimal
            .map(|d| match d.as_str() {
                "." => Ok(b'.'),
                "," => Ok(b','),
                other => Err(bad(format!(
                    "[input] decimal = {other:?}: use \".\" or \",\""
                ))),
            })
            .transpose()?,
        date_format,
        encoding: encoding
            .map(|e| {
                crate::ingest::encoding::named(&e)
                    .map_err(|m| bad(format!("[input] encoding = {m}")))
            })
            .transpose()?,
    };

    let columns = resolve_columns(columns).map_err(bad)?;

    let RawTraits {
        exclude,
        missing,
        engagement,
        categorical,
        numeric,
        monotonic,
        special,
        max_bins,
        scoring_offset_days,
        activity_windows,
        allow_leaky,
        leak_auc,
        keep,
        identity,
    } = traits;
    let (trend, trend_for) = resolve_trends(monotonic).map_err(bad)?;
    let max_bins = max_bins.unwrap_or(BinningParams::default().max_bins);
    if !(1..=limits::max_bins()).contains(&max_bins) {
        return Err(bad(format!(
            "[traits] max_bins = {max_bins}: must be 1 to {} (binning starts from {} \
             pre-bins, so more bins are never made)",
            limits::max_bins(),
            limits::max_bins()
        )));
    }
    let scoring_offset_days =
        scoring_offset_days.unwrap_or(EngagementParams::default().scoring_offset_days);
    check_range(
        "[traits] scoring_offset_days",
        scoring_offset_days,
        0.0,
        f64::from(limits::MAX_DAYS),
    )
    .map_err(bad)?;
    let activity_windows =
        activity_windows.unwrap_or_else(|| EngagementParams::default().windows_days);
    if activity_windows.is_empty()
        || activity_windows
            .iter()
            .any(|w| !(1..=limits::MAX_DAYS).contains(w))
    {
        return Err(bad(format!(
            "[traits] activity_windows = {activity_windows:?}: must be one or more day counts, \
             each 1 to {}",
            limits::MAX_DAYS
        )));
    }
    let leak_auc = leak_auc.unwrap_or(LeakParams::default().auc);
    check_range("[traits] leak_auc", leak_auc, 0.5, 1.0).map_err(bad)?;
    for (column, values) in &special {
        if let Some(v) = values.iter().find(|v| !v.is_finite()) {
            return Err(bad(format!(
                "[traits] special {column:?} = {v}: special values must be finite numbers"
            )));
        }
    }
    let mut missing_tokens: Vec<String> = ["", "na", "n/a", "null", "none", "nan"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for token in missing {
        let token = token.trim().to_lowercase();
        if !missing_tokens.contains(&token) {
            missing_tokens.push(token);
        }
    }
    let traits = TraitSettings {
        exclude,
        missing: missing_tokens,
        engagement,
        categorical,
        numeric,
        trend,
        trend_for,
        special,
        max_bins,
        scoring_offset_days,
        activity_windows,
        allow_leaky,
        leak_auc,
        keep,
        identity,
    };

    let RawOutcome {
        horizon_days,
        best_customers_top_percent,
        as_of: as_of_config,
    } = outcome;
    let horizon_days = horizon_days.unwrap_or(180);
    if !(1..=limits::MAX_DAYS).contains(&horizon_days) {
        return Err(bad(format!(
            "[outcome] horizon_days = {horizon_days}: must be 1 to {}",
            limits::MAX_DAYS
        )));
    }
    let best = best_customers_top_percent.unwrap_or(20.0);
    if !(best > 0.0 && best <= 100.0) {
        return Err(bad(format!(
            "[outcome] best_customers_top_percent = {best}: must be in (0, 100]"
        )));
    }
    let as_of_ms = match as_of.map(str::to_string).or(as_of_config) {
        Some(text) => Some(
            crate::ingest::values::parse_timestamp(&text, None).ok_or_else(|| {
                bad(format!(
                    "as-of date {text:?} is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS"
                ))
            })?,
        ),
        None => None,
    };
    let outcome = OutcomeSettings {
        horizon_days,
        best_customers_top_percent: best,
        as_of_ms,
    };

    let RawModel {
        validation,
        validation_share,
        min_bin_share,
        points_to_double_odds,
        base_score,
        pin,
        encoding,
        l2,
        current,
        min_iv,
        max_traits,
        selection_folds,
        include,
        seed,
        refit,
    } = model;
    let selection_folds = selection_folds.unwrap_or_else(|| "shuffled".into());
    if !["shuffled", "time"].contains(&selection_folds.as_str()) {
        return Err(bad(format!(
            "[model] selection_folds = {selection_folds:?}: use \"shuffled\" or \"time\""
        )));
    }
    let validation = validation.unwrap_or_else(|| "time".into());
    if !["time", "random", "file_order"].contains(&validation.as_str()) {
        return Err(bad(format!(
            "[model] validation = {validation:?}: use \"time\", \"random\" or \"file_order\""
        )));
    }
    let encoding = match encoding.as_deref().unwrap_or("woe") {
        "woe" => Encoding::Woe,
        "indicator" => Encoding::Indicator,
        other => {
            return Err(bad(format!(
                "[model] encoding = {other:?}: use \"woe\" or \"indicator\""
            )));
        }
    };
    if let Some(l2) = l2 {
        check_range("[model] l2", l2, 0.0, limits::MAX_L2).map_err(bad)?;
    }
    let current_path = current.as_ref().map(|c| base.join(c));
    let share = |name: &str, v: f64, hi: f64| {
        if v > 0.0 && v < hi {
            Ok(v)
        } else {
            Err(bad(format!("[model] {name} = {v}: must be in (0, {hi})")))
        }
    };
    let model = ModelSettings {
        validation,
        validation_share: share("validation_share", validation_share.unwrap_or(0.25), 1.0)?,
        min_bin_share: share(
            "min_bin_share",
            min_bin_share.unwrap_or(BinningParams::default().min_bin_share),
            0.5,
        )?,
        points_to_double_odds: {
            let pdo = points_to_double_odds.unwrap_or(20.0);
            if !(pdo > 0.0 && pdo <= limits::MAX_PDO) {
                return Err(bad(format!(
                    "[model] points_to_double_odds = {pdo}: must be a number above 0, at most {}",
                    limits::MAX_PDO
                )));
            }
            pdo
        },
        base_score: {
            let b = base_score.unwrap_or(50.0);
            check_range(
                "[model] base_score",
                b,
                -limits::MAX_BASE_SCORE,
                limits::MAX_BASE_SCORE,
            )
            .map_err(bad)?;
            b
        },
        pin: {
            for (key, &points) in &pin {
                check_range(
                    &format!("[model] pin {key:?}"),
                    points,
                    -limits::MAX_PIN,
                    limits::MAX_PIN,
                )
                .map_err(bad)?;
            }
            pin
        },
        encoding,
        l2,
        current: current_path,
        current_written: current,
        min_iv: {
            let v = min_iv.unwrap_or(0.0);
            check_range("[model] min_iv", v, 0.0, limits::MAX_MIN_IV).map_err(bad)?;
            v
        },
        max_traits: {
            let v = max_traits.unwrap_or(25);
            if !(1..=limits::MAX_TRAITS).contains(&v) {
                return Err(bad(format!(
                    "[model] max_traits = {v}: must be 1 to {}",
                    limits::MAX_TRAITS
                )));
            }
            v
        },
        selection_folds,
        include,
        seed: seed.unwrap_or(42),
        refit: refit.unwrap_or(true),
    };

    let tiers = resolve_tiers(tiers).map_err(bad)?;

    let min_cell_leads = output.min_cell_leads.unwrap_or(10);
    if min_cell_leads > limits::MAX_MIN_CELL_LEADS {
        return Err(bad(format!(
            "[output] min_cell_leads = {min_cell_leads}: must be 0 to {}",
            limits::MAX_MIN_CELL_LEADS
        )));
    }
    let segments = output.segments;
    let mut queues = Vec::new();
    for q in raw_queues {
        if q.name.trim().is_empty() {
            return Err(bad("[[queues]]: every queue needs a name".into()));
        }
        if queues.iter().any(|x: &QueueSetting| x.name == q.name) {
            return Err(bad(format!(
                "[[queues]]: the name {:?} is used twice",
                q.name
            )));
        }
        queues.push(QueueSetting {
            name: q.name,
            when: q.when,
            min_wins: q.min_wins.unwrap_or(40),
        });
    }
    let output_dir_written = output.dir.unwrap_or_else(|| "reports/latest".into());
    let output_dir = match out {
        Some(dir) => dir.to_path_buf(),
        None => base.join(&output_dir_written),
    };
    let output_dir_written = match out {
        Some(dir) => dir.display().to_string(),
        None => output_dir_written,
    };

    Ok(Settings {
        config_path: path.to_path_buf(),
        input,
        dialect,
        columns,
        traits,
        outcome,
        model,
        tiers,
        output_dir,
        output_dir_written,
        min_cell_leads,
        segments,
        queues,
    })
}

impl Settings {
    /// The columns the config names by hand exist in the leads table, given its header
    /// (`lead_columns`) and, once traits are discovered, the traits' names (`traits`: a
    /// `monotonic` key may name a derived trait such as an activity count). `[[queues]] when`
    /// and `[traits] engagement` are checked always, `monotonic` only with `traits`. The error
    /// names the key, the missing column and the nearest headers.
    pub fn check_named_columns(
        &self,
        lead_columns: &[&str],
        traits: Option<&[&str]>,
    ) -> Result<()> {
        let leads = self.input.leads.path();
        let missing = |key: String, column: &str, known: &[&str]| {
            let mut near: Vec<(f64, &str)> = known
                .iter()
                .map(|k| {
                    (
                        strsim::jaro_winkler(&column.to_lowercase(), &k.to_lowercase()),
                        *k,
                    )
                })
                .filter(|(score, _)| *score >= 0.75)
                .collect();
            near.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
            let hint = if near.is_empty() {
                let mut shown: Vec<&str> = known.iter().copied().filter(|k| *k != "row").collect();
                let more = shown.len().saturating_sub(20);
                shown.truncate(20);
                format!(
                    "; the columns are: {}{}",
                    shown.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                )
            } else {
                let names: Vec<String> =
                    near.iter().take(3).map(|(_, n)| format!("{n:?}")).collect();
                format!("; near matches: {}", names.join(", "))
            };
            Error::config(
                &self.config_path,
                format!(
                    "{key}: column {column:?} is not in the leads table ({}){hint}",
                    leads.display()
                ),
            )
        };
        for q in &self.queues {
            for column in q.when.keys() {
                if !lead_columns.contains(&column.as_str()) {
                    return Err(missing(
                        format!("[[queues]] {:?} when", q.name),
                        column,
                        lead_columns,
                    ));
                }
            }
        }
        for column in &self.traits.engagement {
            if !lead_columns.contains(&column.as_str()) {
                return Err(missing("[traits] engagement".into(), column, lead_columns));
            }
        }
        if let Some(traits) = traits {
            let known: Vec<&str> = lead_columns.iter().chain(traits).copied().collect();
            for column in self.traits.trend_for.keys() {
                if !known.contains(&column.as_str()) {
                    return Err(missing("[traits] monotonic".into(), column, &known));
                }
            }
        }
        Ok(())
    }
}

/// `value` within `[lo, hi]` and a number (not NaN), else "KEY = VALUE: must be LO to HI".
fn check_range(key: &str, value: f64, lo: f64, hi: f64) -> std::result::Result<(), String> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(format!(
            "{key} = {value}: must be a number from {lo} to {hi}"
        ))
    }
}

/// `[columns]`: flat keys apply to every table that has that column; `[columns.<table>]` wins.
fn resolve_columns(
    raw: BTreeMap<String, toml::Value>,
) -> std::result::Result<BTreeMap<String, BTreeMap<String, String>>, String> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut flat = BTreeMap::new();
    for (key, value) in raw {
        match (value, Role::named(&key)) {
            (toml::Value::String(header), _) => {
                let known = Role::ALL
                    .iter()
                    .any(|r| r.known_columns().contains(&key.as_str()));
                if !known {
                    return Err(unknown_column_key(&key, None));
                }
                flat.insert(key, header);
            }
            (toml::Value::Table(table), Some(role)) => {
                let entry = out.entry(key.clone()).or_default();
                for (name, header) in table {
                    if !role.known_columns().contains(&name.as_str()) {
                        return Err(unknown_column_key(&name, Some(role)));
                    }
                    let toml::Value::String(header) = header else {
                        return Err(format!(
                            "[columns.{key}] {name} must be a string (a header)"
                        ));
                    };
                    entry.insert(name, header);
                }
            }
            _ => {
                return Err(format!(
                    "[columns] {key}: expected `name = \"Header\"` or a table [columns.<{}>]",
                    Role::ALL.map(Role::name).join("|")
                ));
            }
        }
    }
    for role in Role::ALL {
        for (name, header) in &flat {
            if role.known_columns().contains(&name.as_str()) {
                out.entry(role.name().to_string())
                    .or_default()
                    .entry(name.clone())
                    .or_insert_with(|| header.clone());
            }
        }
    }
    Ok(out)
}

fn unknown_column_key(key: &str, table: Option<Role>) -> String {
    let candidates: Vec<&str> = match table {
        Some(t) => t.known_columns().to_vec(),
        None => Role::ALL
            .iter()
            .flat_map(|t| t.known_columns().iter().copied())
            .collect(),
    };
    let section = table.map_or("[columns]".to_string(), |t| format!("[columns.{t}]"));
    let best = candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(key, c), *c))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let mut message =
        format!("{section} {key:?} is not a column leadtune knows (trait columns need no mapping)");
    if let Some((score, best)) = best
        && score >= 0.7
    {
        message.push_str(&format!("; did you mean `{best}`?"));
    }
    message
}

/// `monotonic = "auto"` or `monotonic = { default = "auto", employees = "ascending" }`.
fn resolve_trends(
    raw: Option<toml::Value>,
) -> std::result::Result<(Trend, BTreeMap<String, Trend>), String> {
    let parse = |key: &str, v: &toml::Value| {
        v.as_str().and_then(Trend::parse).ok_or_else(|| {
            format!(
                "[traits] monotonic {key}= {v}: use \"auto\", \"ascending\", \"descending\", \
                 \"peak\", \"valley\" or \"none\""
            )
        })
    };
    match raw {
        None => Ok((Trend::Auto, BTreeMap::new())),
        Some(toml::Value::Table(table)) => {
            let mut default = Trend::Auto;
            let mut per = BTreeMap::new();
            for (k, v) in table {
                let t = parse(&format!("{k} "), &v)?;
                if k == "default" {
                    default = t;
                } else {
                    per.insert(k, t);
                }
            }
            Ok((default, per))
        }
        Some(v) => Ok((parse("", &v)?, BTreeMap::new())),
    }
}

fn resolve_tiers(raw: BTreeMap<String, RawTier>) -> std::result::Result<Vec<TierSetting>, String> {
    const ORDER: [&str; 3] = ["hot", "warm", "cold"];
    let mut raw = raw;
    for name in raw.keys() {
        if !ORDER.contains(&name.as_str()) {
            return Err(format!("[tiers] {name:?}: tiers are hot, warm and cold"));
        }
    }
    let defaults = [(Some(0.10), 4.0), (Some(0.30), 24.0), (None, 168.0)];
    ORDER
        .iter()
        .zip(defaults)
        .map(|(name, (share, sla))| {
            let t = raw.remove(*name).unwrap_or_default();
            let top_share = if t.capacity_per_day.is_some() {
                t.top_share
            } else {
                t.top_share.or(share)
            };
            if let Some(s) = top_share
                && !(s > 0.0 && s < 1.0)
            {
                return Err(format!(
                    "[tiers] {name}.top_share = {s}: must be a number above 0 and below 1"
                ));
            }
            if let Some(c) = t.capacity_per_day
                && !(c > 0.0 && c <= limits::MAX_CAPACITY_PER_DAY)
            {
                return Err(format!(
                    "[tiers] {name}.capacity_per_day = {c}: must be a number above 0, at most {}",
                    limits::MAX_CAPACITY_PER_DAY
                ));
            }
            let sla_hours = t.sla_hours.unwrap_or(sla);
            if !(sla_hours > 0.0 && sla_hours <= limits::MAX_SLA_HOURS) {
                return Err(format!(
                    "[tiers] {name}.sla_hours = {sla_hours}: must be a number above 0, at most {}",
                    limits::MAX_SLA_HOURS
                ));
            }
            Ok(TierSetting {
                name: name.to_string(),
                top_share: if *name == "cold" { None } else { top_share },
                capacity_per_day: t.capacity_per_day,
                sla_hours,
                escalation: t.escalation,
            })
        })
        .collect::<std::result::Result<Vec<_>, String>>()
        .and_then(|tiers| {
            // The hot tier is the top of the warm one: a smaller share of the leads.
            if let (Some(hot), Some(warm)) = (tiers[0].top_share, tiers[1].top_share)
                && hot >= warm
            {
                return Err(format!(
                    "[tiers] hot.top_share = {hot} must be below warm.top_share = {warm}: \
                     the hot tier is the top {hot} of the leads, the warm tier reaches down to \
                     the top {warm}"
                ));
            }
            Ok(tiers)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_refused_with_a_suggestion() {
        let err = parse("[outcome]\nhorizn_days = 90\n").unwrap_err();
        assert!(err.contains("did you mean `horizon_days`"), "{err}");
    }

    #[test]
    fn unknown_section_is_refused() {
        let err = parse("[outcom]\nhorizon_days = 90\n").unwrap_err();
        assert!(err.contains("did you mean `outcome`"), "{err}");
    }

    #[test]
    fn flat_column_mapping_applies_to_every_table_with_that_column() {
        let raw =
            parse("[columns]\nlead_id = \"Lead ID\"\n[columns.deals]\nlead_id = \"LeadRef\"\n")
                .unwrap();
        let cols = resolve_columns(raw.columns).unwrap();
        assert_eq!(cols["leads"]["lead_id"], "Lead ID");
        assert_eq!(cols["activities"]["lead_id"], "Lead ID");
        assert_eq!(cols["deals"]["lead_id"], "LeadRef");
    }

    #[test]
    fn unknown_column_key_suggests_the_closest() {
        let raw = parse("[columns]\ncreated_on = \"Created\"\n").unwrap();
        let err = resolve_columns(raw.columns).unwrap_err();
        assert!(err.contains("did you mean `created_at`"), "{err}");
    }

    fn checked(extra: &str) -> std::result::Result<Settings, String> {
        let text = format!("[input]\nleads = \"leads.csv\"\n{extra}");
        check_text(&text, Path::new("leadtune.toml")).map_err(|e| e.to_string())
    }

    /// Each value out of its documented range is refused naming the key and the range; the
    /// range's own ends are accepted.
    #[test]
    fn every_value_is_checked_against_its_range() {
        let refused = [
            (
                "[traits]\nmax_bins = 0",
                "[traits] max_bins = 0: must be 1 to 20",
            ),
            (
                "[traits]\nmax_bins = 21",
                "[traits] max_bins = 21: must be 1 to 20",
            ),
            (
                "[traits]\nmax_bins = 18446744073709551615",
                "must be 1 to 20",
            ),
            (
                "[traits]\nscoring_offset_days = nan",
                "scoring_offset_days = NaN",
            ),
            ("[traits]\nactivity_windows = [7, 0]", "each 1 to 3650"),
            ("[traits]\nactivity_windows = []", "activity_windows = []"),
            (
                "[traits]\nleak_auc = nan",
                "[traits] leak_auc = NaN: must be a number from 0.5 to 1",
            ),
            (
                "[traits]\nspecial = { pdays = [inf] }",
                "special \"pdays\" = inf",
            ),
            (
                "[outcome]\nhorizon_days = 0",
                "horizon_days = 0: must be 1 to 3650",
            ),
            ("[outcome]\nhorizon_days = 100000", "horizon_days = 100000"),
            (
                "[outcome]\nbest_customers_top_percent = nan",
                "best_customers_top_percent = NaN",
            ),
            (
                "[model]\npoints_to_double_odds = nan",
                "points_to_double_odds = NaN",
            ),
            (
                "[model]\npoints_to_double_odds = -20",
                "points_to_double_odds = -20",
            ),
            ("[model]\npoints_to_double_odds = 1e300", "at most 1000"),
            ("[model]\nbase_score = inf", "[model] base_score = inf"),
            (
                "[model]\nmin_iv = nan",
                "[model] min_iv = NaN: must be a number from 0 to 100",
            ),
            ("[model]\nmin_iv = -1", "[model] min_iv = -1"),
            ("[model]\nl2 = inf", "[model] l2 = inf"),
            (
                "[model]\nmax_traits = 0",
                "max_traits = 0: must be 1 to 1000",
            ),
            ("[model]\nvalidation_share = nan", "validation_share = NaN"),
            (
                "[model]\npin = { \"industry=Software\" = 9223372036854775807 }",
                "from -10000 to 10000",
            ),
            (
                "[model]\npin = { \"a=b\" = nan }",
                "[model] pin \"a=b\" = NaN",
            ),
            (
                "[tiers]\nhot = { top_share = 0.9 }\nwarm = { top_share = 0.3 }",
                "hot.top_share = 0.9 must be below warm.top_share = 0.3",
            ),
            (
                "[tiers]\nhot = { top_share = 0.3 }\nwarm = { top_share = 0.3 }",
                "must be below warm.top_share",
            ),
            ("[tiers]\nhot = { sla_hours = nan }", "hot.sla_hours = NaN"),
            (
                "[tiers]\nwarm = { capacity_per_day = -5 }",
                "warm.capacity_per_day = -5",
            ),
            (
                "[output]\nmin_cell_leads = 18446744073709551615",
                "min_cell_leads",
            ),
        ];
        for (extra, expected) in refused {
            let err = checked(extra)
                .err()
                .unwrap_or_else(|| panic!("{extra:?} accepted"));
            assert!(
                err.contains(expected),
                "{extra:?}: {expected:?} not in {err}"
            );
            assert!(err.starts_with("leadtune.toml: "), "{err}");
        }
        let accepted = [
            "[traits]\nmax_bins = 20",
            "[traits]\nmax_bins = 1\nscoring_offset_days = 0\nactivity_windows = [1, 3650]",
            "[model]\npin = { \"a=b\" = -10000, \"a=c\" = 10000 }\nmin_iv = 0\npoints_to_double_odds = 1000",
            "[tiers]\nhot = { top_share = 0.2 }\nwarm = { top_share = 0.5 }",
            "[tiers]\nhot = { capacity_per_day = 10 }\nwarm = { top_share = 0.05 }",
        ];
        for extra in accepted {
            assert!(
                checked(extra).is_ok(),
                "{extra:?}: {:?}",
                checked(extra).err()
            );
        }
    }

    /// A column named by `[[queues]] when`, `[traits] engagement` or `monotonic` that is not in
    /// the leads is refused, naming the key, the column and the nearest headers.
    #[test]
    fn named_columns_must_exist() {
        let header = ["lead_id", "created_at", "region", "industry", "employees"];
        let settings = |extra: &str| checked(extra).unwrap();
        let s = settings("[[queues]]\nname = \"eu\"\nwhen = { regoin = [\"EU\"] }");
        let err = s
            .check_named_columns(&header, None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("[[queues]] \"eu\" when: column \"regoin\""),
            "{err}"
        );
        assert!(err.contains("near matches: \"region\""), "{err}");
        let s = settings("[traits]\nengagement = [\"webinar\"]");
        let err = s
            .check_named_columns(&header, None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("[traits] engagement: column \"webinar\""),
            "{err}"
        );
        assert!(
            err.contains("the columns are: lead_id, created_at, region"),
            "{err}"
        );
        let s = settings(
            "[traits]\nmonotonic = { default = \"auto\", employes = \"ascending\", page_view_30d = \"ascending\" }",
        );
        // Before discovery a monotonic key is not judged; after, a derived trait counts.
        assert!(s.check_named_columns(&header, None).is_ok());
        let traits = ["employees", "page_view_30d"];
        let err = s
            .check_named_columns(&header, Some(&traits))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("[traits] monotonic: column \"employes\""),
            "{err}"
        );
        assert!(err.contains("near matches: \"employees\""), "{err}");
        let s = settings(
            "[traits]\nmonotonic = { page_view_30d = \"ascending\" }\nengagement = [\"region\"]",
        );
        assert!(s.check_named_columns(&header, Some(&traits)).is_ok());
    }

    /// A file that is not TOML is called so, with where parsing failed and nothing of its
    /// text; a TOML error in a real config gives line and column, not the line's text.
    #[test]
    fn parse_errors_never_echo_the_file() {
        let err = parse("root:x:0:0:root:/root:/bin/bash\n").unwrap_err();
        assert!(err.starts_with("not a leadtune TOML config"), "{err}");
        assert!(err.contains("line 1, column 32"), "{err}");
        assert!(!err.contains("root:x"), "{err}");
        // A config with a table given twice is a config with a mistake, told where.
        let err = parse("[model]\nl2 = 1.0\n\n[model]\nmin_iv = 0.0\n").unwrap_err();
        assert!(
            err.starts_with("not valid TOML at line 4, column 2: duplicate key"),
            "{err}"
        );
        let err = parse("[outcome]\nhorizon_days = \"secret\"\n").unwrap_err();
        assert!(err.starts_with("at line 2, column 16"), "{err}");
        assert!(!err.contains('|'), "no snippet: {err}");
    }

    #[test]
    fn tiers_default_to_the_contract() {
        let tiers = resolve_tiers(BTreeMap::new()).unwrap();
        assert_eq!(tiers[0].top_share, Some(0.10));
        assert_eq!(tiers[1].sla_hours, 24.0);
        assert_eq!(tiers[2].top_share, None);
    }
}
