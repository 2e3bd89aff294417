//! The generator: one `ChaCha8Rng` drawn in a fixed order. Customers first, then the
//! truth population day by day (each lead with its deals and activities, the malformed
//! extra rows interleaved), then spend; [`Generator::finish`] writes leadtune.toml and
//! truth.json and renames every file into place.

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

use super::calendar::{
    DAY, END, HOUR, MONTHS, START, month_index, period_label, push_ts, ts_string, year_of,
};
use super::campaigns::{Campaigns, build_campaigns, source_weights_by_month};
use super::identity::{
    Customer, MatchRule, employee_band, fresh_core_name, push_company_variant,
    push_decorated_domain, push_domain, push_free_email, push_work_email,
};
// The spec's constants and the leads.csv field indices are used throughout.
use super::lead::*;
use super::random::{
    Quota, days_secs, leads_per_day, lognormal, normal, pick, poisson, time_of_day, uniform,
    weekday,
};
use super::spec::*;
use super::truth::{Realised, build_truth};
use super::writers::{TableOut, leadtune_toml, write_small};
use super::{OutputFormat, SynthParams, SynthSummary};

pub(super) struct Generator {
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
    pub(super) fn new(params: &SynthParams, out: &Path) -> io::Result<Self> {
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
    pub(super) fn write_customers(&mut self) -> io::Result<()> {
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
    pub(super) fn write_leads(
        &mut self,
        observer: &dyn crate::observe::Observer,
    ) -> io::Result<()> {
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
    pub(super) fn write_spend(&mut self) -> io::Result<()> {
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
    pub(super) fn finish(mut self, params: &SynthParams, out: &Path) -> io::Result<SynthSummary> {
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
