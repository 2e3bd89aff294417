//! `leadtune score`: a scoring config applied to new leads, through the same scoring code as
//! `run`. Unknown category values score as `other`, missing values as `missing`, with counts.

use std::io::Write;
use std::path::Path;

use polars::prelude::*;
use rayon::prelude::*;

use crate::binning::TraitValues;
use crate::cli::ScoreArgs;
use crate::engagement::{self, EngagementParams};
use crate::error::{Error, Result};
use crate::export::{self, ScoringConfig, TraitKind};
use crate::ingest::{self, Leads};
use crate::output;
use crate::score::{self, Scored};
use crate::traits;

pub fn run(args: &ScoreArgs) -> Result<()> {
    let config = export::read(&args.model)?;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let categorical: Vec<&str> = config
        .traits
        .iter()
        .filter(|t| t.kind == TraitKind::Categorical)
        .map(|t| t.name.as_str())
        .collect();
    let inputs = ingest::read_for_scoring(
        &args.leads,
        args.activities.as_deref(),
        &config.scoring.missing_tokens,
        config.scoring.date_format.as_deref(),
        &categorical,
        now_ms,
    )?;
    let rows: Vec<usize> = (0..inputs.leads.len()).collect();
    // Queues share the config's scoring rules: the activities are derived once for all.
    let engagement = Engagement::new(&inputs.leads, inputs.activities.as_ref(), &config.scoring);
    let score_with = |c: &ScoringConfig| -> Result<Scored> {
        let values = trait_values(c, &engagement)?;
        let refs: Vec<Option<&TraitValues>> = values.iter().map(Option::as_ref).collect();
        Ok(score::score(c, &refs, &rows))
    };
    let scored = score_with(&config)?;
    let ids = inputs.leads.frame().column("lead_id")?.str()?.clone();
    if !config.queues.is_empty() {
        // Each lead scored by its queue's model.
        if args.explain {
            return Err(Error::Config {
                path: args.model.clone(),
                message: "--explain is not available for a config with queues yet: the \
                          reasons column names each lead's points"
                    .into(),
            });
        }
        let rules: Vec<_> = config
            .queues
            .iter()
            .map(|q| (q.name.clone(), q.when.clone()))
            .collect();
        let route = export::route(&rules, inputs.leads.frame())?;
        let per_queue: Vec<(ScoringConfig, Scored)> = (0..config.queues.len())
            .map(|k| {
                let c = config.for_queue(k);
                let s = score_with(&c)?;
                Ok((c, s))
            })
            .collect::<Result<_>>()?;
        let mut sources = vec![(&config, &scored, export::NO_QUEUE.to_string())];
        for (k, (c, s)) in per_queue.iter().enumerate() {
            sources.push((c, s, config.queues[k].name.clone()));
        }
        let pick: Vec<usize> = route.iter().map(|r| r.map_or(0, |k| k + 1)).collect();
        write_routed(&args.out, &sources, &pick, &ids, args.reasons)?;
        let _ = writeln!(
            std::io::stderr().lock(),
            "scored {} leads into {}, each by its queue's model",
            rows.len(),
            args.out.display()
        );
        return Ok(());
    }
    write_scores(
        &args.out,
        &config,
        &ids,
        &scored,
        &Explain {
            reasons: args.reasons,
            breakdown: args.explain,
        },
    )?;

    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "scored {} leads into {}",
        scored.score.len(),
        args.out.display()
    );
    for c in &scored.counts {
        if c.unseen > 0 || c.missing > 0 {
            let _ = writeln!(
                err,
                "  {:<28} {} unseen values scored as other, {} missing",
                c.name, c.unseen, c.missing
            );
        }
    }
    if config.traits.iter().any(|t| t.kind == TraitKind::Activity) && inputs.activities.is_none() {
        let _ = writeln!(
            err,
            "note: the model has activity traits; without --activities they score as missing"
        );
    }
    if !inputs.rejects.is_empty() {
        let path = args.out.with_extension("rejected.csv");
        crate::report::write_rejected(&path, &inputs.rejects)?;
        let _ = writeln!(
            err,
            "{} rows not scored, listed with their reasons in {}",
            inputs.rejects.len(),
            path.display()
        );
    }
    Ok(())
}

/// The engagement traits of a set of leads, derived from their activities once and shared by
/// every config scored with the same scoring rules (one per queue).
pub struct Engagement<'a> {
    leads: &'a Leads,
    activities: Option<&'a ingest::Activities>,
    rules: &'a export::ScoringRules,
    counts: std::cell::OnceCell<Vec<engagement::EngagementTrait>>,
    decayed: std::cell::OnceCell<Option<crate::binning::Numbers>>,
}

