//! A lead's trait values for scoring: lead columns, and engagement derived from its
//! activities (and its stage from its stage dates and deals) once and shared by every config
//! scored with the same rules (one per queue).

use crate::error::Result;
use crate::ingest::{self, Leads};
use crate::scoring::export::{self, ConfigTrait, ScoringConfig, TraitKind};
use crate::scoring::sql::Dialect;
use crate::traits::binning::TraitValues;
use crate::traits::engagement::{self, EngagementParams};
use polars::prelude::*;

use crate::traits;

/// The engagement traits of a set of leads, derived from their activities once and shared by
/// every config scored with the same scoring rules (one per queue).
pub struct Engagement<'a> {
    leads: &'a Leads,
    activities: Option<&'a ingest::Activities>,
    deals: Option<&'a ingest::Deals>,
    rules: &'a export::ScoringRules,
    counts: std::cell::OnceCell<Vec<engagement::EngagementTrait>>,
    decayed: std::cell::OnceCell<Option<crate::traits::binning::Numbers>>,
}

impl<'a> Engagement<'a> {
    pub fn new(
        leads: &'a Leads,
        activities: Option<&'a ingest::Activities>,
        deals: Option<&'a ingest::Deals>,
        rules: &'a export::ScoringRules,
    ) -> Self {
        Engagement {
            leads,
            activities,
            deals,
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
                        // Every type's recency: whichever the model holds.
                        recency_types: usize::MAX,
                    },
                )?,
                None => Vec::new(),
            };
            let _ = self.counts.set(derived);
        }
        Ok(self.counts.get().map_or(&[], Vec::as_slice))
    }

    /// `engagement_decayed` (None without activities, dates or a fitted decay).
    fn decayed(&self) -> Result<Option<&crate::traits::binning::Numbers>> {
        if self.decayed.get().is_none() {
            let values = match (self.activities, &self.rules.decay) {
                (Some(a), Some(spec)) if self.leads.has("created_at") => {
                    let prior = crate::traits::decay::prior_activities(
                        self.leads,
                        a,
                        self.rules.scoring_offset_days,
                        usize::MAX,
                    )?;
                    Some(crate::traits::decay::values(&prior, spec))
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
            TraitKind::Activity if t.name == crate::traits::decay::TRAIT => Ok(engagement
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
            // From the config's stage dates: those the leads (and deals) lack count for none.
            TraitKind::Stage if leads.has("created_at") => Ok(Some(TraitValues::Numeric(
                crate::traits::stage::values(
                    leads,
                    engagement.deals,
                    &config.scoring.stages,
                    config.scoring.scoring_offset_days,
                )?
                .into(),
            ))),
            TraitKind::Stage => Ok(None),
            kind => lead_values(
                leads.frame(),
                &t.name,
                kind,
                config.scoring.date_format.as_deref(),
            ),
        })
        .collect()
}

/// A lead column's values as a trait of the given kind, read as training read them: a category
/// is its text (as ingest typed it: [`crate::ingest::values::normalise`]), a number the
/// column's number when ingest typed it as one (else its text parsed), a date the days from
/// the lead's `created_at`. None when the leads lack the column; activity traits are derived
/// from activities ([`trait_values`]).
pub fn lead_values(
    leads: &DataFrame,
    name: &str,
    kind: TraitKind,
    date_format: Option<&str>,
) -> Result<Option<TraitValues>> {
    let Ok(column) = leads.column(name) else {
        return Ok(None);
    };
    if kind == TraitKind::Numeric && column.dtype().is_primitive_numeric() {
        let numbers = column.cast(&DataType::Float64)?;
        return Ok(Some(TraitValues::Numeric(numbers.f64()?.iter().collect())));
    }
    let text = column.cast(&DataType::String)?;
    let text = text.str()?;
    Ok(Some(match kind {
        TraitKind::Categorical => TraitValues::categorical(text.iter()),
        TraitKind::Numeric => TraitValues::Numeric(
            text.iter()
                .map(|v| v.and_then(|v| crate::ingest::values::parse_number(v, b'.').ok()))
                .collect(),
        ),
        TraitKind::Date => {
            let dates: Vec<Option<i64>> = text
                .iter()
                .map(|v| v.and_then(|v| crate::ingest::values::parse_timestamp(v, date_format)))
                .collect();
            TraitValues::Numeric(traits::days_from_created(&dates, leads)?.into())
        }
        TraitKind::Activity | TraitKind::Stage => return Ok(None),
    }))
}

/// A config trait's value for a lead as SQL, over the leads table `l` and the engagement
/// aggregates `e` (the view of [`crate::scoring::sql`]): the same reading as [`lead_values`]
/// and [`trait_values`] (categories by [`crate::ingest::values::normalise`], numbers as the
/// table's numbers, dates as days from `created_at`; for a lead without activities, activity
/// counts and value sums 0, the days since an activity and the largest value NULL).
pub fn sql_value(t: &ConfigTrait, d: Dialect, rules: &export::ScoringRules) -> String {
    use crate::scoring::sql::{epoch, ident, normalised_text, number};
    use engagement::Measure;
    let missing_tokens = &rules.missing_tokens;
    match t.kind {
        TraitKind::Activity => match engagement::measure(&t.name, &rules.activity_windows) {
            Some(
                Measure::DaysSinceLast
                | Measure::DaysSince { .. }
                | Measure::Value { largest: true, .. },
            ) => format!("e.{}", ident(&t.name)),
            _ => format!("COALESCE(e.{}, 0)", ident(&t.name)),
        },
        TraitKind::Stage => crate::scoring::sql::stage_value(d, rules),
        TraitKind::Date => format!(
            "({} - {}) / {}",
            epoch(d, &format!("l.{}", ident(&t.name))),
            epoch(d, &format!("l.{}", ident("created_at"))),
            number(d, 86_400.0)
        ),
        TraitKind::Numeric => match d {
            Dialect::Sqlite => format!("CAST(l.{} AS REAL)", ident(&t.name)),
            Dialect::Postgres => {
                format!("CAST(l.{} AS DOUBLE PRECISION)", ident(&t.name))
            }
        },
        TraitKind::Categorical => {
            normalised_text(d, &format!("l.{}", ident(&t.name)), missing_tokens)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A numeric trait's values for scoring are the numbers training read, whatever their size
    /// (they are not written out as text and parsed back).
    #[test]
    fn numbers_score_as_they_were_trained() {
        let numbers = vec![
            Some(1e20),
            Some(1.5e-7),
            Some(-0.1),
            Some(0.30000000000000004),
            None,
            Some(123456789.125),
            Some(7.0),
        ];
        let leads = DataFrame::new(
            numbers.len(),
            vec![Column::new("size".into(), numbers.clone())],
        )
        .unwrap();
        let Some(TraitValues::Numeric(got)) =
            lead_values(&leads, "size", TraitKind::Numeric, None).unwrap()
        else {
            panic!("no numbers");
        };
        let got: Vec<Option<f64>> = (0..numbers.len()).map(|i| got.get(i)).collect();
        assert_eq!(got, numbers);
    }
}
