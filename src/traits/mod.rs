//! Trait discovery: which traits are over-represented among won deals and among the best
//! customers, binned, with statistics an analyst can trust, and with the columns that would fool
//! a model (leaky, identity, constant) flagged and kept out.
//!
//! The population is the leads whose whole outcome window is observed (so young leads that
//! already won do not inflate conversion) and that are not existing customers. The best
//! customers are the top `best_customers_top_percent` of its won leads by won amount.

pub mod binning;
pub mod decay;
pub mod engagement;
pub mod free_text;
pub mod identity;
pub mod leakage;
pub mod stage;

use polars::prelude::*;
use serde::Serialize;

use crate::error::Result;
use crate::ingest::{Inputs, LEAD_CATEGORIES, Leads, NumberText};
use crate::link::Outcomes;
use crate::scoring::export::TraitKind;
use binning::{BinningParams, BinningTable, Origin, Population, TraitInput, TraitValues};
use engagement::EngagementParams;
use identity::IdentityParams;
use leakage::{Flag, LeakParams, MissingByContact, TimeEvidence, Verdict};

#[derive(Debug, Clone)]
pub struct DiscoveryParams {
    pub binning: BinningParams,
    pub leak: LeakParams,
    pub engagement: EngagementParams,
    pub best_top_percent: f64,
    /// Lead columns that belong to the engagement sub-score.
    pub engagement_columns: Vec<String>,
    /// Columns the config declares categorical (never taken for numbers).
    pub categorical: Vec<String>,
    /// `[input] date_format`, for recognising date-valued traits.
    pub date_format: Option<String>,
    /// `[traits] exclude`: columns never scored on.
    pub exclude: Vec<String>,
    /// `[traits] keep` and `identity`: the analyst's word on identity columns.
    pub identity: IdentityParams,
    /// How the fit will split training and validation leads: the decay of engagement is
    /// fitted on the training leads of the same split. `None`: no decay fit.
    pub split: Option<crate::fit::split::SplitPlan>,
}

/// Who was binned, and who was left out and why.
#[derive(Debug, Clone, Serialize)]
pub struct PopulationSummary {
    pub leads: u64,
    pub wins: u64,
    pub best_customers: u64,
    /// The smallest won amount among the best customers.
    pub best_threshold: Option<f64>,
    pub excluded_immature: u64,
    /// Young leads that already won: their young peers' outcomes are unknown.
    pub excluded_young_converted: u64,
    pub excluded_existing_customers: u64,
}

