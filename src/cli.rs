//! The command line (clap derive). Doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// leadtune turns a company's sales history (leads, deals, activities, marketing spend) into a
/// tuned lead-scoring model, with reports on conversion and source ROI.
///
/// Start with `leadtune run` in a folder holding a leadtune.toml, or try it on synthetic data:
/// `leadtune generate --out demo && leadtune run --config demo/leadtune.toml`.
///
/// Exit codes: 0 success; 1 the input, config or environment (the message names the file, row
/// and column, or the config key and its allowed range; a full disk or a missing permission
/// too); 2 a command-line usage error; 3 an internal error (a bug: please report it).
#[derive(Debug, Parser)]
#[command(name = "leadtune", version, about, long_about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole pipeline: validate and link the inputs, discover traits, fit the
    /// scorecard, and write the reports.
    ///
    /// Writes to the output directory ([output] dir, default reports/latest): report.html (the
    /// whole report on one self-contained page), charts/ (PNG and SVG), scoring-config.json (the
    /// model for operational systems), points.csv, traits.csv, evaluation.json,
    /// scored_leads.parquet (with reasons), the conversion, speed-to-lead, SLA, funnel and
    /// source ROI tables (CSV, most also Parquet), rejected.csv (every row not used, with its
    /// reason) and manifest.json (inputs with SHA-256, row counts, timings).
    Run(RunArgs),
    /// Check the inputs and link outcomes, fit nothing: writes rejected.csv and manifest.json.
    ///
    /// Reads every table the config names, detects CSV dialects, types every column, rejects
    /// rows that cannot be used (with file, row, column and reason), links deals to leads within
    /// the outcome horizon, marks immature leads and flags existing customers.
    Validate(RunArgs),
    /// Trait discovery: bins, conversion, lift, WoE and IV per trait, the best customers'
    /// profile, and leaky / identity / constant columns flagged with the evidence.
    ///
    /// Validates and links first (as `validate`), then writes traits.csv and traits.parquet: one
    /// row per trait bin with leads, wins, conversion and its 95% Wilson interval, lift, WoE, IV,
    /// the share of the best customers in the bin, and a Benjamini-Hochberg adjusted p-value.
    Traits(RunArgs),
    /// Apply a scoring config to new leads: fit, engagement, score, probability and tier per lead.
    ///
    /// Uses the same scoring code as `run`. Category values the config never saw score as
    /// `other`, missing values as `missing`; both are counted on standard error. The output is
    /// CSV or Parquet by its extension.
    Score(ScoreArgs),
    /// What changed between two scoring configs: points per bin (largest change first), traits
    /// added or removed, tier thresholds, and with --leads how many leads change tier.
    Diff(DiffArgs),
    /// Write a synthetic company history with planted, known effects (for trying and testing).
    ///
    /// Writes leads.csv, deals.csv, activities.csv, spend.csv, customers.csv (or .parquet
    /// with --format parquet), a leadtune.toml that runs on them, and truth.json with the
    /// true effects. The same seed gives the same bytes. Rows are streamed to disk, so memory
    /// stays small at millions of leads; --activity-rate and --lost-deal-rate set the volume
    /// of activities and deals per lead (for 10M leads, 50M activities and 1M deals:
    /// `--leads 10000000 --activity-rate 0.595 --lost-deal-rate 0.025 --format parquet`).
    Generate(GenerateArgs),
    /// Write the scoring config as SQL that scores a leads table inside the database (SQLite
    /// or PostgreSQL), with the same scores, probabilities and tiers as `leadtune score`.
    ///
    /// The leads table needs lead_id and the model's traits as columns (NULL when missing;
    /// timestamps as PostgreSQL timestamps or ISO-8601 text in SQLite), created_at for date or
    /// engagement traits, and for engagement traits an activities table (lead_id, occurred_at,
    /// type). A config with queues routes each lead by the queues' rules and adds a queue
    /// column. Writes a CREATE VIEW (or with --select the bare query) to standard output or
    /// --out.
    ExportSql(ExportSqlArgs),
}