impl<'a> Engagement<'a> {
    pub fn new(
        leads: &'a Leads,
        activities: Option<&'a ingest::Activities>,
        rules: &'a export::ScoringRules,
    ) -> Self {
        Engagement {
            leads,
            activities,
            rules,
            counts: std::cell::OnceCell::new(),
            decayed: std::cell::OnceCell::new(),
        }
    }

    /// The windowed counts, days since the last activity and distinct types.
    fn counts(&self) -> Result<&[engagement::EngagementTrait]> {
        if self.counts.get().is_none() {
            let derived = match self.activities {
                Some(a) => engagement::engagement_traits(
                    self.leads,
                    a,
                    &EngagementParams {
                        scoring_offset_days: self.rules.scoring_offset_days,
                        windows_days: self.rules.activity_windows.clone(),
                    },
                )?,
                None => Vec::new(),
            };
            let _ = self.counts.set(derived);
        }
        Ok(self.counts.get().map_or(&[], Vec::as_slice))
    }

    /// `engagement_decayed` (None without activities, dates or a fitted decay).
    fn decayed(&self) -> Result<Option<&crate::binning::Numbers>> {
        if self.decayed.get().is_none() {
            let values = match (self.activities, &self.rules.decay) {
                (Some(a), Some(spec)) if self.leads.has("created_at") => {
                    let prior = crate::decay::prior_activities(
                        self.leads,
                        a,
                        self.rules.scoring_offset_days,
                        usize::MAX,
                    )?;
                    Some(crate::decay::values(&prior, spec))
                }
                _ => None,
            };
            let _ = self.decayed.set(values);
        }
        Ok(self.decayed.get().and_then(Option::as_ref))
    }
}

/// Each config trait's values for the leads (None where the leads lack it). `engagement` must
/// have been made with the config's scoring rules.
pub fn trait_values(
    config: &ScoringConfig,
    engagement: &Engagement,
) -> Result<Vec<Option<TraitValues>>> {
    let leads = engagement.leads;
    config
        .traits
        .iter()
        .map(|t| match t.kind {
            TraitKind::Activity if t.name == crate::decay::TRAIT => Ok(engagement
                .decayed()?
                .map(|v| TraitValues::Numeric(v.clone()))),
            TraitKind::Activity => match engagement.counts()?.iter().find(|d| d.name == t.name) {
                Some(d) => Ok(Some(TraitValues::Numeric(d.values.clone()))),
                // Given activities, a type these leads never had counts 0, not missing.
                None if engagement.activities.is_some() => {
                    Ok(
                        engagement::absent_trait(&t.name, leads, &config.scoring.activity_windows)?
                            .map(|v| TraitValues::Numeric(v.into())),
                    )
                }
                None => Ok(None),
            },
            kind => traits::lead_values(
                leads.frame(),
                &t.name,
                kind,
                config.scoring.date_format.as_deref(),
            ),
        })
        .collect()
}

/// What the scores explain beside the score.
pub struct Explain {
    /// Top reasons per lead (0: no `reasons` column).
    pub reasons: usize,
    /// The full breakdown: `base_points` and one `points:<trait>` column per trait.
    pub breakdown: bool,
}

/// The scores as CSV or Parquet (by extension): lead_id, fit, engagement, score, probability,
/// tier, completeness (the share of the model's lead fields present; not part of the score),
/// then `reasons` and, with the breakdown, `base_points` and `points:<trait>` per trait, which
/// add up to `score`.
pub fn write_scores(
    path: &Path,
    config: &ScoringConfig,
    ids: &StringChunked,
    scored: &Scored,
    explain: &Explain,
) -> Result<()> {
    write_frame(path, scores_frame(config, ids, scored, explain)?)
}

/// The frame [`write_scores`] writes.
pub fn scores_frame(
    config: &ScoringConfig,
    ids: &StringChunked,
    scored: &Scored,
    explain: &Explain,
) -> Result<DataFrame> {
    let n = scored.score.len();
    let tier_names: Vec<&str> = scored
        .tier
        .iter()
        .map(|&t| config.tiers.get(t).map_or("", |t| t.name.as_str()))
        .collect();
    let mut columns = vec![
        ids.clone().into_column().with_name("lead_id".into()),
        Column::new("fit".into(), &scored.fit),
        Column::new("engagement".into(), &scored.engagement),
        Column::new("score".into(), &scored.score),
        Column::new("probability".into(), &scored.probability),
        Column::new("tier".into(), &tier_names),
        Column::new("completeness".into(), &scored.completeness),
    ];
    if explain.reasons > 0 {
        columns.push(
            scored
                .reasons_column(config, explain.reasons, "reasons")?
                .into_column(),
        );
        crate::progress::lap("scores: reasons");
    }
    if explain.breakdown {
        columns.push(Column::new(
            "base_points".into(),
            vec![config.base_points; n],
        ));
        for (t, tr) in config.traits.iter().enumerate() {
            let points: Vec<i64> = scored.bins[t]
                .iter()
                .map(|&b| tr.bins[b as usize].points)
                .collect();
            columns.push(Column::new(format!("points:{}", tr.name).into(), points));
        }
    }
    Ok(DataFrame::new(n, columns)?)
}

