//! Campaigns and spend: the campaign list (per source, event campaigns per season, the
//! spend-only display campaigns) and the source mix of each month.

use rand::distr::weighted::WeightedIndex;

use super::calendar::{FIRST_YEAR, MONTHS};
use super::spec::{
    DISPLAY_COST_PER_LEAD, SOURCES, SPEND_ONLY_CAMPAIGNS, SPEND_ONLY_SOURCE, SRC_EVENT,
};

pub(super) struct Campaign {
    pub(super) source: &'static str,
    pub(super) name: String,
    pub(super) cost_per_lead: f64,
    /// Months with spend rows.
    pub(super) active: [bool; MONTHS],
}

pub(super) struct Campaigns {
    pub(super) list: Vec<Campaign>,
    /// Campaign indices per source (empty for event and referral).
    pub(super) by_source: Vec<Vec<usize>>,
    /// Event campaign that a lead created in each month is attributed to.
    pub(super) event_by_month: [Option<usize>; MONTHS],
    /// Indices of the spend-only campaigns.
    pub(super) display: Vec<usize>,
}

/// Event seasons: spring (Mar–May) and autumn (Sep–Nov); leads created between seasons
/// are attributed to the latest season.
pub(super) fn build_campaigns() -> Campaigns {
    let mut list = Vec::new();
    let mut by_source = Vec::new();
    for s in &SOURCES {
        let mut ids = Vec::new();
        for name in s.campaigns {
            ids.push(list.len());
            list.push(Campaign {
                source: s.name,
                name: (*name).to_string(),
                cost_per_lead: s.cost_per_lead,
                active: [true; MONTHS],
            });
        }
        by_source.push(ids);
    }
    let mut event_by_month = [None; MONTHS];
    let mut current = None;
    for (m, slot) in event_by_month.iter_mut().enumerate() {
        let year = FIRST_YEAR + (m / 12) as i64;
        let month = m % 12 + 1;
        let season = match month {
            3 => Some("spring"),
            9 => Some("autumn"),
            _ => None,
        };
        if let Some(season) = season {
            let mut active = [false; MONTHS];
            for a in active.iter_mut().skip(m).take(3) {
                *a = true;
            }
            current = Some(list.len());
            list.push(Campaign {
                source: SOURCES[SRC_EVENT].name,
                name: format!("event_{year}_{season}"),
                cost_per_lead: SOURCES[SRC_EVENT].cost_per_lead,
                active,
            });
        }
        *slot = current;
    }
    let mut display = Vec::new();
    for name in SPEND_ONLY_CAMPAIGNS {
        display.push(list.len());
        list.push(Campaign {
            source: SPEND_ONLY_SOURCE,
            name: name.to_string(),
            cost_per_lead: DISPLAY_COST_PER_LEAD,
            active: [true; MONTHS],
        });
    }
    Campaigns {
        list,
        by_source,
        event_by_month,
        display,
    }
}

/// Source mix per month: event leads come mostly in event seasons, none before the first.
pub(super) fn source_weights_by_month(campaigns: &Campaigns) -> Vec<WeightedIndex<f64>> {
    (0..MONTHS)
        .map(|m| {
            let month = m % 12 + 1;
            let event_factor = match (campaigns.event_by_month[m], month) {
                (None, _) => 0.0,
                (Some(_), 3..=5 | 9..=11) => 1.7,
                _ => 0.3,
            };
            let w = SOURCES.iter().enumerate().map(|(i, s)| {
                if i == SRC_EVENT {
                    s.weight * event_factor
                } else {
                    s.weight
                }
            });
            WeightedIndex::new(w).expect("positive source weights")
        })
        .collect()
}
