//! The fit stage end to end: split the mature leads, fit on the training window, scale to
//! integer points, cut tiers, calibrate, build the [`ScoringConfig`], score every lead with it
//! (through [`crate::scoring`], the one scoring code) and evaluate on the validation leads.

use std::collections::BTreeMap;

use crate::config::Settings;
use crate::error::{Error, Result};
use crate::evaluate::metrics;
use crate::evaluate::{self, Backtest, Costs, Evaluation};
use crate::fit::model::{self, FitParams, FittedModel, Split};
use crate::fit::scorecard::{self, Scaling, Scorecard};
use crate::fit::split::SplitPlan;
use crate::fit::tiers;
use crate::ingest::Inputs;
use crate::ingest::values::format_timestamp;
use crate::link::Linked;
use crate::scoring::export::{
    self, CalibrationStep, ConfigBin, ConfigTier, ConfigTrait, Fingerprint, ScoringConfig,
    ScoringRules, TrainingWindow, ValidationSummary,
};
use crate::scoring::{self, Scored};
use crate::traits::Discovery;
use crate::traits::binning::{BinningParams, TraitValues};
use crate::traits::leakage::Flag;

use crate::evaluate::FEW_OUTCOMES;

/// Everything the fit stage produced.
pub struct Tuned {
    pub config: ScoringConfig,
    pub evaluation: Evaluation,
    /// Every lead, in the leads' order, scored by the deployed config.
    pub scored: Scored,
    /// The validation leads' scores under the model fitted on the training window (in the
    /// order of `split.validation`): what the validation figures describe.
    pub validation_scores: Vec<i64>,
    pub scorecard: Scorecard,
    pub model: FittedModel,
    pub split: Split,
    pub notes: Vec<String>,
    /// Wall time of the parts, in milliseconds.
    pub timings_ms: Vec<(&'static str, u64)>,
}

/// What the fit stage reads: the run's inputs, outcomes and trait discovery, its settings, the
/// binning parameters and the validation split.
#[derive(Clone, Copy)]
pub struct FitInputs<'a> {
    pub inputs: &'a Inputs,
    pub linked: &'a Linked,
    pub discovery: &'a Discovery,
    pub settings: &'a Settings,
    pub binning: &'a BinningParams,
    pub split: &'a SplitPlan,
}

