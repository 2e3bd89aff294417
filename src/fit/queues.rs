//! One model per queue: leads are routed by `[[queues]]` rules (the first queue whose rule a
//! lead meets), each queue with enough history gets a scorecard fitted on its own leads (bins,
//! points, tiers and calibration of its own), and a queue with too few wins is scored by the
//! pooled model, with a note. The exported config carries every queue's rule and model.

use crate::error::Result;
use crate::fit::tune::{self, FitInputs, Tuned};
use crate::scoring::export::{self, QueueModel};
use crate::traits::Discovery;
use crate::traits::binning::{self, Population};

/// The queues' fits.
pub struct Queues {
    /// Per lead row, its queue (None: no queue took it; the pooled model scores it).
    pub route: Vec<Option<usize>>,
    pub models: Vec<QueueModel>,
    /// The queue's own fit, where it has one.
    pub fits: Vec<Option<Tuned>>,
}

/// Fits each queue's model on its own leads (`fit` as for the pooled model, whose fit is
/// `pooled`).
pub fn fit(
    fit: FitInputs,
    pooled: &Tuned,
    observer: &dyn crate::observe::Observer,
) -> Result<Queues> {
    let FitInputs {
        inputs,
        discovery: d,
        settings,
        binning: binning_params,
        ..
    } = fit;
    let rules: Vec<_> = settings
        .queues
        .iter()
        .map(|q| (q.name.clone(), q.when.clone()))
        .collect();
    let route = export::route(&rules, inputs.leads.frame())?;
    let population = &d.binned;
    let mut models = Vec::new();
    let mut fits = Vec::new();
    for (q, setting) in settings.queues.iter().enumerate() {
        let members: Vec<usize> = (0..population.won.len())
            .filter(|&i| route[population.row(i)] == Some(q))
            .collect();
        let wins = members.iter().filter(|&&i| population.won[i]).count() as u64;
        let train_wins = (wins as f64 * (1.0 - settings.model.validation_share)).floor() as u64;
        let pooled_model = |note: String| QueueModel {
            name: setting.name.clone(),
            when: setting.when.clone(),
            own_model: false,
            note,
            training_leads: members.len() as u64,
            training_wins: wins,
            validation_auc: pooled.evaluation.validation.auc,
            base_points: pooled.config.base_points,
            traits: pooled.config.traits.clone(),
            tiers: pooled.config.tiers.clone(),
            calibration: pooled.config.calibration.clone(),
        };
        if train_wins < setting.min_wins {
            models.push(pooled_model(format!(
                "{} leads and {wins} wins in its history, about {train_wins} to train on: fewer \
                 than min_wins ({}), so the pooled model scores it",
                members.len(),
                setting.min_wins
            )));
            fits.push(None);
            continue;
        }
        let sub = Population {
            won: members.iter().map(|&i| population.won[i]).collect(),
            best: members.iter().map(|&i| population.best[i]).collect(),
            rows: Some(members.iter().map(|&i| population.row(i)).collect()),
        };
        let table = binning::bin_traits(&d.inputs, &sub, binning_params);
        let queue_discovery = Discovery {
            table,
            binned: sub,
            ..d.clone()
        };
        let queue_fit = FitInputs {
            discovery: &queue_discovery,
            ..fit
        };
        match tune::tune(queue_fit, None, observer) {
            Ok(t) => {
                models.push(QueueModel {
                    name: setting.name.clone(),
                    when: setting.when.clone(),
                    own_model: true,
                    note: String::new(),
                    training_leads: t.config.training.leads,
                    training_wins: t.config.training.wins,
                    validation_auc: t.evaluation.validation.auc,
                    base_points: t.config.base_points,
                    traits: t.config.traits.clone(),
                    tiers: t.config.tiers.clone(),
                    calibration: t.config.calibration.clone(),
                });
                fits.push(Some(t));
            }
            Err(e) => {
                models.push(pooled_model(format!(
                    "its own fit failed ({e}), so the pooled model scores it"
                )));
                fits.push(None);
            }
        }
    }
    Ok(Queues {
        route,
        models,
        fits,
    })
}