/// Scores where each lead is scored by one of several models (one per queue): `pick[r]` is
/// the index into `sources` of lead row `r`'s model, each source's `Scored` covers every lead
/// row, and a `queue` column names the source. The leads keep their order.
pub fn write_routed(
    path: &Path,
    sources: &[(&ScoringConfig, &Scored, String)],
    pick: &[usize],
    ids: &StringChunked,
    reasons: usize,
) -> Result<()> {
    match routed_frame(sources, pick, ids, reasons)? {
        Some(frame) => write_frame(path, frame),
        None => Ok(()),
    }
}

/// The frame [`write_routed`] writes (None: no sources, nothing to write).
pub fn routed_frame(
    sources: &[(&ScoringConfig, &Scored, String)],
    pick: &[usize],
    ids: &StringChunked,
    reasons: usize,
) -> Result<Option<DataFrame>> {
    let mut all: Option<DataFrame> = None;
    for (k, (config, scored, name)) in sources.iter().enumerate() {
        let rows: Vec<usize> = (0..pick.len()).filter(|&r| pick[r] == k).collect();
        let idx = IdxCa::from_vec("idx".into(), rows.iter().map(|&r| r as IdxSize).collect());
        let take_i64 = |v: &[i64]| rows.iter().map(|&r| v[r]).collect::<Vec<i64>>();
        let take_f64 = |v: &[f64]| rows.iter().map(|&r| v[r]).collect::<Vec<f64>>();
        let mut columns = vec![
            Column::new(
                "__order".into(),
                rows.iter().map(|&r| r as u64).collect::<Vec<u64>>(),
            ),
            ids.take(&idx)?.into_column().with_name("lead_id".into()),
            Column::new("fit".into(), take_i64(&scored.fit)),
            Column::new("engagement".into(), take_i64(&scored.engagement)),
            Column::new("score".into(), take_i64(&scored.score)),
            Column::new("probability".into(), take_f64(&scored.probability)),
            Column::new(
                "tier".into(),
                rows.iter()
                    .map(|&r| {
                        config
                            .tiers
                            .get(scored.tier[r])
                            .map_or("", |t| t.name.as_str())
                    })
                    .collect::<Vec<&str>>(),
            ),
            Column::new("completeness".into(), take_f64(&scored.completeness)),
        ];
        if reasons > 0 {
            let text: Vec<String> = rows
                .par_iter()
                .map(|&r| scored.reasons(config, r, reasons))
                .collect();
            columns.push(Column::new("reasons".into(), text));
        }
        columns.push(Column::new("queue".into(), vec![name.as_str(); rows.len()]));
        let df = DataFrame::new(rows.len(), columns)?;
        match &mut all {
            None => all = Some(df),
            Some(a) => {
                a.vstack_mut(&df)?;
            }
        }
    }
    let Some(all) = all else {
        return Ok(None);
    };
    let mut all = all.sort(["__order"], SortMultipleOptions::default())?;
    all.drop_in_place("__order")?;
    Ok(Some(all))
}

/// A frame as Parquet or (by any other extension) formula-safe CSV, written atomically.
pub fn write_frame(path: &Path, mut df: DataFrame) -> Result<()> {
    let n = df.height();
    let parquet = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    if parquet {
        output::write_atomic(path, |w| {
            ParquetWriter::new(w)
                .finish(&mut df)
                .map(|_| ())
                .map_err(std::io::Error::other)
        })
    } else {
        let header: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|c| c.to_string())
            .collect();
        let text: Vec<Vec<String>> = df
            .columns()
            .iter()
            .map(|c| csv_cells(c.as_materialized_series()))
            .collect::<Result<_>>()?;
        output::write_csv(
            path,
            &header.iter().map(String::as_str).collect::<Vec<_>>(),
            (0..n).map(|i| text.iter().map(|c| c[i].clone()).collect::<Vec<_>>()),
        )
    }
}

/// A score column as CSV text: probabilities to 6 decimals, completeness to 3.
fn csv_cells(s: &Series) -> Result<Vec<String>> {
    Ok(match s.dtype() {
        DataType::Int64 => s
            .i64()?
            .iter()
            .map(|v| v.map(|v| v.to_string()).unwrap_or_default())
            .collect(),
        DataType::Float64 => {
            let decimals = if s.name() == "completeness" { 3 } else { 6 };
            s.f64()?
                .iter()
                .map(|v| v.map(|v| format!("{v:.decimals$}")).unwrap_or_default())
                .collect()
        }
        _ => s
            .str()?
            .iter()
            .map(|v| v.unwrap_or_default().to_string())
            .collect(),
    })
}
