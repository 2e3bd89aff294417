//! Synthetic CRM export with planted truth (`leadtune synth`).
//!
//! [`generate`] writes a fictional B2B company's CRM export — `leads.csv`, `deals.csv`,
//! `activities.csv`, `spend.csv`, `customers.csv` — plus a `leadtune.toml` that points at
//! it and a `truth.json` that records every effect planted in the data, so later pipeline
//! stages can be tested for recovering known effects (and for not falling into the traps).
//!
//! # Outcome model
//! Every lead of the truth population is won with probability
//! `sigmoid(INTERCEPT + source + industry + employees + revenue-missingness + country +
//! job title + company age + speed-to-lead + engagement + existing-customer)`, all in
//! log-odds. The constant tables below are the single source of those numbers and
//! `truth.json` is rendered from them.
//!
//! # Traps planted on purpose
//! * `sales_note_status` is filled after sales contact and almost determines the outcome
//!   (leaky column).
//! * Won leads get extra activities near their deal close, after the scoring date
//!   (post-outcome leakage); only activities before the scoring date carry the effect.
//! * `annual_revenue` only matters through its missingness; its value merely correlates
//!   with `employees`.
//! * `website_platform` has no effect at all; `company_founded_year` is non-monotonic.
//! * ~3% of leads are existing customers spelled slightly differently from
//!   `customers.csv`; they convert much better and must be excluded by matching.
//! * Malformed rows (bad dates, duplicate ids, unknown leads, bad amounts) are extra rows
//!   that are not part of the truth population.
//!
//! # Shape and format
//! `activity_rate` and `lost_deal_rate` ([`SynthParams`]) scale the activity volume and
//! the lost deals (e.g. ~5 activities and ~0.1 deals per lead for a 10M-lead history);
//! at 1.0 (the default) the output is unchanged. The planted effects stay the formula
//! truth. The tables are CSV or Parquet ([`OutputFormat`]); the random draws do not depend
//! on the format, so both hold the same rows and truth.json is the same.
//!
//! # Determinism and scale
//! The same parameters give byte-identical files: one `ChaCha8Rng` drawn in a fixed
//! order, no hash-map iteration into output, fixed float formatting. Rows are streamed
//! through buffered writers (Parquet: one row group at a time); only small state is kept
//! (the customer list, a reservoir of earlier lead rows for duplicates, per campaign-month
//! lead counts for spend).

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;
use std::rc::Rc;

use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

mod calendar;
mod campaigns;
mod identity;
mod lead;
mod random;
mod spec;
mod truth;
mod writers;

use calendar::{
    DAY, END, HOUR, MONTHS, START, month_index, period_label, push_ts, ts_string, year_of,
};
use campaigns::{Campaigns, build_campaigns, source_weights_by_month};
use identity::{
    Customer, MatchRule, employee_band, fresh_core_name, push_company_variant,
    push_decorated_domain, push_domain, push_free_email, push_work_email,
};
use lead::*;
use random::{
    Quota, days_secs, leads_per_day, lognormal, normal, pick, poisson, time_of_day, uniform,
    weekday,
};
use spec::*;
use truth::{Realised, build_truth};
use writers::{TableOut, leadtune_toml, write_small};

// ---------------------------------------------------------------------------------------
// Public interface
// ---------------------------------------------------------------------------------------

/// What to generate: the size of the truth population, the random seed, the shape knobs
/// and the file format.
#[derive(Debug, Clone)]
pub struct SynthParams {
    /// Number of leads in the truth population (malformed extra rows come on top).
    pub leads: usize,
    /// Seed for `ChaCha8Rng::seed_from_u64`.
    pub seed: u64,
    /// Multiplies every activity type's Poisson base rate (1.0 = the default mix of about
    /// 8.3 activities per lead). The planted effects and the intercept are not re-tuned, so
    /// other rates also change the realised conversion (engagement is part of the outcome).
    pub activity_rate: f64,
    /// Multiplies the probability of every planted lost deal: not-won leads' lost deal (with
    /// and without SQL) and won leads' earlier lost deal; each probability is capped at 1.
    /// Malformed extra lost deals are not affected.
    pub lost_deal_rate: f64,
    /// File format of the five tables.
    pub format: OutputFormat,
}

impl SynthParams {
    /// `leads` leads with `seed`, default shape, CSV.
    pub fn new(leads: usize, seed: u64) -> Self {
        SynthParams {
            leads,
            seed,
            activity_rate: 1.0,
            lost_deal_rate: 1.0,
            format: OutputFormat::Csv,
        }
    }
}

/// File format of the generated tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// leads.csv, deals.csv, ... (RFC 4180, UTF-8).
    #[default]
    Csv,
    /// leads.parquet, deals.parquet, ...: every column a String column holding the text the
    /// CSV would hold (empty fields as nulls), written in row groups as generated.
    Parquet,
}

impl OutputFormat {
    /// File extension of the tables.
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Csv => "csv",
            OutputFormat::Parquet => "parquet",
        }
    }
}

/// Row counts of a generated data set.
///
/// `leads`, `deals` and `activities` are the data rows written to each file (header
/// excluded) *including* malformed extra rows; `malformed` says how many of those are
/// malformed, by kind. `truth.json` holds the clean (truth population) counts.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SynthSummary {
    /// Data rows in leads.csv (truth population + bad-created + duplicate rows).
    pub leads: u64,
    /// Data rows in deals.csv (including malformed deals).
    pub deals: u64,
    /// Data rows in activities.csv (including malformed activities).
    pub activities: u64,
    /// Data rows in spend.csv.
    pub spend_rows: u64,
    /// Data rows in customers.csv.
    pub customers: u64,
    /// Malformed extra rows by kind (same keys and numbers as truth.json `malformed`).
    pub malformed: std::collections::BTreeMap<String, u64>,
}

/// Writes leads, deals, activities, spend and customers (`.csv` or `.parquet` by
/// `params.format`), leadtune.toml and truth.json into `out` (created if missing).
///
/// Each file is written to a hidden temporary name in `out` and renamed into place once
/// all of them are complete. Rows are streamed: memory does not grow with the number of
/// leads beyond the customer list (leads / 20) and one Parquet row group per table.
/// `observer` is asked for the bar of the leads generated.
pub fn generate(
    params: &SynthParams,
    out: &std::path::Path,
    observer: &dyn crate::observe::Observer,
) -> std::io::Result<SynthSummary> {
    for (name, rate) in [
        ("activity_rate", params.activity_rate),
        ("lost_deal_rate", params.lost_deal_rate),
    ] {
        if !(rate.is_finite() && rate >= 0.0) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{name} must be a finite number >= 0, got {rate}"),
            ));
        }
    }
    fs::create_dir_all(out)?;
    let mut generator = Generator::new(params, out)?;
    generator.write_customers()?;
    generator.write_leads(observer)?;
    generator.write_spend()?;
    generator.finish(params, out)
}

// ---------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------

struct Generator {
    rng: ChaCha8Rng,
    n: u64,
    campaigns: Campaigns,
    source_by_month: Vec<WeightedIndex<f64>>,
    industry_dist: WeightedIndex<f64>,
    country_dist: WeightedIndex<f64>,
    title_dist: WeightedIndex<f64>,
    platform_dist: WeightedIndex<f64>,
    age_dist: WeightedIndex<f64>,
    customers: Vec<Customer>,
    customer_cores: HashSet<Rc<str>>,
    format: OutputFormat,
    activity_rate: f64,
    lost_deal_rate: f64,
    leads: TableOut,
    deals: TableOut,
    activities: TableOut,
    spend: TableOut,
    customers_out: TableOut,
    row: LeadRow,
    scratch: String,
    acts: Vec<Act>,
    reservoir: Vec<(i64, LeadRow)>,
    seen: u64,
    quotas: Vec<Quota>,
    malformed: [u64; 7],
    next_deal: u64,
    next_bad_lead: u64,
    unknown_id_base: u64,
    unknown_id_span: u64,
    spend_leads: Vec<[u64; MONTHS]>,
    by_rule: [u64; 3],
    realised: Realised,
}

