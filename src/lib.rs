//! leadtune: a company's sales history in, a tuned lead-scoring model out.
//!
//! The pipeline is one call, [`pipeline::run`]: a checked [`pipeline::Plan`] (the resolved
//! [`config`] and how far to go) in, every output as a value out, with progress told to an
//! [`observe::Observer`]. Its stages, data flowing one way: [`ingest`] reads leads, deals,
//! activities, spend and customers (CSV dialects detected, every row typed or rejected with a
//! reason); [`link`] turns deals into per-lead outcomes within the outcome horizon, marks young
//! leads immature and, through [`matching`], flags existing customers; [`manifest`] accounts
//! for every row (`read = used + rejected + immature`). [`traits`] bins every trait
//! ([`binning`], [`engagement`] for activity traits, [`decay`] for how fast engagement fades,
//! [`stats`] for the formulas) and flags leaky, identity and constant columns ([`leakage`]).
//! [`tune`] fits on the one validation split ([`split`]): weighted logistic regression on bin
//! patterns ([`model`], [`logit`]), integer points ([`scorecard`]), tiers ([`tiers`]),
//! calibration and evaluation ([`metrics`], [`evaluate`]), the exported config ([`export`]);
//! [`queues`] fits one scorecard per queue. [`score`] is the one scoring code, for the run and
//! for `leadtune score`; [`sql`] writes a config as SQL for the warehouse. [`report`] builds
//! the tables, charts and `report.html` for people. [`pipeline::write`] writes the outputs
//! (every file atomically, through [`output`]); [`cmd`] is the command line's glue, and
//! [`synth`] writes synthetic histories with planted truth.

pub mod binning;
pub mod cli;
pub mod cmd;
pub mod columns;
pub mod config;
pub mod decay;
pub mod engagement;
pub mod error;
pub mod evaluate;
pub mod export;
pub mod index;
pub mod ingest;
pub mod leakage;
pub mod link;
pub mod logit;
pub mod manifest;
pub mod matching;
pub mod metrics;
pub mod model;
pub mod observe;
pub mod output;
pub mod parallel;
pub mod pipeline;
pub mod queues;
pub mod report;
pub mod score;
pub mod scorecard;
pub mod split;
pub mod sql;
pub mod stats;
pub mod synth;
pub mod tiers;
pub mod traits;
pub mod tune;