/// Runs the fit stage. `current` is the scoring config in use, for the back-test.
pub fn tune(
    fit: FitInputs,
    current: Option<&ScoringConfig>,
    observer: &dyn crate::observe::Observer,
) -> Result<Tuned> {
    let FitInputs {
        inputs,
        linked,
        discovery,
        settings,
        binning,
        split,
    } = fit;
    let mut notes = Vec::new();
    let leads = inputs.leads.frame();
    let population = &discovery.binned;
    let rows: Vec<usize> = (0..population.won.len())
        .map(|i| population.row(i))
        .collect();
    let created: Vec<Option<i64>> = match leads.column("created_at") {
        Ok(c) => c
            .cast(&polars::prelude::DataType::Int64)?
            .i64()?
            .iter()
            .collect(),
        Err(_) => vec![None; leads.height()],
    };
    let created_population: Vec<Option<i64>> = rows.iter().map(|&r| created[r]).collect();
    notes.extend(split.note.clone());
    let split = split.split(&created_population, &rows);
    let train_won: Vec<bool> = split.train.iter().map(|&i| population.won[i]).collect();
    let valid_won: Vec<bool> = split
        .validation
        .iter()
        .map(|&i| population.won[i])
        .collect();
    let train_wins = train_won.iter().filter(|w| **w).count() as u64;
    let train_losses = train_won.len() as u64 - train_wins;
    let mut warnings = Vec::new();
    if train_wins < FEW_OUTCOMES || train_losses < FEW_OUTCOMES {
        warnings.push(format!(
            "small data: {train_wins} wins and {train_losses} losses in the training window (40 \
             of each is a common minimum); the points are uncertain, see the intervals"
        ));
    }
    if train_wins == 0 || train_losses == 0 {
        return Err(Error::input(
            settings.input.leads.path(),
            format!(
                "the training window has {train_wins} wins and {train_losses} losses: a model \
                 needs both"
            ),
        ));
    }

    let scaling = Scaling::new(
        settings.model.points_to_double_odds,
        settings.model.base_score,
        train_wins as f64 / train_losses as f64,
    );
    let usable: Vec<String> = discovery
        .table
        .traits
        .iter()
        .zip(&discovery.verdicts)
        .filter(|(_, v)| v.flag == Flag::Ok)
        .map(|(t, _)| t.name.clone())
        .collect();
    let fit_params = FitParams {
        encoding: settings.model.encoding,
        l2: settings.model.l2,
        time_folds: settings.model.selection_folds == "time",
        include: settings.model.include.clone(),
        min_iv: settings.model.min_iv,
        max_traits: settings.model.max_traits,
        binning: binning.clone(),
        pins: settings.model.pin.clone(),
        factor: scaling.factor,
    };
    let clock = std::time::Instant::now();
    let fitted = model::fit(
        &discovery.inputs,
        population,
        &usable,
        &split.train,
        &created_population,
        &fit_params,
        observer,
    )?;
    let fit_ms = clock.elapsed().as_millis() as u64;
    observer.step("fit: model");
    notes.extend(fitted.notes.iter().cloned());
    let card = scorecard::scorecard(&fitted, scaling);

    // The config without tiers and calibration scores the training leads for both.
    let kinds: BTreeMap<&str, export::TraitKind> = discovery
        .inputs
        .iter()
        .zip(&discovery.kinds)
        .map(|(t, k)| (t.name.as_str(), *k))
        .collect();
    let mut config = ScoringConfig {
        schema_version: export::SCHEMA_VERSION,
        leadtune_version: env!("CARGO_PKG_VERSION").to_string(),
        valid_from: None,
        content_sha256: None,
        queues: Vec::new(),
        scaling,
        base_points: card.base_points,
        scoring: ScoringRules {
            missing_tokens: settings.traits.missing.clone(),
            scoring_offset_days: settings.traits.scoring_offset_days,
            activity_windows: settings.traits.activity_windows.clone(),
            date_format: settings.dialect.date_format.clone(),
            decay: discovery.decay.as_ref().map(|d| d.spec.clone()),
            stages: discovery.stages.clone(),
        },
        traits: config_traits(&fitted, &card, &kinds),
        tiers: Vec::new(),
        calibration: Vec::new(),
        training: TrainingWindow {
            from: first_created(&split.train, &created_population),
            to: last_created(&split.train, &created_population),
            as_of: linked.summary.as_of.clone(),
            horizon_days: settings.outcome.horizon_days,
            leads: train_won.len() as u64,
            wins: train_wins,
            split: split.kind.as_str().to_string(),
            refit: false,
        },
        validation: ValidationSummary {
            leads: valid_won.len() as u64,
            wins: valid_won.iter().filter(|w| **w).count() as u64,
            auc: None,
            ks: None,
            brier: None,
            log_loss: None,
            ece: None,
        },
        inputs: inputs
            .files
            .iter()
            .map(|f| Fingerprint {
                table: f.table.to_string(),
                path: f.path.clone(),
                sha256: f.sha256.clone(),
            })
            .collect(),
    };
    let values = values_for(&config, discovery);
    let all_rows: Vec<usize> = (0..leads.height()).collect();
    // The points do not change below (only the tiers and the calibration are added), so the
    // leads are scored once and their probability and tier set again at the end.
    let clock = std::time::Instant::now();
    let mut scored = scoring::score(&config, &values, &all_rows);
    observer.step("fit: refit scored every lead");
    let scoring_ms = clock.elapsed().as_millis() as u64;
    observer.step("fit: scored");
    let train_rows: Vec<usize> = split.train.iter().map(|&i| rows[i]).collect();
    let valid_rows: Vec<usize> = split.validation.iter().map(|&i| rows[i]).collect();
    let train_scores: Vec<i64> = train_rows.iter().map(|&r| scored.score[r]).collect();

    // Tiers from the training scores; the inflow for capacity tiers from all leads' dates.
    let dated: Vec<i64> = created.iter().flatten().copied().collect();
    let inflow = match (dated.iter().min(), dated.iter().max()) {
        (Some(lo), Some(hi)) if hi > lo => {
            Some(dated.len() as f64 / ((hi - lo) as f64 / 86_400_000.0).max(1.0))
        }
        _ => None,
    };
    let thresholds = tiers::thresholds(&train_scores, &settings.tiers, inflow, &mut notes);
    config.calibration = calibration(&train_scores, &train_won);
    config.tiers = thresholds
        .iter()
        .map(|t| ConfigTier {
            name: t.name.clone(),
            min_score: t.min_score,
            sla_hours: t.sla_hours,
            escalation: t.escalation.clone(),
            expected_conversion: f64::NAN,
            conversion_low: f64::NAN,
            conversion_high: f64::NAN,
            share_of_leads: 0.0,
        })
        .collect();

    observer.step("fit: tiers and calibration");
    // Every lead's probability and tier under the final config.
    scored.restamp(&config);
    observer.step("fit: restamped");
    let probability =
        |at: &[usize]| -> Vec<f64> { at.iter().map(|&r| scored.probability[r]).collect() };
    let as_f64 =
        |at: &[usize]| -> Vec<f64> { at.iter().map(|&r| scored.score[r] as f64).collect() };
    let train_metrics =
        evaluate::metrics_of(&as_f64(&train_rows), &probability(&train_rows), &train_won);
    let valid_metrics =
        evaluate::metrics_of(&as_f64(&valid_rows), &probability(&valid_rows), &valid_won);

    observer.step("fit: metrics");
    // Tier conversion: on validation leads when there are any, else training.
    let (tier_rows, tier_won) = if valid_rows.is_empty() {
        (&train_rows, &train_won)
    } else {
        (&valid_rows, &valid_won)
    };
    let tier_results = evaluate::tier_results(&config, &scored, tier_rows, tier_won);
    let train_tiers = evaluate::tier_results(&config, &scored, &train_rows, &train_won);
    for ((tier, r), share) in config.tiers.iter_mut().zip(&tier_results).zip(&train_tiers) {
        tier.expected_conversion = r.conversion;
        tier.conversion_low = r.conversion_low;
        tier.conversion_high = r.conversion_high;
        tier.share_of_leads = share.share;
    }
    warnings.extend(evaluate::doubts(
        &train_metrics,
        &valid_metrics,
        &tier_results,
        &train_tiers,
        discovery.decay.as_ref(),
    ));
    config.validation = ValidationSummary {
        leads: valid_metrics.leads,
        wins: valid_metrics.wins,
        auc: valid_metrics.auc,
        ks: valid_metrics.ks,
        brier: valid_metrics.brier,
        log_loss: valid_metrics.log_loss,
        ece: valid_metrics.ece,
    };

    observer.step("fit: tier results");
    // What rounding and pins cost.
    let exact: Vec<f64> = exact_scores(&card, &scored, &valid_rows);
    let auc_of = |scores: &[f64]| {
        let obs = evaluate::grouped(scores.iter().copied(), valid_won.iter().copied());
        let a = metrics::auc(&obs);
        a.is_finite().then_some(a)
    };
    let auc_exact = auc_of(&exact);
    let auc_integer = valid_metrics.auc;
    let (auc_without_pins, pins_cost) = if settings.model.pin.is_empty() || valid_rows.is_empty() {
        (None, None)
    } else {
        let free = model::fit(
            &discovery.inputs,
            population,
            &usable,
            &split.train,
            &created_population,
            &FitParams {
                pins: BTreeMap::new(),
                ..fit_params.clone()
            },
            observer,
        )?;
        let free_card = scorecard::scorecard(&free, scaling);
        let free_config = ScoringConfig {
            traits: config_traits(&free, &free_card, &kinds),
            base_points: free_card.base_points,
            ..config.clone()
        };
        let free_values = values_for(&free_config, discovery);
        let free_scored = scoring::score(&free_config, &free_values, &valid_rows);
        let free_auc = auc_of(
            &free_scored
                .score
                .iter()
                .map(|&s| s as f64)
                .collect::<Vec<_>>(),
        );
        (free_auc, free_auc.zip(auc_integer).map(|(f, p)| f - p))
    };
    let costs = Costs {
        auc_exact_points: auc_exact,
        auc_integer_points: auc_integer,
        rounding_cost: auc_exact.zip(auc_integer).map(|(e, i)| e - i),
        auc_without_pins,
        pins_cost,
    };

    observer.step("fit: costs");
    let valid_obs = evaluate::grouped(as_f64(&valid_rows).into_iter(), valid_won.iter().copied());
    let valid_probability = evaluate::grouped(
        probability(&valid_rows).into_iter(),
        valid_won.iter().copied(),
    );
    let backtest =
        current.map(|c| backtest(c, &config, &scored, discovery, &valid_rows, &valid_won));
    let refitting = settings.model.refit && !split.validation.is_empty();
    let mut evaluation = Evaluation {
        split: split.kind.as_str().to_string(),
        deployed: "the model fitted on the training window, which these figures describe".into(),
        train: train_metrics,
        validation: valid_metrics,
        lift_by_decile: metrics::bands(&valid_obs, 10),
        calibration_by_decile: metrics::bands(&valid_probability, 10),
        tiers: tier_results,
        costs,
        stability: evaluate::stability(&config, &scored, &train_rows, &valid_rows),
        backtest,
        l2: fitted.l2,
        selection: fitted.selection.clone(),
        warnings,
    };
    let mut timings_ms = vec![("fit.model", fit_ms), ("fit.scoring", scoring_ms)];
    let validation_scores: Vec<i64> = valid_rows.iter().map(|&r| scored.score[r]).collect();
    let mut deployed = Deployed {
        config,
        scored,
        card,
        fitted,
    };
    if refitting {
        let clock = std::time::Instant::now();
        let mut all: Vec<usize> = split
            .train
            .iter()
            .chain(&split.validation)
            .copied()
            .collect();
        all.sort_unstable();
        deployed = refit(
            deployed,
            &Refit {
                discovery,
                settings,
                usable: &usable,
                kinds: &kinds,
                fit_params: &fit_params,
                rows: &rows,
                all: &all,
                created_population: &created_population,
                inflow,
            },
            &mut notes,
            observer,
        )?;
        timings_ms.push(("fit.refit", clock.elapsed().as_millis() as u64));
        evaluation.deployed = format!(
            "refitted on all {} mature leads ({} won) with the same settings; these figures \
             describe the model fitted on the training window alone",
            deployed.config.training.leads, deployed.config.training.wins
        );
        observer.step("fit: refit on every mature lead");
    }
    let Deployed {
        mut config,
        scored,
        card,
        fitted,
    } = deployed;
    export::stamp(&mut config);
    Ok(Tuned {
        config,
        evaluation,
        scored,
        validation_scores,
        scorecard: card,
        model: fitted,
        split,
        notes,
        timings_ms,
    })
}

