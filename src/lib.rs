//! leadtune: a company's sales history in, a tuned lead-scoring model out.
//!
//! The pipeline, one stage per module, data flowing one way:
//! [`config`] resolves `leadtune.toml` once into checked settings; [`ingest`] reads leads, deals,
//! activities, spend and customers (CSV dialects detected, every row typed or rejected with a
//! reason); [`link`] turns deals into per-lead outcomes within the outcome horizon, marks young
//! leads immature and, through [`matching`], flags existing customers; [`manifest`] accounts for
//! every row (`read = used + rejected + immature`) and fingerprints the inputs. [`traits`] bins
//! every trait ([`binning`], [`engagement`] for activity traits, [`stats`] for the formulas) and
//! flags leaky, identity and constant columns ([`leakage`]). [`tune`] runs the fit stage: the
//! split and weighted logistic fit on bin patterns ([`model`], [`logit`]), integer points
//! ([`scorecard`]), tiers ([`tiers`]), calibration and evaluation ([`metrics`], [`evaluate`]),
//! the exported config ([`export`]) and scores through [`score`], the one scoring code.
//! [`decay`] fits how fast engagement fades; [`queues`] fits one scorecard per queue; [`sql`]
//! writes a config as SQL for the warehouse. [`report`] writes the tables, charts and
//! `report.html` for people. [`synth`] writes synthetic histories with planted truth.
//! [`output`] writes every file atomically.

pub mod binning;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod decay;
pub mod engagement;
pub mod error;
pub mod evaluate;
pub mod export;
pub mod ingest;
pub mod leakage;
pub mod link;
pub mod logit;
pub mod manifest;
pub mod matching;
pub mod metrics;
pub mod model;
pub mod output;
pub mod parallel;
pub mod progress;
pub mod queues;
pub mod report;
pub mod score;
pub mod scorecard;
pub mod sql;
pub mod stats;
pub mod synth;
pub mod tiers;
pub mod traits;
pub mod tune;
