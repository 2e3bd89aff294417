//! Synthetic CRM export with planted truth (`leadtune generate`).
//!
//! [`generate`] writes a fictional B2B company's CRM export — `leads.csv`, `deals.csv`,
//! `activities.csv`, `spend.csv`, `customers.csv` — plus a `leadtune.toml` that points at
//! it and a `truth.json` that records every effect planted in the data, so later pipeline
//! stages can be tested for recovering known effects (and for not falling into the traps).
//!
//! # Where things are
//! This file holds the public interface: [`SynthParams`], [`OutputFormat`],
//! [`SynthSummary`] and [`generate`]. `spec.rs` defines the planted truth (every effect,
//! share and rate as a constant, and the effect functions that sum them for a lead);
//! `generator.rs` draws the population from it and streams the rows (customers, leads with
//! their deals and activities, malformed rows, spend) with one random generator, keeping
//! per-lead state in `lead.rs`. It draws names, domains, e-mails and customers from
//! `identity.rs`, campaigns and the monthly source mix from `campaigns.rs`, dates from
//! `calendar.rs` and small random draws (Poisson, quotas, leads per day) from `random.rs`.
//! `writers.rs` writes the tables (CSV or Parquet) and leadtune.toml, and `truth.rs`
//! renders truth.json. End-to-end tests are in `tests.rs`; unit tests sit beside their code.
//!
//! # Outcome model
//! Every lead of the truth population is won with probability
//! `sigmoid(INTERCEPT + source + industry + employees + revenue-missingness + country +
//! job title + company age + speed-to-lead + engagement + existing-customer)`, all in
//! log-odds. The constant tables in `spec.rs` are the single source of those numbers and
//! `truth.json` is rendered from them.
//!
//! # Traps planted on purpose
//! * `sales_note_status` is filled after sales contact and almost determines the outcome
//!   (leaky column).
//! * Won leads get extra activities near their deal close, after the scoring date
//!   (post-outcome leakage); only activities before the scoring date carry the effect.
//! * `annual_revenue` only matters through its missingness; its value merely correlates
//!   with `employees`.
//! * `website_platform` has no effect at all; `company_founded_year` is non-monotonic.
//! * ~3% of leads are existing customers spelled slightly differently from
//!   `customers.csv`; they convert much better and must be excluded by matching.
//! * Malformed rows (bad dates, duplicate ids, unknown leads, bad amounts) are extra rows
//!   that are not part of the truth population.
//!
//! # Shape and format
//! `activity_rate` and `lost_deal_rate` ([`SynthParams`]) scale the activity volume and
//! the lost deals (e.g. ~5 activities and ~0.1 deals per lead for a 10M-lead history);
//! at 1.0 (the default) the output is unchanged. The planted effects stay the formula
//! truth. The tables are CSV or Parquet ([`OutputFormat`]); the random draws do not depend
//! on the format, so both hold the same rows and truth.json is the same.
//!
//! # Determinism and scale
//! The same parameters give byte-identical files: one `ChaCha8Rng` drawn in a fixed
//! order, no hash-map iteration into output, fixed float formatting. Rows are streamed
//! through buffered writers (Parquet: one row group at a time); only small state is kept
//! (the customer list, a reservoir of earlier lead rows for duplicates, per campaign-month
//! lead counts for spend).

use std::fs;
use std::io;

mod calendar;
mod campaigns;
mod generator;
mod identity;
mod lead;
mod random;
mod spec;
mod truth;
mod writers;

use generator::Generator;

/// What to generate: the size of the truth population, the random seed, the shape knobs
/// and the file format.
#[derive(Debug, Clone)]
pub struct SynthParams {
    /// Number of leads in the truth population (malformed extra rows come on top).
    pub leads: usize,
    /// Seed for `ChaCha8Rng::seed_from_u64`.
    pub seed: u64,
    /// Multiplies every activity type's Poisson base rate (1.0 = the default mix of about
    /// 8.3 activities per lead). The planted effects and the intercept are not re-tuned, so
    /// other rates also change the realised conversion (engagement is part of the outcome).
    pub activity_rate: f64,
    /// Multiplies the probability of every planted lost deal: not-won leads' lost deal (with
    /// and without SQL) and won leads' earlier lost deal; each probability is capped at 1.
    /// Malformed extra lost deals are not affected.
    pub lost_deal_rate: f64,
    /// File format of the five tables.
    pub format: OutputFormat,
}

impl SynthParams {
    /// `leads` leads with `seed`, default shape, CSV.
    pub fn new(leads: usize, seed: u64) -> Self {
        SynthParams {
            leads,
            seed,
            activity_rate: 1.0,
            lost_deal_rate: 1.0,
            format: OutputFormat::Csv,
        }
    }
}

/// File format of the generated tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// leads.csv, deals.csv, ... (RFC 4180, UTF-8).
    #[default]
    Csv,
    /// leads.parquet, deals.parquet, ...: every column a String column holding the text the
    /// CSV would hold (empty fields as nulls), written in row groups as generated.
    Parquet,
}

impl OutputFormat {
    /// File extension of the tables.
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Csv => "csv",
            OutputFormat::Parquet => "parquet",
        }
    }
}

/// Row counts of a generated data set.
///
/// `leads`, `deals` and `activities` are the data rows written to each file (header
/// excluded) *including* malformed extra rows; `malformed` says how many of those are
/// malformed, by kind. `truth.json` holds the clean (truth population) counts.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SynthSummary {
    /// Data rows in leads.csv (truth population + bad-created + duplicate rows).
    pub leads: u64,
    /// Data rows in deals.csv (including malformed deals).
    pub deals: u64,
    /// Data rows in activities.csv (including malformed activities).
    pub activities: u64,
    /// Data rows in spend.csv.
    pub spend_rows: u64,
    /// Data rows in customers.csv.
    pub customers: u64,
    /// Malformed extra rows by kind (same keys and numbers as truth.json `malformed`).
    pub malformed: std::collections::BTreeMap<String, u64>,
}

/// Writes leads, deals, activities, spend and customers (`.csv` or `.parquet` by
/// `params.format`), leadtune.toml and truth.json into `out` (created if missing).
///
/// Each file is written to a hidden temporary name in `out` and renamed into place once
/// all of them are complete. Rows are streamed: memory does not grow with the number of
/// leads beyond the customer list (leads / 20) and one Parquet row group per table.
/// `observer` is asked for the bar of the leads generated.
pub fn generate(
    params: &SynthParams,
    out: &std::path::Path,
    observer: &dyn crate::observe::Observer,
) -> std::io::Result<SynthSummary> {
    for (name, rate) in [
        ("activity_rate", params.activity_rate),
        ("lost_deal_rate", params.lost_deal_rate),
    ] {
        if !(rate.is_finite() && rate >= 0.0) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{name} must be a finite number >= 0, got {rate}"),
            ));
        }
    }
    fs::create_dir_all(out)?;
    let mut generator = Generator::new(params, out)?;
    generator.write_customers()?;
    generator.write_leads(observer)?;
    generator.write_spend()?;
    generator.finish(params, out)
}

#[cfg(test)]
mod tests;
