//! Small random draws (normal, log-normal, uniform, Poisson, exact quotas) and when leads
//! arrive: leads per calendar day and the time of day of each.

use rand::Rng;
use rand::distr::Distribution;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Poisson, StandardNormal};

use super::calendar::{DAY, DAYS, HOUR, START, civil_from_days};

pub(super) fn normal(rng: &mut ChaCha8Rng) -> f64 {
    rng.sample::<f64, _>(StandardNormal)
}

pub(super) fn lognormal(rng: &mut ChaCha8Rng, median: f64, sigma: f64) -> f64 {
    median * (sigma * normal(rng)).exp()
}

pub(super) fn pick<'a>(rng: &mut ChaCha8Rng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

pub(super) fn uniform(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.random::<f64>()
}

pub(super) fn days_secs(days: f64) -> i64 {
    (days * DAY as f64).round() as i64
}

/// Poisson draw: inversion for small means, rand_distr above.
pub(super) fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda >= 30.0 {
        let p = Poisson::new(lambda).expect("positive finite mean");
        return p.sample(rng) as u32;
    }
    let u: f64 = rng.random();
    let mut p = (-lambda).exp();
    let mut cdf = p;
    let mut k = 0u32;
    while u > cdf && k < 200 {
        k += 1;
        p *= lambda / f64::from(k);
        cdf += p;
    }
    k
}

/// Draws exactly `remaining` events spread at random over `slots` sequential positions.
pub(super) struct Quota {
    pub(super) remaining: u64,
    pub(super) slots: u64,
}

impl Quota {
    /// Number of events at the current position (selection sampling; several per
    /// position only when there are more events than positions).
    pub(super) fn take(&mut self, rng: &mut ChaCha8Rng) -> u64 {
        if self.slots == 0 {
            return 0;
        }
        let base = self.remaining / self.slots;
        let extra = self.remaining - base * self.slots;
        let k = base + u64::from(rng.random_range(0..self.slots) < extra);
        self.remaining -= k;
        self.slots -= 1;
        k
    }
}

/// Hour-of-day weights for 08:00..18:00 (lunch dip at 12).
const OFFICE_HOUR_WEIGHTS: [u32; 10] = [6, 9, 10, 9, 5, 8, 9, 8, 6, 4];

/// Seconds into the day of a lead's creation: mostly working hours, some any time.
pub(super) fn time_of_day(rng: &mut ChaCha8Rng, weekend: bool) -> i64 {
    let office = if weekend { 0.4 } else { 0.85 };
    if rng.random_bool(office) {
        let total: u32 = OFFICE_HOUR_WEIGHTS.iter().sum();
        let mut r = rng.random_range(0..total);
        let mut hour = 8;
        for (i, w) in OFFICE_HOUR_WEIGHTS.iter().enumerate() {
            if r < *w {
                hour = 8 + i as i64;
                break;
            }
            r -= w;
        }
        hour * HOUR + rng.random_range(0..HOUR)
    } else {
        rng.random_range(0..DAY)
    }
}

/// Monday = 0 .. Sunday = 6 of a day index since the epoch.
pub(super) fn weekday(days_since_epoch: i64) -> i64 {
    (days_since_epoch + 3).rem_euclid(7)
}

/// Leads per calendar day: mild growth, weekday pattern, summer and Christmas dips and
/// day-level noise, turned into exact integer quotas that add up to `n`.
pub(super) fn leads_per_day(n: u64, rng: &mut ChaCha8Rng) -> Vec<u64> {
    const WEEKDAY: [f64; 7] = [1.1, 1.15, 1.1, 1.0, 0.85, 0.3, 0.25];
    let weights: Vec<f64> = (0..DAYS)
        .map(|d| {
            let day = START / DAY + d as i64;
            let (_, m, dom) = civil_from_days(day);
            let growth = 1.0 + 0.6 * d as f64 / DAYS as f64;
            let season = match (m, dom) {
                (7, _) => 0.75,
                (12, 20..) => 0.5,
                _ => 1.0,
            };
            let noise = (0.1 * normal(rng)).exp();
            growth * WEEKDAY[weekday(day) as usize] * season * noise
        })
        .collect();
    let total: f64 = weights.iter().sum();
    let mut cum = 0.0;
    let mut prev = 0u64;
    let mut counts = Vec::with_capacity(DAYS);
    for (d, w) in weights.iter().enumerate() {
        cum += w;
        let upto = if d + 1 == DAYS {
            n
        } else {
            ((cum / total) * n as f64).round().min(n as f64) as u64
        };
        let upto = upto.max(prev);
        counts.push(upto - prev);
        prev = upto;
    }
    counts
}