impl Generator {
    fn new(params: &SynthParams, out: &Path) -> io::Result<Self> {
        let n = params.leads as u64;
        let campaigns = build_campaigns();
        let source_by_month = source_weights_by_month(&campaigns);
        let quotas: Vec<Quota> = MALFORMED_KINDS
            .iter()
            .map(|(_, rate)| Quota {
                remaining: if n == 0 {
                    0
                } else {
                    ((rate * n as f64).round() as u64).max(MALFORMED_MIN)
                },
                slots: n,
            })
            .collect();
        // Ids for unknown leads: `9 × 10^k + r`, above every real and bad-created lead id.
        let bad_created = quotas[M_BAD_CREATED].remaining;
        let mut span = 1_000_000u64;
        while 9 * span <= n + bad_created + 1 {
            span *= 10;
        }
        let spend_leads = vec![[0u64; MONTHS]; campaigns.list.len()];
        let weights = |it: &mut dyn Iterator<Item = f64>| WeightedIndex::new(it).expect("weights");
        let title_weights = TITLES.iter().map(|t| t.1).chain([TITLE_MISSING_SHARE]);
        Ok(Generator {
            rng: ChaCha8Rng::seed_from_u64(params.seed),
            n,
            source_by_month,
            industry_dist: weights(&mut INDUSTRIES.iter().map(|i| i.1)),
            country_dist: weights(&mut COUNTRIES.iter().map(|c| c.weight)),
            title_dist: weights(&mut title_weights.into_iter()),
            platform_dist: weights(&mut PLATFORMS.iter().map(|p| p.1)),
            age_dist: weights(&mut AGE_BINS.iter().map(|b| b.2)),
            campaigns,
            customers: Vec::new(),
            customer_cores: HashSet::new(),
            format: params.format,
            activity_rate: params.activity_rate,
            lost_deal_rate: params.lost_deal_rate,
            leads: TableOut::create(out, "leads", &LEAD_HEADER, params.format)?,
            deals: TableOut::create(
                out,
                "deals",
                &[
                    "deal_id",
                    "lead_id",
                    "status",
                    "created_at",
                    "closed_at",
                    "amount",
                ],
                params.format,
            )?,
            activities: TableOut::create_raw(
                out,
                "activities",
                &["lead_id", "occurred_at", "type", "value"],
                params.format,
            )?,
            spend: TableOut::create(
                out,
                "spend",
                &["source", "campaign", "period", "cost"],
                params.format,
            )?,
            customers_out: TableOut::create(
                out,
                "customers",
                &["customer_id", "company", "domain", "email"],
                params.format,
            )?,
            row: LeadRow::default(),
            scratch: String::new(),
            acts: Vec::with_capacity(64),
            reservoir: Vec::with_capacity(RESERVOIR_SIZE),
            seen: 0,
            quotas,
            malformed: [0; 7],
            next_deal: 0,
            next_bad_lead: n,
            unknown_id_base: 9 * span,
            unknown_id_span: span,
            spend_leads,
            by_rule: [0; 3],
            realised: Realised::default(),
        })
    }

    // ---- customers ---------------------------------------------------------------------

    /// customers.csv: max(200, leads/20) customers with unique core names.
    fn write_customers(&mut self) -> io::Result<()> {
        let count = (self.n / 20).max(200);
        self.customers.reserve_exact(count as usize);
        self.customer_cores.reserve(count as usize);
        let mut core = String::new();
        for i in 1..=count {
            let country = self.country_dist.sample(&mut self.rng);
            let spec = &COUNTRIES[country];
            fresh_core_name(&mut self.rng, &self.customer_cores, &mut core);
            let shared: Rc<str> = Rc::from(core.as_str());
            self.customer_cores.insert(Rc::clone(&shared));
            let suffix = pick(&mut self.rng, spec.suffixes);
            let customer = Customer {
                country,
                core: shared,
                suffix,
            };
            let company = customer.company();
            let domain = customer.domain();
            let mut email = String::new();
            match self.rng.random_range(0..4) {
                0 => email.push_str("info@"),
                1 => email.push_str("billing@"),
                2 => email.push_str("orders@"),
                _ => {
                    let first = pick(&mut self.rng, spec.first_names);
                    let last = pick(&mut self.rng, spec.last_names);
                    push_work_email(first, last, "", &mut email);
                }
            }
            email.push_str(&domain);
            let id = format!("C{i:06}");
            self.customers_out
                .row(&[id.as_str(), &company, &domain, &email])?;
            self.customers.push(customer);
        }
        Ok(())
    }

    // ---- leads -------------------------------------------------------------------------

    /// Streams the truth population day by day (ids follow creation time) and interleaves
    /// the malformed extra rows.
    fn write_leads(&mut self, observer: &dyn crate::observe::Observer) -> io::Result<()> {
        let per_day = leads_per_day(self.n, &mut self.rng);
        let progress = observer.progress(crate::observe::Work::Items(self.n), "generating leads");
        let mut times = Vec::new();
        let mut id = 0u64;
        for (d, &count) in per_day.iter().enumerate() {
            progress.set_position(id);
            let day = START / DAY + d as i64;
            let weekend = weekday(day) >= 5;
            times.clear();
            for _ in 0..count {
                times.push(day * DAY + time_of_day(&mut self.rng, weekend));
            }
            times.sort_unstable();
            for &created in &times {
                id += 1;
                self.emit_lead(id, created)?;
                self.emit_malformed(created)?;
            }
        }
        progress.finish_and_clear();
        self.realised.leads_written = self.n;
        Ok(())
    }

    /// Draws traits and identity of a lead into `self.row` (not the funnel fields).
    /// Only leads of the truth population may be planted existing customers.
    fn draw_lead(&mut self, id: u64, created: i64, may_be_customer: bool) -> Lead {
        let rng = &mut self.rng;
        let month = month_index(created);
        let existing = may_be_customer
            && rng.random_bool(EXISTING_CUSTOMER_SHARE)
            && !self.customers.is_empty();
        let customer = existing.then(|| rng.random_range(0..self.customers.len()));
        let country = match customer {
            Some(c) => self.customers[c].country,
            None => self.country_dist.sample(rng),
        };
        let source = self.source_by_month[month].sample(rng);
        let campaign = match source {
            SRC_EVENT => self.campaigns.event_by_month[month],
            SRC_PURCHASED_LIST => {
                let ids = &self.campaigns.by_source[source];
                Some(match COUNTRIES[country].code {
                    "SE" | "NO" | "DK" | "FI" => ids[0],
                    "DE" => ids[1],
                    _ => ids[2],
                })
            }
            _ => {
                let ids = &self.campaigns.by_source[source];
                (!ids.is_empty()).then(|| ids[rng.random_range(0..ids.len())])
            }
        };
        let industry = self.industry_dist.sample(rng);
        let employees_true = lognormal(rng, EMPLOYEES_MEDIAN, EMPLOYEES_SIGMA)
            .clamp(1.0, 250_000.0)
            .round() as u32;
        let employees = (!rng.random_bool(EMPLOYEES_MISSING_SHARE)).then_some(employees_true);
        let revenue_value =
            f64::from(employees_true) * REVENUE_PER_EMPLOYEE * (REVENUE_SIGMA * normal(rng)).exp();
        let revenue = (!rng.random_bool(REVENUE_MISSING_SHARE)).then_some(revenue_value);
        let title = self.title_dist.sample(rng);
        let title = (title < TITLES.len()).then_some(title);
        let bin = AGE_BINS[self.age_dist.sample(rng)];
        let age = rng.random_range(bin.0..=bin.1);
        let founded = (!rng.random_bool(FOUNDED_MISSING_SHARE)).then(|| year_of(created) - age);
        let platform = self.platform_dist.sample(rng);
        let spec = &SOURCES[source];
        let response_delay = (!rng.random_bool(spec.never_answered)).then(|| {
            let hours = lognormal(rng, spec.median_response_hours, RESPONSE_SIGMA);
            ((hours * HOUR as f64).round() as i64).max(60)
        });
        let rule = customer.map(|_| {
            let r: f64 = rng.random();
            let mut acc = 0.0;
            MATCH_RULES
                .iter()
                .find(|(_, share)| {
                    acc += share;
                    r < acc
                })
                .map_or(MatchRule::Company, |(rule, _)| *rule)
        });
        let lead = Lead {
            created,
            source,
            campaign,
            country,
            industry,
            employees_true,
            employees,
            revenue,
            title,
            founded,
            platform,
            response_delay,
            existing: rule,
        };
        self.row.clear();
        let _ = write!(self.row.fields[F_ID], "L{id:07}");
        push_ts(&mut self.row.fields[F_CREATED], created);
        self.fill_trait_fields(&lead);
        match (customer, rule) {
            (Some(c), Some(rule)) => self.fill_customer_identity(c, rule, country),
            _ => self.fill_identity(country),
        }
        lead
    }

