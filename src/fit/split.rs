//! The validation split, decided once from the config ([`SplitPlan`]) and applied by every
//! stage that needs it: the engagement decay's fit and the scorecard's fit use the same train
//! and validation leads.

use serde::Serialize;

use crate::config::Settings;

/// How the validation leads are chosen, decided once per run from `[model] validation`,
/// `validation_share` and `seed` and from whether the leads have `created_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitPlan {
    pub kind: SplitKind,
    /// The share of leads held out for validation.
    pub share: f64,
    /// The random split's seed.
    pub seed: u64,
    /// Why the split is not the one asked for, when it had to fall back.
    pub note: Option<String>,
}

impl SplitPlan {
    /// The split the config asks for; a time split falls back to a random one (with a note)
    /// when the leads have no `created_at`.
    pub fn new(settings: &Settings, has_created: bool) -> SplitPlan {
        let (kind, note) = match settings.model.validation.as_str() {
            "random" => (SplitKind::Random, None),
            "file_order" => (SplitKind::FileOrder, None),
            _ if has_created => (SplitKind::Time, None),
            _ => (
                SplitKind::Random,
                Some(
                    "the leads have no created_at: the validation leads are a random share \
                     (set [model] validation = \"file_order\" if the file is in time order)"
                        .into(),
                ),
            ),
        };
        SplitPlan {
            kind,
            share: settings.model.validation_share,
            seed: settings.model.seed,
            note,
        }
    }

    /// The plan applied to a population: see [`split`].
    pub fn split(&self, created_ms: &[Option<i64>], rows: &[usize]) -> Split {
        split(self.kind, self.share, self.seed, created_ms, rows)
    }
}

/// How the validation leads are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitKind {
    /// The newest `validation_share` of leads by `created_at`.
    Time,
    /// A seeded random share.
    Random,
    /// The last share of rows in the file (exports without dates, newest last).
    FileOrder,
}

impl SplitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SplitKind::Time => "time",
            SplitKind::Random => "random",
            SplitKind::FileOrder => "file_order",
        }
    }
}

/// Train and validation leads, as positions in the binned population.
#[derive(Debug, Clone, Serialize)]
pub struct Split {
    pub kind: SplitKind,
    #[serde(skip)]
    pub train: Vec<usize>,
    #[serde(skip)]
    pub validation: Vec<usize>,
    pub train_leads: usize,
    pub validation_leads: usize,
    /// For a time split: the first validation lead's `created_at` (ms).
    pub cut_ms: Option<i64>,
}

/// Splits the binned population. `created_ms[i]` is population lead `i`'s creation time and
/// `rows[i]` its row among the leads.
pub fn split(
    kind: SplitKind,
    share: f64,
    seed: u64,
    created_ms: &[Option<i64>],
    rows: &[usize],
) -> Split {
    let n = rows.len();
    let n_valid = ((share * n as f64).round() as usize).min(n.saturating_sub(1));
    let mut order: Vec<usize> = (0..n).collect();
    let mut cut_ms = None;
    match kind {
        SplitKind::Time => {
            order.sort_by_key(|&i| (created_ms[i].unwrap_or(i64::MIN), rows[i]));
            cut_ms = order.get(n - n_valid).and_then(|&i| created_ms[i]);
        }
        SplitKind::FileOrder => order.sort_by_key(|&i| rows[i]),
        SplitKind::Random => order.sort_by_key(|&i| (mix(seed ^ rows[i] as u64), rows[i])),
    }
    let (train, validation) = order.split_at(n - n_valid);
    let (mut train, mut validation) = (train.to_vec(), validation.to_vec());
    train.sort_unstable();
    validation.sort_unstable();
    Split {
        kind,
        train_leads: train.len(),
        validation_leads: validation.len(),
        train,
        validation,
        cut_ms,
    }
}

/// SplitMix64, for other deterministic assignments.
pub fn mix_hash(z: u64) -> u64 {
    mix(z)
}

/// SplitMix64: a well-mixed hash of a seed, for the random split (deterministic).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
