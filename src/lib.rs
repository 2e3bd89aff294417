//! leadtune: a company's sales history in, a tuned lead-scoring model out.
//!
//! The pipeline is one call, [`pipeline::run`]: a checked [`pipeline::Plan`] (the resolved
//! [`config`] and how far to go) in, every output as a value out, with progress told to an
//! [`observe::Observer`]. Its stages, one folder each, data flowing one way:
//! - [`ingest`] reads leads, deals, activities, spend and customers through one seam
//!   ([`ingest::source`]: a table's role, where its rows are, one read path), CSV dialects
//!   detected, every row typed or rejected with a reason;
//! - [`link`] turns deals into per-lead outcomes within the outcome horizon, marks young leads
//!   immature and, through [`link::matching`], flags existing customers; [`manifest`] accounts
//!   for every row (`read = used + rejected + immature`);
//! - [`traits`] bins every trait ([`traits::binning`], [`traits::engagement`] for activity
//!   traits, [`traits::decay`] for how fast engagement fades) and flags leaky, identity and
//!   constant columns ([`traits::leakage`]);
//! - [`fit`] fits on the one validation split ([`fit::split`]): weighted logistic regression on
//!   bin patterns ([`fit::model`], [`fit::logit`]), integer points ([`fit::scorecard`]), tiers
//!   ([`fit::tiers`]), all tuned by [`fit::tune`]; [`fit::queues`] fits one scorecard per queue;
//! - [`evaluate`] measures the fit on the validation leads ([`evaluate::metrics`]);
//! - [`scoring`] is the exported config ([`scoring::export`]), a lead's trait values
//!   ([`scoring::values`]) and the one scoring code, for the run and for `leadtune score`;
//!   [`scoring::sql`] writes a config as SQL for the warehouse;
//! - [`report`] builds the tables, charts and `report.html` for people.
//!
//! [`pipeline::write`] writes the outputs (every file atomically, through [`output`]); [`cmd`]
//! is the command line's glue, and [`synth`] writes synthetic histories with planted truth.
//! Shared by the stages: [`stats`] (the formulas), [`index`] (one sharded hash index),
//! [`columns`] (the only code under polars' public API), [`parallel`], [`error`].

pub mod cli;
pub mod cmd;
pub mod columns;
pub mod config;
pub mod error;
pub mod evaluate;
pub mod fit;
pub mod index;
pub mod ingest;
pub mod link;
pub mod manifest;
pub mod observe;
pub mod output;
pub mod parallel;
pub mod pipeline;
pub mod report;
pub mod scoring;
pub mod stats;
pub mod synth;
pub mod traits;
