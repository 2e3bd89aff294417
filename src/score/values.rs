//! A lead's trait values for scoring: lead columns, and engagement derived from its
//! activities once and shared by every config scored with the same rules (one per queue).

use crate::binning::TraitValues;
use crate::engagement::{self, EngagementParams};
use crate::error::Result;
use crate::export::{self, ScoringConfig, TraitKind};
use crate::ingest::{self, Leads};
use crate::traits;

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