    /// Observed trait columns of a lead.
    fn fill_trait_fields(&mut self, lead: &Lead) {
        let f = &mut self.row.fields;
        f[F_SOURCE].push_str(SOURCES[lead.source].name);
        if let Some(c) = lead.campaign {
            f[F_CAMPAIGN].push_str(&self.campaigns.list[c].name);
        }
        f[F_INDUSTRY].push_str(INDUSTRIES[lead.industry].0);
        if let Some(e) = lead.employees {
            let _ = write!(f[F_EMPLOYEES], "{e}");
            f[F_BAND].push_str(employee_band(e));
        }
        if let Some(r) = lead.revenue {
            // Most CRMs keep cents; some imports rounded to whole thousands.
            if self.rng.random_bool(0.4) {
                let _ = write!(
                    f[F_REVENUE],
                    "{}",
                    ((r / 1000.0).round() as i64).max(1) * 1000
                );
            } else {
                let _ = write!(f[F_REVENUE], "{r:.2}");
            }
        }
        f[F_COUNTRY].push_str(COUNTRIES[lead.country].code);
        if let Some(t) = lead.title {
            f[F_TITLE].push_str(TITLES[t].0);
        }
        if let Some(y) = lead.founded {
            let _ = write!(f[F_FOUNDED], "{y}");
        }
        f[F_PLATFORM].push_str(PLATFORMS[lead.platform].0);
    }

    /// Identity of an ordinary lead: a company no customer uses.
    fn fill_identity(&mut self, country: usize) {
        let spec = &COUNTRIES[country];
        let rng = &mut self.rng;
        let f = &mut self.row.fields;
        fresh_core_name(rng, &self.customer_cores, &mut self.scratch);
        let suffix = pick(rng, spec.suffixes);
        match rng.random_range(0..100) {
            0..=3 => {
                f[F_COMPANY].push_str(&self.scratch.to_uppercase());
                f[F_COMPANY].push(' ');
                f[F_COMPANY].push_str(&suffix.to_uppercase());
            }
            4..=6 => f[F_COMPANY].push_str(&self.scratch),
            _ => {
                f[F_COMPANY].push_str(&self.scratch);
                f[F_COMPANY].push(' ');
                f[F_COMPANY].push_str(suffix);
            }
        }
        let mut domain = String::new();
        push_domain(&self.scratch, spec.tld, &mut domain);
        match rng.random_range(0..100) {
            0..=3 => {}
            4..=13 => push_decorated_domain(rng, &domain, &mut f[F_DOMAIN]),
            _ => f[F_DOMAIN].push_str(&domain),
        }
        let first = pick(rng, spec.first_names);
        let last = pick(rng, spec.last_names);
        if rng.random_bool(0.15) {
            push_free_email(rng, spec, first, last, &mut f[F_EMAIL]);
        } else {
            push_work_email(first, last, &domain, &mut f[F_EMAIL]);
        }
        let _ = write!(f[F_CONTACT], "{first} {last}");
    }

    /// Identity of a planted existing customer, spelled differently per matching rule.
    fn fill_customer_identity(&mut self, customer: usize, rule: MatchRule, country: usize) {
        let spec = &COUNTRIES[country];
        let rng = &mut self.rng;
        let c = &self.customers[customer];
        let c_domain = c.domain();
        let f = &mut self.row.fields;
        push_company_variant(rng, c, &mut f[F_COMPANY]);
        let first = pick(rng, spec.first_names);
        let last = pick(rng, spec.last_names);
        match rule {
            MatchRule::Domain => {
                push_decorated_domain(rng, &c_domain, &mut f[F_DOMAIN]);
                push_work_email(first, last, &c_domain, &mut f[F_EMAIL]);
            }
            MatchRule::Email => {
                let domain = if rng.random_bool(0.3) {
                    c_domain.to_ascii_uppercase()
                } else {
                    c_domain
                };
                push_work_email(first, last, &domain, &mut f[F_EMAIL]);
            }
            MatchRule::Company => push_free_email(rng, spec, first, last, &mut f[F_EMAIL]),
        }
        let _ = write!(f[F_CONTACT], "{first} {last}");
    }

    /// One lead of the truth population with its deals and activities.
    fn emit_lead(&mut self, id: u64, created: i64) -> io::Result<()> {
        let lead = self.draw_lead(id, created, true);
        self.draw_activities(created);
        let scoring = created + SCORING_OFFSET_DAYS * DAY;
        let logit = INTERCEPT + trait_effects(&lead) + engagement_effect(&self.acts, scoring);
        let won = self.rng.random::<f64>() < sigmoid(logit);
        let outcome = self.draw_outcome(&lead, logit, won);
        if let Some(ttw) = outcome.time_to_win {
            self.add_leakage_activities(created, created + ttw);
        }
        self.fill_funnel_fields(&lead, &outcome);
        self.leads.row(&self.row.fields)?;
        self.remember_row(created);
        self.write_deals(&outcome)?;
        self.write_activities()?;
        self.count_lead(&lead, &outcome);
        Ok(())
    }

    /// Realised counts, spend attribution and planted-customer counts of one lead.
    fn count_lead(&mut self, lead: &Lead, outcome: &Outcome) {
        let r = &mut self.realised;
        if let Some(c) = lead.campaign {
            self.spend_leads[c][month_index(lead.created)] += 1;
        }
        if let Some(rule) = lead.existing {
            r.existing_customer_leads += 1;
            self.by_rule[rule as usize] += 1;
        }
        if let Some(d) = lead.response_delay
            && lead.created + d > END
        {
            r.first_response_blank_after_end += 1;
        }
        let mature = lead.created <= END - HORIZON_DAYS * DAY;
        if mature {
            r.mature_leads += 1;
        } else {
            r.immature_leads += 1;
        }
        if outcome.won {
            r.planted_won += 1;
        }
        let mut visible = 0;
        for deal in outcome.deals.iter().flatten() {
            if deal.created > END {
                if deal.kind == DealKind::Won {
                    r.won_deal_not_yet_created += 1;
                }
                continue;
            }
            visible += 1;
            match (deal.kind, deal.closed <= END) {
                (DealKind::Won, true) => {
                    if deal.closed - lead.created <= HORIZON_DAYS * DAY {
                        r.won_within_horizon += 1;
                        if mature {
                            r.mature_won_within_horizon += 1;
                        }
                    } else {
                        r.won_after_horizon += 1;
                    }
                }
                (DealKind::Won, false) => r.won_open_at_end += 1,
                (DealKind::Lost, true) => r.lost_deals += 1,
                (DealKind::Lost, false) => r.lost_open_at_end += 1,
            }
        }
        if visible == 2 {
            r.leads_with_two_deals += 1;
        }
    }

    /// Keeps a uniform sample of earlier lead rows (reservoir sampling) for duplicates.
    fn remember_row(&mut self, created: i64) {
        self.seen += 1;
        if self.reservoir.len() < RESERVOIR_SIZE {
            self.reservoir.push((created, self.row.clone()));
        } else {
            let j = self.rng.random_range(0..self.seen);
            if (j as usize) < RESERVOIR_SIZE {
                self.reservoir[j as usize] = (created, self.row.clone());
            }
        }
    }

    // ---- activities --------------------------------------------------------------------

    /// Activities of a lead from its latent intent: counts per type rise with intent;
    /// times from created − 30 d to created + 60 d, dropped outside the history.
    fn draw_activities(&mut self, created: i64) {
        self.acts.clear();
        let activity_rate = self.activity_rate;
        let rng = &mut self.rng;
        let s2 = INTENT_SIGMA * INTENT_SIGMA;
        let intent = (INTENT_SIGMA * normal(rng) - s2 / 2.0).exp();
        for (kind, spec) in ACTIVITIES.iter().enumerate() {
            let e = spec.elasticity;
            // Normalised so the mean count per type is base_rate.
            let lambda =
                spec.base_rate * activity_rate * intent.powf(e) / (s2 * (e * e - e) / 2.0).exp();
            for _ in 0..poisson(rng, lambda) {
                let offset = if rng.random_bool(spec.pre_share) {
                    -rng.random_range(1..=ACTIVITY_PRE_DAYS * DAY)
                } else {
                    let max = ACTIVITY_POST_DAYS as f64 / ACTIVITY_POST_MEAN_DAYS;
                    let u: f64 = rng.random();
                    let x = -(1.0 - u * (1.0 - (-max).exp())).ln() * ACTIVITY_POST_MEAN_DAYS;
                    days_secs(x)
                };
                let t = created + offset;
                if (START..=END).contains(&t) {
                    let value = activity_value(rng, kind as u8);
                    self.acts.push(Act {
                        t,
                        kind: kind as u8,
                        value,
                    });
                }
            }
        }
    }

    /// LEAKAGE TRAP: won leads get meetings/replies near their deal close, always after
    /// the scoring date, so they carry no planted effect.
    fn add_leakage_activities(&mut self, created: i64, close: i64) {
        let rng = &mut self.rng;
        let scoring = created + SCORING_OFFSET_DAYS * DAY;
        let lo = (close - 21 * DAY).max(scoring + HOUR);
        let hi = (close + 3 * DAY).max(lo + 3 * DAY);
        let count = 1 + poisson(rng, 1.5);
        for _ in 0..count {
            let kind = match rng.random_range(0..20) {
                0..=7 => ACT_MEETING,
                8..=14 => ACT_REPLY,
                15..=17 => ACT_EMAIL_CLICK,
                _ => ACT_PAGE_VIEW,
            };
            let t = rng.random_range(lo..=hi);
            if t <= END {
                let value = if kind == ACT_PAGE_VIEW {
                    "/pricing"
                } else {
                    ""
                };
                self.acts.push(Act { t, kind, value });
                self.realised.leakage_activities += 1;
            }
        }
    }