/// A config with the model, scorecard and scores behind it.
struct Deployed {
    config: ScoringConfig,
    scored: Scored,
    card: Scorecard,
    fitted: FittedModel,
}

/// What a refit reads besides the validated model.
struct Refit<'a> {
    discovery: &'a Discovery,
    settings: &'a Settings,
    usable: &'a [String],
    kinds: &'a BTreeMap<&'a str, export::TraitKind>,
    fit_params: &'a FitParams,
    /// Each population lead's row among the leads.
    rows: &'a [usize],
    /// The mature leads to fit on: training and validation windows, as population indexes.
    all: &'a [usize],
    created_population: &'a [Option<i64>],
    inflow: Option<f64>,
}

/// The validated model refitted on every mature lead with the same settings (selection
/// rules, binning, L2, scaling of points): its points, tiers cut on all mature leads' scores
/// (for the same shares), calibration fitted on them, and every lead scored again. The tiers'
/// expected conversion stays the validation's (measured out of sample on the validated
/// model's tiers, which cut the same shares); the validation summary stays the validated
/// model's.
fn refit(
    validated: Deployed,
    r: &Refit,
    notes: &mut Vec<String>,
    observer: &dyn crate::observe::Observer,
) -> Result<Deployed> {
    // The validated scores are let go before the refit scores every lead again (at 10M leads
    // each scoring holds gigabytes).
    let leads = validated.scored.score.len();
    let Deployed {
        config: validated_config,
        fitted: validated_fitted,
        scored,
        card,
    } = validated;
    drop((scored, card));
    let population = &r.discovery.binned;
    let won: Vec<bool> = r.all.iter().map(|&i| population.won[i]).collect();
    let wins = won.iter().filter(|w| **w).count() as u64;
    let losses = won.len() as u64 - wins;
    let scaling = Scaling::new(
        r.settings.model.points_to_double_odds,
        r.settings.model.base_score,
        wins as f64 / losses.max(1) as f64,
    );
    let fitted = model::fit(
        &r.discovery.inputs,
        population,
        r.usable,
        r.all,
        r.created_population,
        &FitParams {
            factor: scaling.factor,
            l2: Some(validated_fitted.l2),
            ..r.fit_params.clone()
        },
        observer,
    )?;
    observer.step("fit: refit fitted");
    let card = scorecard::scorecard(&fitted, scaling);
    let mut config = ScoringConfig {
        scaling,
        base_points: card.base_points,
        traits: config_traits(&fitted, &card, r.kinds),
        calibration: Vec::new(),
        ..validated_config.clone()
    };
    config.training = TrainingWindow {
        from: first_created(r.all, r.created_population),
        to: last_created(r.all, r.created_population),
        leads: won.len() as u64,
        wins,
        refit: true,
        ..validated_config.training.clone()
    };
    let values = values_for(&config, r.discovery);
    let all_rows: Vec<usize> = (0..leads).collect();
    let mut scored = scoring::score(&config, &values, &all_rows);
    observer.step("fit: refit scored every lead");
    let mature_rows: Vec<usize> = r.all.iter().map(|&i| r.rows[i]).collect();
    let scores: Vec<i64> = mature_rows.iter().map(|&row| scored.score[row]).collect();
    // The tiers' notes were given for the validated model's cut.
    let thresholds = tiers::thresholds(&scores, &r.settings.tiers, r.inflow, &mut Vec::new());
    for (tier, t) in config.tiers.iter_mut().zip(&thresholds) {
        tier.min_score = t.min_score;
    }
    config.calibration = calibration(&scores, &won);
    scored.restamp(&config);
    let shares = evaluate::tier_results(&config, &scored, &mature_rows, &won);
    for (tier, share) in config.tiers.iter_mut().zip(&shares) {
        tier.share_of_leads = share.share;
    }
    let validated_names: Vec<&str> = validated_fitted
        .traits
        .iter()
        .map(|t| t.bins.name.as_str())
        .collect();
    let names: Vec<&str> = fitted.traits.iter().map(|t| t.bins.name.as_str()).collect();
    let mut note = format!(
        "the deployed points are refitted on all {} mature leads ({wins} won), the training \
         and validation windows together; the validation figures describe the model fitted on \
         the training window ([model] refit = false deploys that one)",
        won.len()
    );
    if names != validated_names {
        note.push_str(&format!(
            "; the refit's traits: {} (validated: {})",
            names.join(", "),
            validated_names.join(", ")
        ));
    }
    notes.push(note);
    Ok(Deployed {
        config,
        scored,
        card,
        fitted,
    })
}