/// The result of trait discovery.
#[derive(Debug, Clone)]
pub struct Discovery {
    pub table: BinningTable,
    /// One per binned trait, in the table's order.
    pub verdicts: Vec<Verdict>,
    /// Columns never binned because they identify a person or company.
    pub identities: Vec<Verdict>,
    pub population: PopulationSummary,
    /// Every trait's values over all leads (in the leads' order), in the table's order; shared
    /// with the per-queue discoveries. Empty in a run's outputs ([`crate::pipeline::Outputs`]):
    /// the pipeline drops them once the fit has read them (gigabytes at 10M leads).
    pub inputs: std::sync::Arc<Vec<TraitInput>>,
    /// How each trait's values are read from a lead, parallel to `inputs`.
    pub kinds: Vec<TraitKind>,
    /// The binned leads: outcome, best-customer flag and their rows among all leads.
    pub binned: Population,
    pub notes: Vec<String>,
    /// Engagement decay fitted from history (when there are activities and outcomes enough).
    pub decay: Option<crate::traits::decay::DecayFit>,
    /// The stage dates behind `stage_reached` (empty: no such trait).
    pub stages: Vec<stage::StageDate>,
    /// Wall time of the parts, in milliseconds (engagement traits, binning + statistics).
    pub timings_ms: Vec<(&'static str, u64)>,
}

impl Discovery {
    /// Traits the fit may use.
    pub fn usable(&self) -> impl Iterator<Item = &binning::TraitBins> {
        self.table
            .traits
            .iter()
            .zip(&self.verdicts)
            .filter(|(_, v)| v.flag == Flag::Ok)
            .map(|(t, _)| t)
    }
}

/// How a candidate column was typed by ingest: its name, whether numeric, and how its numbers
/// were written.
type Candidate = (String, bool, Option<NumberText>);

/// The lead columns examined ([`examine`]): the identity columns apart, with their evidence;
/// the rest as trait values to bin.
#[derive(Debug)]
pub struct LeadColumns {
    /// Columns that identify a person or company (leadtune's own first), and free-text
    /// columns (flagged `free_text`): never binned, their values dropped.
    pub identities: Vec<Verdict>,
    traits: Vec<TraitInput>,
    kinds: Vec<TraitKind>,
    /// Date-valued traits: the share of leads whose date falls after the first response.
    after_response: Vec<(String, Option<f64>)>,
    /// Traits kept by `[traits] keep` although their values look like an identity's: the
    /// trait and the evidence.
    kept: Vec<(String, String)>,
}

/// Examines every candidate lead column: which identify a person or company (by their
/// values, the header a hint: [`identity`]), and the values of the others, typed. Identity
/// values are only read here; the caller frees them
/// ([`crate::ingest::Leads::add_identities`]) before [`discover`] bins the rest.
pub fn examine(leads: &Leads, params: &DiscoveryParams) -> Result<LeadColumns> {
    let frame = leads.frame();
    let mut identities: Vec<Verdict> = leads
        .identity
        .iter()
        .map(|name| {
            let reason = if name == "owner" {
                "leadtune's owner column: who owns the lead, never a trait".to_string()
            } else {
                format!("leadtune's {name} column: for matching existing customers only")
            };
            identity(name, reason)
        })
        .collect();
    let mut candidates: Vec<Candidate> = LEAD_CATEGORIES
        .iter()
        .filter(|c| leads.has(c) && !params.exclude.iter().any(|x| x == *c))
        .map(|c| -> Result<Candidate> {
            let text = frame.column(c)?.str()?.clone();
            // `campaign` may be a count (a bank's contacts in this campaign), not a name.
            let numeric = !params.categorical.iter().any(|x| x == c)
                && text.null_count() < text.len()
                && text
                    .iter()
                    .flatten()
                    .all(|v| v.trim().parse::<f64>().is_ok());
            Ok((c.to_string(), numeric, None))
        })
        .collect::<Result<_>>()?;
    candidates.extend(
        leads
            .traits
            .iter()
            .map(|t| (t.name.clone(), t.numeric, t.text)),
    );
    // Each candidate on its own (in parallel), then taken in order.
    enum Found {
        Identity(Verdict),
        Trait {
            input: TraitInput,
            kind: TraitKind,
            after: Option<(String, Option<f64>)>,
            /// Identity evidence overridden by `[traits] keep`.
            kept: Option<String>,
        },
    }
    let analyst = &params.identity;
    // Evidence makes an identity, unless `[traits] keep` names the column: then it is a
    // trait, the evidence kept to be shown.
    let judge = |name: &str, evidence: Option<String>| match evidence {
        Some(e) if !analyst.keep.iter().any(|k| k == name) => Err(identity(name, e)),
        kept => Ok(kept),
    };
    let examine = |(name, numeric, written): Candidate| -> Result<Found> {
        if analyst.force.contains(&name) {
            let reason = "named in [traits] identity".to_string();
            return Ok(Found::Identity(identity(&name, reason)));
        }
        let column = frame.column(&name)?;
        let origin = if params.engagement_columns.contains(&name) {
            Origin::Engagement
        } else {
            Origin::Fit
        };
        if numeric {
            let values = if column.dtype() == &DataType::String {
                column
                    .str()?
                    .iter()
                    .map(|v| v.and_then(|v| v.trim().parse::<f64>().ok()))
                    .collect::<Float64Chunked>()
                    .into_column()
            } else {
                column.cast(&DataType::Float64)?
            };
            let values = values.f64()?;
            let evidence = identity::of_numbers(&name, values, written.as_ref());
            let kept = match judge(&name, evidence) {
                Ok(kept) => kept,
                Err(verdict) => return Ok(Found::Identity(verdict)),
            };
            let input = TraitInput {
                name,
                origin,
                values: TraitValues::Numeric(values.iter().collect()),
            };
            return Ok(Found::Trait {
                input,
                kind: TraitKind::Numeric,
                after: None,
                kept,
            });
        }
        let text = column.cast(&DataType::String)?;
        let text = text.str()?;
        if let Some(dates) = date_values(text, params.date_format.as_deref()) {
            // A date-valued trait: days from the lead's creation (negative = before), and how
            // often it falls after the first response.
            let after = (
                name.clone(),
                share_after(&dates, frame, "first_response_at")?,
            );
            let input = TraitInput {
                name,
                origin,
                values: TraitValues::Numeric(days_from_created(&dates, frame)?.into()),
            };
            return Ok(Found::Trait {
                input,
                kind: TraitKind::Date,
                after: Some(after),
                kept: None,
            });
        }
        // Coded once: the identity check reads each distinct value and its count.
        let coded = crate::traits::binning::Coded::of_text(text);
        let distinct = coded
            .labels
            .iter()
            .copied()
            .zip(coded.counts.iter().copied());
        // Free text first: notes carry names and emails whatever else they show, and no
        // `[traits] keep` makes them a trait.
        if let Some(evidence) = free_text::of_text(distinct.clone()) {
            return Ok(Found::Identity(Verdict {
                name,
                flag: Flag::FreeText,
                reason: evidence,
                auc: f64::NAN,
            }));
        }
        let kept = match judge(&name, identity::of_text(&name, distinct)) {
            Ok(kept) => kept,
            Err(verdict) => return Ok(Found::Identity(verdict)),
        };
        let input = TraitInput {
            name,
            origin,
            values: coded.into_values(),
        };
        Ok(Found::Trait {
            input,
            kind: TraitKind::Categorical,
            after: None,
            kept,
        })
    };
    let found: Vec<Result<Found>> = {
        use rayon::prelude::*;
        candidates.into_par_iter().map(examine).collect()
    };
    let mut traits = Vec::new();
    let mut kinds = Vec::new();
    let mut after_response = Vec::new();
    let mut kept = Vec::new();
    for f in found {
        match f? {
            Found::Identity(verdict) => identities.push(verdict),
            Found::Trait {
                input,
                kind,
                after,
                kept: evidence,
            } => {
                if let Some(evidence) = evidence {
                    kept.push((input.name.clone(), evidence));
                }
                traits.push(input);
                kinds.push(kind);
                after_response.extend(after);
            }
        }
    }
    Ok(LeadColumns {
        identities,
        traits,
        kinds,
        after_response,
        kept,
    })
}

/// Derives every trait and bins it: the lead columns [`examine`]d, and the engagement traits
/// of the activities. The activities are taken out of `inputs` and dropped once their traits
/// are derived: nothing after trait discovery reads them, and at scale they are the largest
/// table.
pub fn discover(
    inputs: &mut Inputs,
    columns: LeadColumns,
    outcomes: &Outcomes,
    params: &DiscoveryParams,
    observer: &dyn crate::observe::Observer,
) -> Result<Discovery> {
    let leads = inputs.leads.frame();
    let o = outcomes.frame();
    let converted = o.column("converted")?.bool()?;
    let existing = o.column("existing_customer")?.bool()?;
    let amounts = o.column("won_amount")?.f64()?;
    let complete = o.column("window_complete")?.bool()?;
    let mask: Vec<bool> = (0..o.height())
        .map(|i| {
            converted.get(i).is_some()
                && complete.get(i) == Some(true)
                && existing.get(i) != Some(true)
        })
        .collect();
    let keep = |i: usize| mask[i];
    let won: Vec<bool> = (0..o.height())
        .filter(|&i| keep(i))
        .map(|i| converted.get(i) == Some(true))
        .collect();
    let mut notes = Vec::new();

    // Best customers: the top share of the population's wins by won amount.
    let mut wins_by_amount: Vec<(f64, usize)> = (0..o.height())
        .filter(|&i| keep(i) && converted.get(i) == Some(true))
        .filter_map(|i| amounts.get(i).map(|a| (a, i)))
        .collect();
    wins_by_amount.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let top = ((params.best_top_percent / 100.0) * wins_by_amount.len() as f64).ceil() as usize;
    let mut is_best = vec![false; o.height()];
    for &(_, i) in wins_by_amount.iter().take(top) {
        is_best[i] = true;
    }
    if wins_by_amount.is_empty() {
        notes.push("no won amounts: the best customers' profile is left out".to_string());
    }
    let best: Vec<bool> = (0..o.height())
        .filter(|&i| keep(i))
        .map(|i| is_best[i])
        .collect();
    let rows: Vec<usize> = (0..o.height()).filter(|&i| keep(i)).collect();
    let population = Population {
        won,
        best,
        rows: Some(rows),
    };

    let LeadColumns {
        identities,
        mut traits,
        mut kinds,
        after_response,
        kept,
    } = columns;
    for (name, evidence) in &kept {
        notes.push(format!(
            "{name:?} is kept as a trait by [traits] keep, although {evidence}"
        ));
    }

    // Engagement traits from activities.
    let started = std::time::Instant::now();
    let mut decay = None;
    let mut decay_ms = 0;
    match (inputs.activities.take(), inputs.leads.has("created_at")) {
        (Some(activities), true) => {
            // The activities before each lead's scoring date, joined once for the counts and
            // for the decay.
            let prior = engagement::prior(
                &inputs.leads,
                &activities,
                params.engagement.scoring_offset_days,
            )?;
            observer.step("traits: engagement prior");
            let no_activities = activities.is_empty();
            drop(activities);
            let counts = if no_activities {
                Vec::new()
            } else {
                engagement::engagement_traits_of(&prior, &params.engagement)
            };
            for t in counts {
                traits.push(TraitInput {
                    name: t.name,
                    origin: Origin::Engagement,
                    values: TraitValues::Numeric(t.values),
                });
                kinds.push(TraitKind::Activity);
            }
            observer.step("traits: engagement counts");
            if let Some(plan) = &params.split {
                let decay_started = std::time::Instant::now();
                // The decay's own copy, by lead; the matched activities go.
                let prior = {
                    let matched = prior;
                    crate::traits::decay::prior_of(&matched, crate::traits::decay::MAX_TYPES)
                };
                let created = timestamps(leads, "created_at")?;
                let rows: Vec<usize> = (0..population.won.len())
                    .map(|i| population.row(i))
                    .collect();
                let created_population: Vec<Option<i64>> =
                    rows.iter().map(|&r| created[r]).collect();
                let split = plan.split(&created_population, &rows);
                decay = crate::traits::decay::fit(&prior, &population, &split);
                match &decay {
                    Some(d) => {
                        traits.push(TraitInput {
                            name: crate::traits::decay::TRAIT.to_string(),
                            origin: Origin::Engagement,
                            values: TraitValues::Numeric(crate::traits::decay::values(
                                &prior, &d.spec,
                            )),
                        });
                        kinds.push(TraitKind::Activity);
                    }
                    None => notes
                        .push("engagement decay not fitted: too few activities or outcomes".into()),
                }
                decay_ms = decay_started.elapsed().as_millis() as u64;
                observer.step("traits: engagement decay");
            }
        }
        (Some(_), false) => notes.push(
            "activities are not used: the leads have no created_at to date them against".into(),
        ),
        (None, _) => {}
    }

    // The funnel stage reached before the scoring date, from the leads' stage dates and deals.
    let stages = stage::dates(&inputs.leads, inputs.deals.as_ref());
    if !stages.is_empty() {
        let values = stage::values(
            &inputs.leads,
            inputs.deals.as_ref(),
            &stages,
            params.engagement.scoring_offset_days,
        )?;
        traits.push(TraitInput {
            name: stage::TRAIT.to_string(),
            origin: Origin::Engagement,
            values: TraitValues::Numeric(values.into()),
        });
        kinds.push(TraitKind::Stage);
    }
    let engagement_ms = started.elapsed().as_millis() as u64;
    let started = std::time::Instant::now();
    // Numbers with few distinct levels kept as codes: binning here, re-binning on the
    // training window and scoring then count by code (and the values take half the memory).
    {
        use rayon::prelude::*;
        traits.par_iter_mut().for_each(|t| {
            if let TraitValues::Numeric(values) = &mut t.values {
                values.encode();
            }
        });
    }
    let table = binning::bin_traits(&traits, &population, &params.binning);
    let binning_ms = started.elapsed().as_millis() as u64;
    observer.step("traits: binned");
    let overall = if table.leads == 0 {
        0.0
    } else {
        table.wins as f64 / table.leads as f64
    };
    let contacted = if inputs.leads.has("first_response_at") {
        Some(contact_groups(
            &leads.column("first_response_at")?.is_not_null(),
            &mask,
        ))
    } else {
        None
    };
    use rayon::prelude::*;
    let verdicts = table
        .traits
        .par_iter()
        .zip(&traits)
        .map(|(t, input)| {
            let time = TimeEvidence {
                contact: contacted
                    .as_ref()
                    .and_then(|c| missing_by_contact(&input.values, c)),
                after_first_response: after_response
                    .iter()
                    .find(|(n, _)| *n == t.name)
                    .and_then(|(_, share)| *share),
            };
            let mut verdict = leakage::assess(t, overall, time, &params.leak);
            // What `[traits] keep` overrode stays in sight.
            if let Some((_, evidence)) = kept.iter().find(|(n, _)| *n == t.name) {
                let kept = format!("kept by [traits] keep although {evidence}");
                verdict.reason = if verdict.reason.is_empty() {
                    kept
                } else {
                    format!("{}; {kept}", verdict.reason)
                };
            }
            verdict
        })
        .collect();
    let summary = PopulationSummary {
        leads: table.leads,
        wins: table.wins,
        best_customers: table.best,
        best_threshold: wins_by_amount
            .get(top.saturating_sub(1))
            .filter(|_| top > 0)
            .map(|w| w.0),
        excluded_immature: (0..o.height())
            .filter(|&i| converted.get(i).is_none())
            .count() as u64,
        excluded_young_converted: (0..o.height())
            .filter(|&i| converted.get(i) == Some(true) && complete.get(i) == Some(false))
            .count() as u64,
        excluded_existing_customers: (0..o.height())
            .filter(|&i| {
                converted.get(i).is_some()
                    && complete.get(i) == Some(true)
                    && existing.get(i) == Some(true)
            })
            .count() as u64,
    };
    Ok(Discovery {
        table,
        verdicts,
        identities,
        population: summary,
        inputs: std::sync::Arc::new(traits),
        kinds,
        binned: population,
        notes,
        decay,
        stages,
        timings_ms: vec![
            ("traits.engagement", engagement_ms),
            ("traits.decay", decay_ms),
            ("traits.binning", binning_ms),
        ],
    })
}

/// The values as timestamps when every value present is a date (and one is present).
fn date_values(text: &StringChunked, format: Option<&str>) -> Option<Vec<Option<i64>>> {
    if text.null_count() == text.len() {
        return None;
    }
    text.iter()
        .map(|v| match v {
            None => Some(None),
            Some(v) => crate::ingest::values::parse_timestamp(v, format).map(Some),
        })
        .collect()
}

/// Days from each lead's `created_at` to its date (negative = before).
pub fn days_from_created(dates: &[Option<i64>], leads: &DataFrame) -> Result<Vec<Option<f64>>> {
    let created = timestamps(leads, "created_at")?;
    Ok(dates
        .iter()
        .zip(&created)
        .map(|(d, c)| Some((d.as_ref()? - c.as_ref()?) as f64 / 86_400_000.0))
        .collect())
}

/// A timestamp column of the leads as milliseconds (all missing when absent).
pub(crate) fn timestamps(leads: &DataFrame, name: &str) -> Result<Vec<Option<i64>>> {
    Ok(match leads.column(name) {
        Ok(c) => c.cast(&DataType::Int64)?.i64()?.iter().collect(),
        Err(_) => vec![None; leads.height()],
    })
}

/// Share of leads (with both dates) whose `dates` fall after their `column` timestamp.
fn share_after(dates: &[Option<i64>], leads: &DataFrame, column: &str) -> Result<Option<f64>> {
    let reference = timestamps(leads, column)?;
    let (mut n, mut after) = (0usize, 0usize);
    for (d, r) in dates.iter().zip(&reference) {
        if let (Some(d), Some(r)) = (d, r) {
            n += 1;
            after += usize::from(d > r);
        }
    }
    Ok((n >= 30).then(|| after as f64 / n as f64))
}

fn identity(name: &str, reason: String) -> Verdict {
    Verdict {
        name: name.to_string(),
        flag: Flag::Identity,
        reason,
        auc: f64::NAN,
    }
}

/// Share of missing values among never-contacted and contacted leads of the population.
/// Per lead, for [`missing_by_contact`]: [`NOT_IN_MASK`], [`NOT_CONTACTED`] or [`CONTACTED`]
/// (found once for every trait).
fn contact_groups(contacted: &BooleanChunked, mask: &[bool]) -> Vec<u8> {
    mask.iter()
        .zip(contacted.iter())
        .map(|(&m, c)| match (m, c) {
            (false, _) => NOT_IN_MASK,
            (true, Some(true)) => CONTACTED,
            (true, _) => NOT_CONTACTED,
        })
        .collect()
}

const NOT_IN_MASK: u8 = 0;
const NOT_CONTACTED: u8 = 1;
const CONTACTED: u8 = 2;

/// The share of the masked leads missing the trait, among those not contacted and those
/// contacted ([`contact_groups`]), each when at least 30 leads are in the group.
fn missing_by_contact(values: &TraitValues, groups: &[u8]) -> Option<MissingByContact> {
    let is_missing = |i: usize| match values {
        TraitValues::Numeric(v) => v.get(i).is_none(),
        TraitValues::Categorical { codes, .. } => codes[i].is_none(),
    };
    // Leads and missing values per group, in one pass.
    let mut n = [0usize; 3];
    let mut m = [0usize; 3];
    for (i, &g) in groups.iter().enumerate() {
        if g != NOT_IN_MASK {
            n[g as usize] += 1;
            m[g as usize] += usize::from(is_missing(i));
        }
    }
    let share = |g: u8| {
        let (n, m) = (n[g as usize], m[g as usize]);
        (n >= 30).then(|| m as f64 / n as f64)
    };
    Some(MissingByContact {
        missing_if_not_contacted: share(NOT_CONTACTED)?,
        missing_if_contacted: share(CONTACTED)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_by_contact_counts_each_group_of_the_masked_leads() {
        // 100 masked leads: the even ones contacted (one of them missing the trait), the odd
        // ones not (contacted false, or no response at all); 1, 5, 9 ... 97 missing. 20 more
        // leads outside the mask, all missing, do not count.
        let n = 120;
        let contacted: BooleanChunked = (0..n)
            .map(|i| match i % 4 {
                0 | 2 => Some(true),
                1 => Some(false),
                _ => None,
            })
            .collect();
        let mask: Vec<bool> = (0..n).map(|i| i < 100).collect();
        let values: Vec<Option<f64>> = (0..n)
            .map(|i| (i < 100 && i != 0 && i % 4 != 1).then_some(i as f64))
            .collect();
        let values = TraitValues::Numeric(values.into());
        let groups = contact_groups(&contacted, &mask);
        let shares = missing_by_contact(&values, &groups).expect("both groups have 30 leads");
        assert_eq!(shares.missing_if_contacted, 1.0 / 50.0);
        assert_eq!(shares.missing_if_not_contacted, 25.0 / 50.0);
        // Fewer than 30 masked leads in a group: no evidence.
        let few: Vec<bool> = (0..n).map(|i| i < 40).collect();
        assert!(missing_by_contact(&values, &contact_groups(&contacted, &few)).is_none());
    }
}