    fn write_activities(&mut self) -> io::Result<()> {
        self.acts.sort_by_key(|a| a.t);
        let mut ts = String::with_capacity(19);
        for a in &self.acts {
            ts.clear();
            push_ts(&mut ts, a.t);
            self.activities.row(&[
                &self.row.fields[F_ID],
                &ts,
                ACTIVITIES[a.kind as usize].name,
                a.value,
            ])?;
        }
        self.realised.activities_clean += self.acts.len() as u64;
        Ok(())
    }

    // ---- outcome, funnel, deals --------------------------------------------------------

    /// Funnel dates and deals. Won leads: time to win log-normal (median 50 d) or, for
    /// 7%, 200–400 d; MQL/SQL almost always, before the deal. Other leads: MQL/SQL with a
    /// probability that rises with the lead's propensity, and sometimes a lost deal.
    fn draw_outcome(&mut self, lead: &Lead, logit: f64, won: bool) -> Outcome {
        let lost_deal_rate = self.lost_deal_rate;
        // A planted lost-deal probability scaled by --lost-deal-rate (capped at 1).
        let lost_p = |p: f64| (p * lost_deal_rate).min(1.0);
        let rng = &mut self.rng;
        let created = lead.created;
        let amount = |rng: &mut ChaCha8Rng| {
            AMOUNT_BASE
                * f64::from(lead.employees_true).powf(AMOUNT_EMPLOYEES_EXP)
                * (AMOUNT_SIGMA * normal(rng)).exp()
        };
        if won {
            let ttw_days = if rng.random_bool(LATE_WIN_SHARE) {
                uniform(rng, LATE_WIN_MIN_DAYS, LATE_WIN_MAX_DAYS)
            } else {
                lognormal(rng, TIME_TO_WIN_MEDIAN_DAYS, TIME_TO_WIN_SIGMA).clamp(5.0, 175.0)
            };
            let ttw = days_secs(ttw_days);
            let frac =
                |rng: &mut ChaCha8Rng, lo: f64, hi: f64| (ttw as f64 * uniform(rng, lo, hi)) as i64;
            let mql_off = frac(rng, 0.02, 0.12);
            let sql_off = mql_off + frac(rng, 0.05, 0.2);
            let mql = rng.random_bool(0.98).then_some(created + mql_off);
            let sql = (mql.is_some() && rng.random_bool(0.96)).then_some(created + sql_off);
            let mut deal_created = created + sql_off + frac(rng, 0.02, 0.15);
            let mut deals = [None, None];
            if rng.random_bool(lost_p(WON_WITH_EARLIER_LOST_SHARE)) {
                let lost_created = created + sql_off + frac(rng, 0.0, 0.05);
                let lost_closed = lost_created + frac(rng, 0.05, 0.15);
                deals[0] = Some(DealPlan {
                    kind: DealKind::Lost,
                    created: lost_created,
                    closed: lost_closed,
                    amount: amount(rng),
                });
                deal_created = lost_closed + frac(rng, 0.02, 0.1);
            }
            deals[1] = Some(DealPlan {
                kind: DealKind::Won,
                created: deal_created,
                closed: created + ttw,
                amount: amount(rng),
            });
            return Outcome {
                won,
                time_to_win: Some(ttw),
                mql,
                sql,
                deals,
            };
        }
        let mql_off = days_secs(lognormal(rng, 3.0, 1.0)).max(600);
        let sql_off = mql_off + days_secs(lognormal(rng, 8.0, 0.8)).max(600);
        let mql = rng
            .random_bool(sigmoid(logit + MQL_LOGIT_SHIFT))
            .then_some(created + mql_off);
        let sql = (mql.is_some() && rng.random_bool(sigmoid(logit + SQL_LOGIT_SHIFT)))
            .then_some(created + sql_off);
        let p_lost = lost_p(if sql.is_some() {
            LOST_DEAL_SHARE_IF_SQL
        } else {
            LOST_DEAL_SHARE_OTHERWISE
        });
        let mut deals = [None, None];
        if rng.random_bool(p_lost) {
            let base = match (sql, mql) {
                (Some(_), _) => sql_off,
                (None, Some(_)) => mql_off,
                _ => days_secs(lognormal(rng, 5.0, 0.8)),
            };
            let deal_created = created + base + days_secs(lognormal(rng, 2.0, 0.8)).max(600);
            let closed = deal_created + days_secs(lognormal(rng, 30.0, 0.7)).max(DAY);
            deals[0] = Some(DealPlan {
                kind: DealKind::Lost,
                created: deal_created,
                closed,
                amount: amount(rng),
            });
        }
        Outcome {
            won,
            time_to_win: None,
            mql,
            sql,
            deals,
        }
    }

    /// first_response_at, mql_at, sql_at (blank when after the end date) and the leaky
    /// sales_note_status.
    fn fill_funnel_fields(&mut self, lead: &Lead, outcome: &Outcome) {
        let answered = lead
            .response_delay
            .map(|d| lead.created + d)
            .filter(|&t| t <= END);
        let f = &mut self.row.fields;
        for (field, t) in [
            (F_RESPONSE, answered),
            (F_MQL, outcome.mql),
            (F_SQL, outcome.sql),
        ] {
            if let Some(t) = t.filter(|&t| t <= END) {
                push_ts(&mut f[field], t);
            }
        }
        if answered.is_some() {
            let note = sales_note(&mut self.rng, outcome);
            self.row.fields[F_NOTE].push_str(note);
        }
    }

    fn write_deals(&mut self, outcome: &Outcome) -> io::Result<()> {
        for deal in outcome.deals.iter().flatten() {
            if deal.created > END {
                continue; // not in the CRM yet
            }
            let (status, closed) = match (deal.kind, deal.closed <= END) {
                (_, false) => ("open", String::new()),
                (DealKind::Won, true) => ("won", ts_string(deal.closed)),
                (DealKind::Lost, true) => ("lost", ts_string(deal.closed)),
            };
            let amount = format!("{:.2}", deal.amount);
            self.write_deal_row(status, deal.created, &closed, &amount, None)?;
            self.realised.deals_clean += 1;
        }
        Ok(())
    }

    /// Writes a deals.csv row for the current lead (or `lead_id` if given).
    fn write_deal_row(
        &mut self,
        status: &str,
        created: i64,
        closed: &str,
        amount: &str,
        lead_id: Option<&str>,
    ) -> io::Result<()> {
        self.next_deal += 1;
        let deal_id = format!("D{:07}", self.next_deal);
        let created = ts_string(created);
        let lead_id = lead_id.unwrap_or(&self.row.fields[F_ID]);
        self.deals
            .row(&[deal_id.as_str(), lead_id, status, &created, closed, amount])
    }

    // ---- malformed rows ----------------------------------------------------------------

    /// Extra malformed rows placed after the current lead (exact totals per kind).
    fn emit_malformed(&mut self, created: i64) -> io::Result<()> {
        let take = |g: &mut Self, kind: usize| {
            let k = g.quotas[kind].take(&mut g.rng);
            g.malformed[kind] += k;
            k
        };
        for _ in 0..take(self, M_BAD_CREATED) {
            self.write_bad_created_lead(created)?;
        }
        for _ in 0..take(self, M_DUPLICATE) {
            self.write_duplicate_lead()?;
        }
        for _ in 0..take(self, M_DEAL_UNKNOWN) {
            let id = self.unknown_lead_id();
            let t = self.rng.random_range(START..END - 30 * DAY);
            let closed = ts_string(t + days_secs(uniform(&mut self.rng, 5.0, 30.0)));
            let status = if self.rng.random_bool(0.5) {
                "won"
            } else {
                "lost"
            };
            let amount = format!("{:.2}", lognormal(&mut self.rng, 20_000.0, 0.6));
            self.write_deal_row(status, t, &closed, &amount, Some(&id))?;
        }
        for _ in 0..take(self, M_DEAL_NEGATIVE) {
            let amount = format!("-{:.2}", lognormal(&mut self.rng, 15_000.0, 0.6));
            self.write_extra_lost_deal(created, &amount)?;
        }
        for _ in 0..take(self, M_DEAL_NON_NUMERIC) {
            let amount = pick(&mut self.rng, &BAD_AMOUNTS);
            self.write_extra_lost_deal(created, amount)?;
        }
        for _ in 0..take(self, M_ACT_UNKNOWN) {
            let id = self.unknown_lead_id();
            let ts = ts_string(self.rng.random_range(START..=END));
            let kind = self.rng.random_range(0..ACTIVITIES.len()) as u8;
            let value = activity_value(&mut self.rng, kind);
            self.activities
                .row(&[&id, &ts, ACTIVITIES[kind as usize].name, value])?;
        }
        for _ in 0..take(self, M_ACT_BAD_TIME) {
            let ts = pick(&mut self.rng, &BAD_OCCURRED_VALUES);
            let kind = self.rng.random_range(0..ACTIVITIES.len()) as u8;
            let value = activity_value(&mut self.rng, kind);
            self.activities.row(&[
                &self.row.fields[F_ID],
                ts,
                ACTIVITIES[kind as usize].name,
                value,
            ])?;
        }
        Ok(())
    }