/// The creation date of the first of the population leads `at` (`created`: by population
/// index), for a config's training window.
fn first_created(at: &[usize], created: &[Option<i64>]) -> Option<String> {
    at.iter()
        .filter_map(|&i| created[i])
        .min()
        .map(format_timestamp)
}

/// [`first_created`]'s last.
fn last_created(at: &[usize], created: &[Option<i64>]) -> Option<String> {
    at.iter()
        .filter_map(|&i| created[i])
        .max()
        .map(format_timestamp)
}

/// The config's calibration: isotonic regression of outcome on score over the leads it was
/// fitted on (steps of at least 1% of them, 10 to 200 leads; [`metrics::isotonic`]).
fn calibration(scores: &[i64], won: &[bool]) -> Vec<CalibrationStep> {
    let obs = evaluate::grouped(scores.iter().map(|&s| s as f64), won.iter().copied());
    let min_leads = (won.len() as f64 * 0.01).clamp(10.0, 200.0);
    metrics::isotonic(&obs, min_leads)
        .points
        .iter()
        .map(|p| CalibrationStep {
            score_low: p.score_low,
            score_high: p.score_high,
            probability: p.probability,
            leads: p.leads,
        })
        .collect()
}

/// The config's traits from a fitted model and its scorecard.
fn config_traits(
    model: &FittedModel,
    card: &Scorecard,
    kinds: &BTreeMap<&str, export::TraitKind>,
) -> Vec<ConfigTrait> {
    model
        .traits
        .iter()
        .zip(&card.traits)
        .map(|(t, points)| ConfigTrait {
            name: t.bins.name.clone(),
            kind: kinds
                .get(t.bins.name.as_str())
                .copied()
                .unwrap_or(export::TraitKind::Categorical),
            sub_score: t.bins.origin,
            bins: t
                .bins
                .bins
                .iter()
                .zip(&points.bins)
                .map(|(b, p)| ConfigBin {
                    label: b.label.clone(),
                    rule: b.rule.clone(),
                    points: p.points,
                    pinned: p.pinned,
                })
                .collect(),
        })
        .collect()
}