#[derive(Debug, Args)]
pub struct ExportSqlArgs {
    /// The scoring config (scoring-config.json from `leadtune run`).
    #[arg(long, short, value_name = "FILE")]
    pub model: PathBuf,
    /// The database the SQL is for.
    #[arg(long, value_enum)]
    pub dialect: crate::scoring::sql::Dialect,
    /// The leads table (schema.table allowed).
    #[arg(long, default_value = "leads", value_name = "NAME")]
    pub table: String,
    /// The activities table, for engagement traits.
    #[arg(long, default_value = "activities", value_name = "NAME")]
    pub activities_table: String,
    /// The deals table (`lead_id`, `created_at`), for the opportunity stage of
    /// `stage_reached`.
    #[arg(long, default_value = "deals", value_name = "NAME")]
    pub deals_table: String,
    /// The view to create.
    #[arg(long, default_value = "lead_scores", value_name = "NAME")]
    pub view: String,
    /// Write the bare SELECT instead of CREATE VIEW.
    #[arg(long)]
    pub select: bool,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Use the scoring config even if it was edited after leadtune wrote it (its
    /// content_sha256 no longer matches); the output records that it was.
    #[arg(long)]
    pub allow_edited: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The run config.
    #[arg(long, short, default_value = "leadtune.toml", value_name = "FILE")]
    pub config: PathBuf,
    /// Output directory; overrides [output] dir of the config.
    #[arg(long, short, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The data's end date for censoring (YYYY-MM-DD); default: the latest timestamp in the
    /// inputs. Leads younger than the outcome horizon at this date without a win are immature.
    /// Rows dated after it are rejected.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Directory to write into (created if missing). It must be empty unless --force.
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,
    /// Write into a directory that is not empty, overwriting leads.csv, leadtune.toml and the
    /// other files generate writes there (files of other names are left as they are).
    #[arg(long)]
    pub force: bool,
    /// Number of leads.
    #[arg(long, default_value_t = 5000)]
    pub leads: usize,
    /// Random seed: the same seed (and options) gives byte-identical files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// File format of the five tables (leadtune.toml names them). Parquet holds the same
    /// rows, malformed ones included, and is written one row group at a time.
    #[arg(long, value_enum, default_value_t = crate::synth::OutputFormat::Csv)]
    pub format: crate::synth::OutputFormat,
    /// Multiplies every activity type's base rate (default 1: about 8.3 activities per
    /// lead; 0.6 gives about 5). More or fewer activities also raise or lower the
    /// conversion, because engagement is a planted effect: truth.json keeps the formula
    /// truth (the intercept is not re-tuned) and records the rate.
    #[arg(
        long,
        default_value_t = 1.0,
        value_name = "F",
        allow_negative_numbers = true
    )]
    pub activity_rate: f64,
    /// Multiplies the probability of every planted lost deal (default 1: about 0.34 deals
    /// per lead in all; 0 leaves only the won deals, about 0.1 per lead, and the malformed
    /// extra ones). Probabilities are capped at 1. truth.json records the rate; the planted
    /// effects are unchanged.
    #[arg(
        long,
        default_value_t = 1.0,
        value_name = "F",
        allow_negative_numbers = true
    )]
    pub lost_deal_rate: f64,
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// The scoring config (scoring-config.json from `leadtune run`).
    #[arg(long, short, value_name = "FILE")]
    pub model: PathBuf,
    /// The leads to score (CSV or Parquet).
    #[arg(long, short, value_name = "FILE")]
    pub leads: PathBuf,
    /// Their activities, for the engagement traits (without it those traits score as missing).
    #[arg(long, short, value_name = "FILE")]
    pub activities: Option<PathBuf>,
    /// Their deals (the deals table as `run` reads it), for the opportunity stage of
    /// `stage_reached` (without it no lead reaches that stage).
    #[arg(long, value_name = "FILE")]
    pub deals: Option<PathBuf>,
    /// Where to write the scores (.csv or .parquet).
    #[arg(long, short, value_name = "FILE")]
    pub out: PathBuf,
    /// How many reasons to give per lead in the `reasons` column, as `trait=bin (+points)`,
    /// largest first, up or down (0: no reasons).
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub reasons: usize,
    /// Add the full point breakdown: `base_points` and a `points:<trait>` column per trait,
    /// which add up to `score` exactly.
    #[arg(long)]
    pub explain: bool,
    /// Use the scoring config even if it was edited after leadtune wrote it (its
    /// content_sha256 no longer matches); the output records that it was.
    #[arg(long)]
    pub allow_edited: bool,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The config in use.
    pub old: PathBuf,
    /// The new config.
    pub new: PathBuf,
    /// Leads to score with both, to count how many change tier.
    #[arg(long, value_name = "FILE")]
    pub leads: Option<PathBuf>,
    /// Their activities (for engagement traits).
    #[arg(long, value_name = "FILE")]
    pub activities: Option<PathBuf>,
    /// Their deals (for the opportunity stage of `stage_reached`).
    #[arg(long, value_name = "FILE")]
    pub deals: Option<PathBuf>,
    /// With --leads: write the leads that change tier (.csv or .parquet) with their old and
    /// new score and tier and the new config's reasons, largest score change first.
    #[arg(long, value_name = "FILE", requires = "leads")]
    pub changes: Option<PathBuf>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    /// Use a scoring config even if it was edited after leadtune wrote it (its
    /// content_sha256 no longer matches); the output names it.
    #[arg(long)]
    pub allow_edited: bool,
}