    /// A lead id that exists nowhere in leads.csv (`L9xxxxxx` at usual sizes).
    fn unknown_lead_id(&mut self) -> String {
        let id = self.unknown_id_base + self.rng.random_range(0..self.unknown_id_span);
        format!("L{id:07}")
    }

    /// An extra `lost` deal on the current lead with a malformed amount; it never changes
    /// whether the lead was won.
    fn write_extra_lost_deal(&mut self, lead_created: i64, amount: &str) -> io::Result<()> {
        let created = (lead_created + days_secs(uniform(&mut self.rng, 1.0, 20.0))).min(END);
        let closed = (created + days_secs(uniform(&mut self.rng, 5.0, 60.0))).min(END);
        self.write_deal_row("lost", created, &ts_string(closed), amount, None)
    }

    /// A lead row with an unparseable created_at and a fresh id (not in the population).
    fn write_bad_created_lead(&mut self, near: i64) -> io::Result<()> {
        self.next_bad_lead += 1;
        let id = self.next_bad_lead;
        self.draw_lead(id, near, false);
        let bad = pick(&mut self.rng, &BAD_CREATED_VALUES);
        self.row.fields[F_CREATED].clear();
        self.row.fields[F_CREATED].push_str(bad);
        self.leads.row(&self.row.fields)
    }

    /// An earlier lead's row repeated with one field changed.
    fn write_duplicate_lead(&mut self) -> io::Result<()> {
        let j = self.rng.random_range(0..self.reservoir.len());
        let (created, mut row) = self.reservoir[j].clone();
        let rng = &mut self.rng;
        let f = &mut row.fields;
        match rng.random_range(0..6) {
            0 => {
                let upper = f[F_EMAIL].to_uppercase();
                f[F_EMAIL] = upper;
            }
            1 => {
                let shifted = (created - rng.random_range(HOUR..72 * HOUR)).max(START);
                f[F_CREATED] = ts_string(shifted);
            }
            2 => {
                f[F_SOURCE] = "web_form".into();
                f[F_CAMPAIGN].clear();
            }
            3 => {
                let e = f[F_EMPLOYEES].parse::<u32>().unwrap_or(40);
                let changed = (f64::from(e) * uniform(rng, 1.1, 1.6)).round() as u32 + 1;
                f[F_EMPLOYEES] = changed.to_string();
                f[F_BAND] = employee_band(changed).into();
            }
            4 => {
                let t = TITLES[rng.random_range(0..TITLES.len())].0;
                f[F_TITLE] = if f[F_TITLE] == t {
                    String::new()
                } else {
                    t.into()
                };
            }
            _ => {
                let upper = f[F_CONTACT].to_uppercase();
                f[F_CONTACT] = upper;
            }
        }
        self.leads.row(&row.fields)
    }

    // ---- spend -------------------------------------------------------------------------

    /// spend.csv: per campaign and active month, `cost_per_lead × (leads + 10% of the
    /// source's average monthly leads per campaign) × log-normal noise (sigma 0.08)`;
    /// display_ads: `2.5 × leads / 30` per campaign-month.
    fn write_spend(&mut self) -> io::Result<()> {
        for (ci, campaign) in self.campaigns.list.iter().enumerate() {
            let source = SOURCES.iter().position(|s| s.name == campaign.source);
            let baseline = match source {
                Some(s) => {
                    let n_campaigns = self.campaigns.by_source[s].len().max(1) as f64;
                    0.1 * SOURCES[s].weight * self.n as f64 / MONTHS as f64 / n_campaigns
                }
                None => 0.0,
            };
            for m in 0..MONTHS {
                if !campaign.active[m] || campaign.cost_per_lead <= 0.0 {
                    continue;
                }
                let noise = (0.08 * normal(&mut self.rng)).exp();
                let cost = if self.campaigns.display.contains(&ci) {
                    campaign.cost_per_lead * self.n as f64 / MONTHS as f64 * noise
                } else {
                    campaign.cost_per_lead * (self.spend_leads[ci][m] as f64 + baseline) * noise
                };
                let cost = format!("{cost:.2}");
                let period = period_label(m);
                self.spend
                    .row(&[campaign.source, campaign.name.as_str(), &period, &cost])?;
            }
        }
        Ok(())
    }

    // ---- finishing ---------------------------------------------------------------------