/// Each config trait's values over all leads, from trait discovery (None when absent).
fn values_for<'a>(
    config: &ScoringConfig,
    discovery: &'a Discovery,
) -> Vec<Option<&'a TraitValues>> {
    config
        .traits
        .iter()
        .map(|t| {
            discovery
                .inputs
                .iter()
                .find(|i| i.name == t.name)
                .map(|i| &i.values)
        })
        .collect()
}

/// Scores with unrounded points (base and bins), for the cost of rounding.
fn exact_scores(card: &Scorecard, scored: &Scored, rows: &[usize]) -> Vec<f64> {
    use rayon::prelude::*;
    rows.par_iter()
        .map(|&r| {
            card.base_exact
                + card
                    .traits
                    .iter()
                    .zip(&scored.bins)
                    .map(|(t, bins)| t.bins[bins[r] as usize].exact)
                    .sum::<f64>()
        })
        .collect()
}

/// The config in use against the new one on the validation leads.
fn backtest(
    current: &ScoringConfig,
    new: &ScoringConfig,
    scored: &Scored,
    discovery: &Discovery,
    valid_rows: &[usize],
    valid_won: &[bool],
) -> Backtest {
    let values = values_for(current, discovery);
    let old = scoring::score(current, &values, valid_rows);
    let old_metrics = evaluate::metrics_of(
        &old.score.iter().map(|&s| s as f64).collect::<Vec<_>>(),
        &old.probability,
        valid_won,
    );
    let new_scores: Vec<f64> = valid_rows.iter().map(|&r| scored.score[r] as f64).collect();
    let new_probability: Vec<f64> = valid_rows.iter().map(|&r| scored.probability[r]).collect();
    let new_metrics = evaluate::metrics_of(&new_scores, &new_probability, valid_won);
    let positions: Vec<usize> = (0..valid_rows.len()).collect();
    let old_tiers = evaluate::tier_results(current, &old, &positions, valid_won);
    let new_tiers = evaluate::tier_results(new, scored, valid_rows, valid_won);
    let hot_lift = |t: &[evaluate::TierResult]| t.first().map(|t| t.lift).filter(|l| l.is_finite());
    let mut moves: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut changing = 0;
    for (k, &r) in valid_rows.iter().enumerate() {
        let from = &current.tiers[old.tier[k]].name;
        let to = &new.tiers[scored.tier[r]].name;
        if from != to {
            changing += 1;
        }
        *moves
            .entry(from.clone())
            .or_default()
            .entry(to.clone())
            .or_default() += 1;
    }
    Backtest {
        current: old_metrics,
        new: new_metrics,
        current_hot_lift: hot_lift(&old_tiers),
        new_hot_lift: hot_lift(&new_tiers),
        leads_changing_tier: changing,
        tier_moves: moves,
    }
}