    /// Writes leadtune.toml and truth.json, flushes everything and renames into place.
    fn finish(mut self, params: &SynthParams, out: &Path) -> io::Result<SynthSummary> {
        let malformed: BTreeMap<String, u64> = MALFORMED_KINDS
            .iter()
            .zip(self.malformed)
            .map(|((k, _), v)| ((*k).to_string(), v))
            .collect();
        let r = &mut self.realised;
        r.lead_rows_in_file = self.leads.rows();
        r.planted_won_rate = ratio(r.planted_won, r.leads_written);
        r.mature_conversion_rate = ratio(r.mature_won_within_horizon, r.mature_leads);
        let by_rule: BTreeMap<String, u64> = MATCH_RULES
            .iter()
            .map(|(rule, _)| (rule.name().to_string(), self.by_rule[*rule as usize]))
            .collect();
        let truth = build_truth(
            params,
            &self.campaigns,
            self.realised.clone(),
            by_rule,
            malformed.clone(),
        );
        let mut truth_text = serde_json::to_string_pretty(&truth).map_err(io::Error::other)?;
        truth_text.push('\n');
        let summary = SynthSummary {
            leads: self.leads.rows(),
            deals: self.deals.rows(),
            activities: self.activities.rows(),
            spend_rows: self.spend.rows(),
            customers: self.customers_out.rows(),
            malformed,
        };
        let mut moves = vec![
            self.leads.close()?,
            self.deals.close()?,
            self.activities.close()?,
            self.spend.close()?,
            self.customers_out.close()?,
        ];
        moves.push(write_small(
            out,
            "leadtune.toml",
            &leadtune_toml(self.format),
        )?);
        moves.push(write_small(out, "truth.json", &truth_text)?);
        for (tmp, dest) in moves {
            fs::rename(tmp, dest)?;
        }
        Ok(summary)
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Value column of an activity: a URL path for page views, an asset for downloads.
fn activity_value(rng: &mut ChaCha8Rng, kind: u8) -> &'static str {
    match kind {
        ACT_PAGE_VIEW => PAGE_PATHS[rng.random_range(0..PAGE_PATHS.len())],
        ACT_DOWNLOAD => ASSETS[rng.random_range(0..ASSETS.len())],
        _ => "",
    }
}

/// LEAKY COLUMN: the sales note written after contact, almost determined by the outcome.
fn sales_note(rng: &mut ChaCha8Rng, outcome: &Outcome) -> &'static str {
    let won_closed = outcome
        .deals
        .iter()
        .flatten()
        .any(|d| d.kind == DealKind::Won && d.closed <= END);
    let has_lost = outcome
        .deals
        .iter()
        .flatten()
        .any(|d| d.kind == DealKind::Lost && d.created <= END);
    if outcome.won {
        if rng.random_bool(NOTE_WON_LIKE_FOR_WON) {
            if won_closed {
                pick(rng, &NOTES_WON_CLOSED)
            } else {
                pick(rng, &NOTES_WON_OPEN)
            }
        } else {
            pick(rng, &NOTES_NO_DEAL)
        }
    } else {
        let r: f64 = rng.random();
        if r < NOTE_EMPTY_FOR_NOT_WON {
            ""
        } else if r < NOTE_EMPTY_FOR_NOT_WON + NOTE_WON_LIKE_FOR_NOT_WON {
            pick(rng, &NOTES_WON_OPEN[..2])
        } else if has_lost {
            pick(rng, &NOTES_LOST_DEAL)
        } else {
            pick(rng, &NOTES_NO_DEAL)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{DataFrame, DataType};
    use std::collections::HashMap;
    use std::fs::File;
    use std::path::PathBuf;
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    use writers::LEADTUNE_TOML;

    const FILES: [&str; 7] = [
        "leads.csv",
        "deals.csv",
        "activities.csv",
        "spend.csv",
        "customers.csv",
        "leadtune.toml",
        "truth.json",
    ];

    /// A unique directory under the system temp dir, removed on drop.
    pub(super) struct TempDir(pub(super) PathBuf);

    impl TempDir {
        pub(super) fn new(tag: &str) -> Self {
            static COUNTER: AtomicU64 = AtomicU64::new(0);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let pid = std::process::id();
            TempDir(std::env::temp_dir().join(format!("leadtune-synth-{tag}-{pid}-{nanos}-{n}")))
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn run(leads: usize, seed: u64, dir: &TempDir) -> SynthSummary {
        generate(
            &SynthParams::new(leads, seed),
            &dir.0,
            &crate::observe::Silent,
        )
        .expect("generate")
    }

    fn parse_ts(s: &str) -> Option<i64> {
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
            .ok()
            .map(|t| t.and_utc().timestamp())
    }

    fn read_csv(path: &Path) -> (HashMap<String, usize>, Vec<csv::StringRecord>) {
        let mut rdr = csv::Reader::from_path(path).expect("open csv");
        let header = rdr
            .headers()
            .expect("header")
            .iter()
            .enumerate()
            .map(|(i, h)| (h.to_string(), i))
            .collect();
        let rows = rdr.records().map(|r| r.expect("csv row")).collect();
        (header, rows)
    }

    /// Clean leads (first row per id, valid created_at) and which of them have a won deal.
    struct Parsed {
        col: HashMap<String, usize>,
        leads: Vec<csv::StringRecord>,
        won: HashSet<String>,
    }

    impl Parsed {
        fn get<'a>(&self, row: &'a csv::StringRecord, col: &str) -> &'a str {
            &row[self.col[col]]
        }

        /// (leads, won) per value of `key(row)`.
        fn rates<K: Ord>(&self, key: impl Fn(&csv::StringRecord) -> K) -> BTreeMap<K, (u64, u64)> {
            let mut out = BTreeMap::new();
            for row in &self.leads {
                let e = out.entry(key(row)).or_insert((0, 0));
                e.0 += 1;
                e.1 += u64::from(self.won.contains(&row[0]));
            }
            out
        }
    }

    fn rate(c: (u64, u64)) -> f64 {
        c.1 as f64 / c.0 as f64
    }

    fn parse_dir(dir: &Path) -> Parsed {
        let (col, rows) = read_csv(&dir.join("leads.csv"));
        let mut seen = HashSet::new();
        let leads = rows
            .into_iter()
            .filter(|r| parse_ts(&r[col["created_at"]]).is_some() && seen.insert(r[0].to_string()))
            .collect();
        let (dcol, deals) = read_csv(&dir.join("deals.csv"));
        let won = deals
            .iter()
            .filter(|d| &d[dcol["status"]] == "won")
            .map(|d| d[dcol["lead_id"]].to_string())
            .collect();
        Parsed { col, leads, won }
    }

    /// 20,000 leads (seed 2024), generated once and parsed for the direction checks.
    fn dataset_20k() -> &'static Parsed {
        static DATA: OnceLock<Parsed> = OnceLock::new();
        DATA.get_or_init(|| {
            let dir = TempDir::new("20k");
            run(20_000, 2024, &dir);
            parse_dir(&dir.0)
        })
    }

    #[test]
    fn same_seed_gives_byte_identical_files() {
        let (a, b) = (TempDir::new("same-a"), TempDir::new("same-b"));
        let sa = run(3_000, 11, &a);
        let sb = run(3_000, 11, &b);
        for f in FILES {
            let fa = fs::read(a.0.join(f)).expect("read a");
            let fb = fs::read(b.0.join(f)).expect("read b");
            assert!(!fa.is_empty(), "{f} is empty");
            assert!(fa == fb, "{f} differs between runs with the same seed");
        }
        assert_eq!(sa.leads, sb.leads);
        assert_eq!(sa.activities, sb.activities);
        let mut names: Vec<String> = fs::read_dir(&a.0)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let mut expected: Vec<String> = FILES.iter().map(|f| f.to_string()).collect();
        expected.sort();
        assert_eq!(names, expected, "no temporary files may be left behind");
    }

    #[test]
    fn different_seed_gives_different_leads() {
        let (a, b) = (TempDir::new("seed-a"), TempDir::new("seed-b"));
        run(500, 1, &a);
        run(500, 2, &b);
        let fa = fs::read(a.0.join("leads.csv")).expect("read a");
        let fb = fs::read(b.0.join("leads.csv")).expect("read b");
        assert_ne!(fa, fb);
    }

    #[test]
    fn planted_conversion_rate_is_in_range() {
        let data = dataset_20k();
        assert_eq!(
            data.leads.len(),
            20_000,
            "truth population excludes bad rows"
        );
        let won = data
            .leads
            .iter()
            .filter(|r| data.won.contains(&r[0]))
            .count();
        let conv = won as f64 / data.leads.len() as f64;
        assert!((0.06..0.12).contains(&conv), "conversion {conv}");
    }

    #[test]
    fn industry_with_largest_effect_converts_more_than_smallest() {
        let data = dataset_20k();
        let by = |f: fn(&f64, &f64) -> bool| {
            INDUSTRIES
                .iter()
                .reduce(|a, b| if f(&a.2, &b.2) { a } else { b })
                .expect("industries")
                .0
        };
        let (best, worst) = (by(|a, b| a > b), by(|a, b| a < b));
        let rates = data.rates(|r| data.get(r, "industry").to_string());
        assert!(
            rate(rates[best]) > rate(rates[worst]) + 0.03,
            "{best} {:?} vs {worst} {:?}",
            rates[best],
            rates[worst]
        );
    }

    #[test]
    fn c_level_converts_more_than_individual_contributors() {
        let data = dataset_20k();
        let rates = data.rates(|r| data.get(r, "job_title_level").to_string());
        let (c, ic) = (rates["C-level"], rates["Individual Contributor"]);
        assert!(rate(c) > rate(ic) + 0.03, "C-level {c:?} vs IC {ic:?}");
    }

    #[test]
    fn website_platform_rates_are_within_noise() {
        let data = dataset_20k();
        let rates = data.rates(|r| data.get(r, "website_platform").to_string());
        let total = rates.values().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        let pooled = rate(total);
        assert_eq!(rates.len(), PLATFORMS.len());
        for (platform, counts) in &rates {
            let se = (pooled * (1.0 - pooled) / counts.0 as f64).sqrt();
            let z = (rate(*counts) - pooled) / se;
            assert!(
                z.abs() < 4.0,
                "{platform}: {counts:?} vs pooled {pooled} (z = {z:.2})"
            );
        }
    }

    #[test]
    fn leads_answered_within_an_hour_convert_more_than_never_answered() {
        let data = dataset_20k();
        let rates = data.rates(|r| {
            let created = parse_ts(data.get(r, "created_at")).expect("created");
            match parse_ts(data.get(r, "first_response_at")) {
                None => "never",
                Some(t) if t - created < HOUR => "<1h",
                Some(_) => "later",
            }
        });
        let (fast, never) = (rates["<1h"], rates["never"]);
        assert!(
            rate(fast) > 2.0 * rate(never),
            "<1h {fast:?} vs never {never:?}"
        );
    }

    #[test]
    fn employees_effect_is_monotone_and_revenue_missingness_hurts() {
        let data = dataset_20k();
        let bands = data.rates(|r| data.get(r, "employee_band").to_string());
        assert!(rate(bands["1001-5000"]) > rate(bands["11-50"]));
        assert!(rate(bands["11-50"]) > rate(bands["1-10"]) - 0.005);
        let revenue = data.rates(|r| data.get(r, "annual_revenue").is_empty());
        assert!(rate(revenue[&false]) > rate(revenue[&true]));
    }

    #[test]
    fn sales_note_status_predicts_the_outcome() {
        let data = dataset_20k();
        let won_like: HashSet<&str> = NOTES_WON_CLOSED
            .iter()
            .chain(&NOTES_WON_OPEN)
            .copied()
            .collect();
        let (mut correct, mut tp, mut won) = (0u64, 0u64, 0u64);
        for row in &data.leads {
            let predicted = won_like.contains(data.get(row, "sales_note_status"));
            let actual = data.won.contains(&row[0]);
            correct += u64::from(predicted == actual);
            won += u64::from(actual);
            tp += u64::from(predicted && actual);
        }
        let accuracy = correct as f64 / data.leads.len() as f64;
        let recall = tp as f64 / won as f64;
        assert!(accuracy > 0.9, "accuracy {accuracy}");
        assert!(recall > 0.9, "recall {recall}");
    }

    #[test]
    fn malformed_counts_match_the_files() {
        let dir = TempDir::new("malformed");
        let summary = run(5_000, 42, &dir);
        let mut found: BTreeMap<String, u64> = BTreeMap::new();
        let mut bump = |k: &str| *found.entry(k.to_string()).or_default() += 1;

        let (lcol, leads) = read_csv(&dir.0.join("leads.csv"));
        let mut ids = HashSet::new();
        let mut clean = 0;
        for r in &leads {
            if parse_ts(&r[lcol["created_at"]]).is_none() {
                bump("leads_bad_created_at");
            } else if ids.contains(&r[0]) {
                bump("leads_duplicate_id");
            } else {
                clean += 1;
            }
            ids.insert(r[0].to_string());
        }
        assert_eq!(clean, 5_000);

        let (dcol, deals) = read_csv(&dir.0.join("deals.csv"));
        for d in &deals {
            let amount = &d[dcol["amount"]];
            if !ids.contains(&d[dcol["lead_id"]]) {
                bump("deals_unknown_lead");
            } else if amount.parse::<f64>().is_err() {
                bump("deals_non_numeric_amount");
            } else if amount.starts_with('-') {
                bump("deals_negative_amount");
            }
        }
        let (acol, acts) = read_csv(&dir.0.join("activities.csv"));
        for a in &acts {
            if !ids.contains(&a[0]) {
                bump("activities_unknown_lead");
            } else if parse_ts(&a[acol["occurred_at"]]).is_none() {
                bump("activities_bad_occurred_at");
            }
        }
        assert_eq!(found, summary.malformed);
        let total: u64 = summary.malformed.values().sum();
        assert!(
            (150..600).contains(&total),
            "a few hundred malformed rows, got {total}"
        );
        assert!(summary.malformed.values().all(|&v| v >= MALFORMED_MIN));

        let truth: serde_json::Value =
            serde_json::from_slice(&fs::read(dir.0.join("truth.json")).expect("truth"))
                .expect("json");
        let truth_malformed: BTreeMap<String, u64> =
            serde_json::from_value(truth["malformed"].clone()).expect("malformed map");
        assert_eq!(truth_malformed, summary.malformed);
        assert_eq!(summary.leads, leads.len() as u64);
        assert_eq!(summary.deals, deals.len() as u64);
        assert_eq!(summary.activities, acts.len() as u64);
        assert_eq!(truth["realised"]["leads_written"], 5_000);
        assert_eq!(
            truth["realised"]["deals_clean"]
                .as_u64()
                .expect("deals_clean")
                + summary.malformed["deals_unknown_lead"]
                + summary.malformed["deals_negative_amount"]
                + summary.malformed["deals_non_numeric_amount"],
            summary.deals
        );
    }

    /// Normalised company name as truth.json describes it.
    fn norm_company(s: &str) -> String {
        let mut s = s.trim().to_lowercase();
        let suffixes: Vec<String> = COUNTRIES
            .iter()
            .flat_map(|c| c.suffixes.iter().chain(c.alt_suffixes))
            .map(|x| x.to_lowercase())
            .collect();
        while let Some(x) = suffixes
            .iter()
            .filter(|x| s.ends_with(&format!(" {x}")))
            .max_by_key(|x| x.len())
        {
            s.truncate(s.len() - x.len());
            s = s.trim_end_matches([' ', ',']).to_string();
        }
        s
    }

    fn norm_domain(s: &str) -> String {
        let s = s.trim().to_lowercase();
        let s = s
            .trim_start_matches("https://")
            .trim_start_matches("http://");
        let s = s.trim_start_matches("www.");
        s.split('/').next().unwrap_or("").to_string()
    }

    #[test]
    fn existing_customers_match_by_their_planted_rule_only() {
        let dir = TempDir::new("customers");
        let summary = run(8_000, 5, &dir);
        assert_eq!(summary.customers, 400);
        let (ccol, customers) = read_csv(&dir.0.join("customers.csv"));
        let domains: HashSet<String> = customers
            .iter()
            .map(|c| norm_domain(&c[ccol["domain"]]))
            .collect();
        let companies: HashSet<String> = customers
            .iter()
            .map(|c| norm_company(&c[ccol["company"]]))
            .collect();
        assert_eq!(domains.len(), customers.len());
        assert_eq!(companies.len(), customers.len());
        // Every lead row except repeated ids, so malformed extra rows are checked too.
        let (lcol, leads) = read_csv(&dir.0.join("leads.csv"));
        let mut seen = HashSet::new();
        let mut found: BTreeMap<String, u64> = BTreeMap::new();
        for r in leads.iter().filter(|r| seen.insert(r[0].to_string())) {
            let domain = &r[lcol["domain"]];
            let email_domain = r[lcol["email"]].rsplit('@').next().unwrap_or("");
            let rule = if !domain.is_empty() && domains.contains(&norm_domain(domain)) {
                "domain"
            } else if domains.contains(&norm_domain(email_domain)) {
                "email"
            } else if companies.contains(&norm_company(&r[lcol["company"]])) {
                "company"
            } else {
                continue;
            };
            *found.entry(rule.to_string()).or_default() += 1;
        }
        let truth: serde_json::Value =
            serde_json::from_slice(&fs::read(dir.0.join("truth.json")).expect("truth"))
                .expect("json");
        let planted: BTreeMap<String, u64> =
            serde_json::from_value(truth["existing_customers"]["planted_by_rule"].clone())
                .expect("map");
        assert_eq!(found, planted);
        let total: u64 = planted.values().sum();
        assert_eq!(truth["existing_customers"]["planted"].as_u64(), Some(total));
        assert!(total > 150 && total < 350, "~3% of 8000, got {total}");
    }

    #[test]
    fn timestamps_respect_end_date_and_funnel_order() {
        let dir = TempDir::new("order");
        run(6_000, 9, &dir);
        let data = parse_dir(&dir.0);
        let mut created_of = HashMap::new();
        for r in &data.leads {
            let created = parse_ts(data.get(r, "created_at")).expect("created");
            assert!((START..=END).contains(&created));
            let mut last = created;
            for col in ["mql_at", "sql_at"] {
                if let Some(t) = parse_ts(data.get(r, col)) {
                    assert!(t > last && t <= END, "{col} out of order for {}", &r[0]);
                    last = t;
                }
            }
            if let Some(t) = parse_ts(data.get(r, "first_response_at")) {
                assert!(t > created && t <= END);
            }
            if data.get(r, "first_response_at").is_empty() {
                assert!(data.get(r, "sales_note_status").is_empty());
            }
            created_of.insert(r[0].to_string(), created);
        }
        let (dcol, deals) = read_csv(&dir.0.join("deals.csv"));
        for d in &deals {
            let Some(&lead_created) = created_of.get(&d[dcol["lead_id"]]) else {
                continue;
            };
            let created = parse_ts(&d[dcol["created_at"]]).expect("deal created");
            assert!(created >= lead_created && created <= END);
            match (&d[dcol["status"]], parse_ts(&d[dcol["closed_at"]])) {
                ("open", None) => {}
                ("won" | "lost", Some(closed)) => assert!(closed >= created && closed <= END),
                other => panic!("bad status/closed_at {other:?}"),
            }
            assert!(d[0].starts_with('D') && d[0].len() == 8);
        }
        let (acol, acts) = read_csv(&dir.0.join("activities.csv"));
        let types: HashSet<&str> = ACTIVITIES.iter().map(|a| a.name).collect();
        for a in &acts {
            assert!(types.contains(&a[acol["type"]]));
            if let Some(t) = parse_ts(&a[acol["occurred_at"]]) {
                assert!((START..=END).contains(&t));
            }
        }
        let per_lead = acts.len() as f64 / 6_000.0;
        assert!(
            (6.0..10.0).contains(&per_lead),
            "{per_lead} activities per lead"
        );
    }

    #[test]
    fn spend_and_config_files_have_the_expected_shape() {
        let dir = TempDir::new("spend");
        run(2_000, 3, &dir);
        let (scol, spend) = read_csv(&dir.0.join("spend.csv"));
        let sources: HashSet<&str> = spend.iter().map(|r| &r[scol["source"]]).collect();
        assert!(sources.contains(SPEND_ONLY_SOURCE));
        assert!(!sources.contains("referral"));
        for r in &spend {
            let period = &r[scol["period"]];
            assert!(("2023-01"..="2025-06").contains(&period) && period.len() == 7);
            let cost = &r[scol["cost"]];
            assert!(cost.parse::<f64>().expect("cost") >= 0.0);
            assert_eq!(cost.split('.').nth(1).map(str::len), Some(2));
        }
        let toml = fs::read_to_string(dir.0.join("leadtune.toml")).expect("toml");
        assert_eq!(toml, LEADTUNE_TOML);
        let truth: serde_json::Value =
            serde_json::from_slice(&fs::read(dir.0.join("truth.json")).expect("truth"))
                .expect("json");
        assert_eq!(truth["leaky_column"]["column"], "sales_note_status");
        assert_eq!(truth["no_effect_trait"], "website_platform");
        assert_eq!(truth["non_monotonic_trait"], "company_founded_year");
        assert_eq!(truth["scoring_offset_days"], 7);
        assert_eq!(truth["end_date"], "2025-06-30T23:59:59");
    }

    fn truth_of(dir: &TempDir) -> serde_json::Value {
        serde_json::from_slice(&fs::read(dir.0.join("truth.json")).expect("truth")).expect("json")
    }

    #[test]
    fn activity_rate_scales_the_activities() {
        let (a, b) = (TempDir::new("act-1"), TempDir::new("act-half"));
        run(4_000, 13, &a);
        let half = SynthParams {
            activity_rate: 0.5,
            ..SynthParams::new(4_000, 13)
        };
        let summary = generate(&half, &b.0, &crate::observe::Silent).expect("generate");
        // Activities drawn from intent (leakage activities follow wins, not the rate).
        let drawn = |t: &serde_json::Value| {
            let r = &t["realised"];
            (r["activities_clean"].as_u64().expect("clean")
                - r["leakage_activities"].as_u64().expect("leakage")) as f64
        };
        let (ta, tb) = (truth_of(&a), truth_of(&b));
        let ratio = drawn(&tb) / drawn(&ta);
        assert!((0.45..0.55).contains(&ratio), "ratio {ratio}");
        assert_eq!(tb["activity_rate"], 0.5);
        assert_eq!(tb["lost_deal_rate"], 1.0);
        assert!(
            ta.get("activity_rate").is_none(),
            "defaults leave truth.json as it was"
        );
        // Malformed activity rows do not follow the rate.
        let (_, acts) = read_csv(&b.0.join("activities.csv"));
        assert_eq!(acts.len() as u64, summary.activities);
        assert!(summary.malformed["activities_unknown_lead"] >= 60);
    }

    #[test]
    fn lost_deal_rate_zero_leaves_only_malformed_lost_deals() {
        let dir = TempDir::new("no-lost");
        let params = SynthParams {
            lost_deal_rate: 0.0,
            ..SynthParams::new(4_000, 17)
        };
        let summary = generate(&params, &dir.0, &crate::observe::Silent).expect("generate");
        let (lcol, leads) = read_csv(&dir.0.join("leads.csv"));
        let ids: HashSet<&str> = leads
            .iter()
            .filter(|r| parse_ts(&r[lcol["created_at"]]).is_some())
            .map(|r| &r[0])
            .collect();
        let (dcol, deals) = read_csv(&dir.0.join("deals.csv"));
        let mut lost = 0;
        for d in deals.iter().filter(|d| &d[dcol["status"]] == "lost") {
            let amount = d[dcol["amount"]].parse::<f64>();
            let malformed =
                !ids.contains(&d[dcol["lead_id"]]) || !matches!(amount, Ok(a) if a >= 0.0);
            assert!(malformed, "a planted lost deal: {d:?}");
            lost += 1;
        }
        let extra = summary.malformed["deals_negative_amount"]
            + summary.malformed["deals_non_numeric_amount"];
        assert!(
            lost >= extra && extra > 0,
            "{lost} lost rows, {extra} malformed"
        );
        let truth = truth_of(&dir);
        assert_eq!(truth["realised"]["lost_deals"], 0);
        assert_eq!(truth["realised"]["lost_open_at_end"], 0);
        assert!(truth["realised"]["deals_clean"].as_u64().expect("deals") > 200);
        assert_eq!(truth["lost_deal_rate"], 0.0);
    }

    #[test]
    fn shape_rates_must_be_finite_and_not_negative() {
        let dir = TempDir::new("bad-rate");
        for (activity_rate, lost_deal_rate) in [(-0.1, 1.0), (f64::NAN, 1.0), (1.0, f64::INFINITY)]
        {
            let params = SynthParams {
                activity_rate,
                lost_deal_rate,
                ..SynthParams::new(10, 1)
            };
            let err = generate(&params, &dir.0, &crate::observe::Silent).expect_err("bad rate");
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        }
        assert!(!dir.0.exists(), "nothing written");
    }

    /// Every table of a directory read with polars, all columns as text (CSV: no type
    /// inference, so the frame holds exactly the text of the file; empty fields are null).
    fn read_tables(dir: &Path, ext: &str) -> Vec<DataFrame> {
        use polars::prelude::{CsvReadOptions, ParquetReader, SerReader};
        ["leads", "deals", "activities", "spend", "customers"]
            .iter()
            .map(|t| {
                let path = dir.join(format!("{t}.{ext}"));
                if ext == "csv" {
                    CsvReadOptions::default()
                        .with_infer_schema_length(Some(0))
                        .try_into_reader_with_file_path(Some(path))
                        .expect("csv reader")
                        .finish()
                        .expect("read csv")
                } else {
                    ParquetReader::new(File::open(path).expect("open parquet"))
                        .finish()
                        .expect("read parquet")
                }
            })
            .collect()
    }

    #[test]
    fn parquet_output_holds_the_same_rows_as_csv() {
        let (c, p, p2) = (
            TempDir::new("fmt-csv"),
            TempDir::new("fmt-pq"),
            TempDir::new("fmt-pq2"),
        );
        let csv = run(3_000, 23, &c);
        let params = SynthParams {
            format: OutputFormat::Parquet,
            ..SynthParams::new(3_000, 23)
        };
        let parquet = generate(&params, &p.0, &crate::observe::Silent).expect("generate parquet");
        generate(&params, &p2.0, &crate::observe::Silent).expect("generate parquet again");
        assert_eq!(
            (
                csv.leads,
                csv.deals,
                csv.activities,
                csv.spend_rows,
                csv.customers
            ),
            (
                parquet.leads,
                parquet.deals,
                parquet.activities,
                parquet.spend_rows,
                parquet.customers
            )
        );
        for (a, b) in read_tables(&c.0, "csv")
            .iter()
            .zip(read_tables(&p.0, "parquet"))
        {
            assert!(b.dtypes().iter().all(|d| *d == DataType::String));
            assert_eq!(a.get_column_names(), b.get_column_names());
            assert_eq!(a.height(), b.height());
            assert!(a.equals_missing(&b), "{a}\n{b}");
        }
        let read = |d: &TempDir, f: &str| fs::read(d.0.join(f)).expect("read");
        assert_eq!(read(&c, "truth.json"), read(&p, "truth.json"));
        let toml = String::from_utf8(read(&p, "leadtune.toml")).expect("utf-8");
        assert_eq!(toml, LEADTUNE_TOML.replace(".csv", ".parquet"));
        let mut names: Vec<String> = fs::read_dir(&p.0)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "activities.parquet",
                "customers.parquet",
                "deals.parquet",
                "leads.parquet",
                "leadtune.toml",
                "spend.parquet",
                "truth.json"
            ]
        );
        for name in &names {
            assert!(
                read(&p, name) == read(&p2, name),
                "{name} differs between runs"
            );
        }
    }

    #[test]
    fn tiny_and_empty_populations_work() {
        let dir = TempDir::new("tiny");
        let s = run(0, 1, &dir);
        assert_eq!(s.leads, 0);
        assert!(s.malformed.values().all(|&v| v == 0));
        let dir = TempDir::new("tiny3");
        let s = run(3, 1, &dir);
        assert_eq!(s.malformed["leads_duplicate_id"], MALFORMED_MIN);
        assert_eq!(s.leads, 3 + 2 * MALFORMED_MIN);
        for leads in [0, 3] {
            let dir = TempDir::new("tiny-pq");
            let params = SynthParams {
                format: OutputFormat::Parquet,
                ..SynthParams::new(leads, 1)
            };
            let s = generate(&params, &dir.0, &crate::observe::Silent).expect("generate");
            let tables = read_tables(&dir.0, "parquet");
            assert_eq!(tables[0].height() as u64, s.leads);
            assert_eq!(tables[0].width(), LEAD_HEADER.len());
        }
    }

    /// `cargo test --release -- --ignored --nocapture` times 1M leads.
    #[test]
    #[ignore]
    fn time_one_million_leads() {
        let dir = TempDir::new("1m");
        let start = std::time::Instant::now();
        let summary = run(1_000_000, 42, &dir);
        let elapsed = start.elapsed();
        println!("1M leads: {elapsed:.2?} {summary:?}");
        for f in FILES {
            let len = fs::metadata(dir.0.join(f)).expect("meta").len();
            println!("  {f}: {len} bytes");
        }
    }
}
