//! truth.json: the realised counts of the truth population and the planted truth,
//! rendered from the constants of [`super::spec`].

use std::collections::BTreeMap;

use serde::Serialize;

use super::SynthParams;
use super::calendar::{END, START, ts_string};
use super::campaigns::Campaigns;
use super::spec::{
    ACTIVITIES, AGE_BINS, AMOUNT_BASE, AMOUNT_EMPLOYEES_EXP, AMOUNT_SIGMA, COUNTRIES,
    DISPLAY_COST_PER_LEAD, EMPLOYEES_CENTER_LOG10, EMPLOYEES_COEF, EMPLOYEES_MISSING_EFFECT,
    EMPLOYEES_MISSING_SHARE, EXISTING_CUSTOMER_EFFECT, EXISTING_CUSTOMER_SHARE,
    FOUNDED_MISSING_EFFECT, FOUNDED_MISSING_SHARE, HALF_LIFE_DAYS, HORIZON_DAYS, INDUSTRIES,
    INTERCEPT, LATE_WIN_MAX_DAYS, LATE_WIN_MIN_DAYS, LATE_WIN_SHARE, MISSING,
    NEVER_ANSWERED_EFFECT, NOTES_WON_CLOSED, NOTES_WON_OPEN, PLATFORMS, REVENUE_MISSING_EFFECT,
    REVENUE_MISSING_SHARE, SCORING_OFFSET_DAYS, SOURCES, SPEED_BUCKETS, SPEND_ONLY_SOURCE,
    TIME_TO_WIN_MEDIAN_DAYS, TIME_TO_WIN_SIGMA, TITLE_MISSING_EFFECT, TITLES,
    WON_WITH_EARLIER_LOST_SHARE,
};

/// Realised counts of the truth population, written to truth.json.
#[derive(Serialize, Default, Clone)]
pub(super) struct Realised {
    pub(super) leads_written: u64,
    pub(super) lead_rows_in_file: u64,
    pub(super) planted_won: u64,
    pub(super) planted_won_rate: f64,
    pub(super) won_within_horizon: u64,
    pub(super) won_after_horizon: u64,
    pub(super) won_open_at_end: u64,
    pub(super) won_deal_not_yet_created: u64,
    pub(super) lost_deals: u64,
    pub(super) lost_open_at_end: u64,
    pub(super) leads_with_two_deals: u64,
    pub(super) immature_leads: u64,
    pub(super) mature_leads: u64,
    pub(super) mature_won_within_horizon: u64,
    pub(super) mature_conversion_rate: f64,
    pub(super) existing_customer_leads: u64,
    pub(super) first_response_blank_after_end: u64,
    pub(super) deals_clean: u64,
    pub(super) activities_clean: u64,
    pub(super) leakage_activities: u64,
}

#[derive(Serialize)]
pub(super) struct Truth {
    seed: u64,
    leads: u64,
    /// The shape knobs, only when one differs from 1 (so default output is unchanged).
    #[serde(skip_serializing_if = "Option::is_none")]
    activity_rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lost_deal_rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    shape_note: Option<&'static str>,
    date_range: DateRange,
    end_date: String,
    effect_scale: &'static str,
    outcome_model: &'static str,
    intercept: f64,
    horizon_days: i64,
    scoring_offset_days: i64,
    half_life_days: f64,
    engagement_formula: &'static str,
    activity_weights: BTreeMap<String, f64>,
    missing_category_key: &'static str,
    categorical_effects: BTreeMap<String, BTreeMap<String, f64>>,
    campaign_effects: &'static str,
    employees: EmployeesTruth,
    annual_revenue: RevenueTruth,
    company_founded_year: FoundedTruth,
    speed_to_lead: SpeedTruth,
    existing_customers: ExistingTruth,
    time_to_win: TimeToWinTruth,
    late_win_share: f64,
    leaky_column: LeakyTruth,
    leakage_activities: &'static str,
    no_effect_trait: &'static str,
    non_monotonic_trait: &'static str,
    identity_columns: Vec<&'static str>,
    amount_formula: &'static str,
    amount_params: BTreeMap<String, f64>,
    spend: SpendTruth,
    malformed: BTreeMap<String, u64>,
    malformed_note: &'static str,
    realised_definitions: &'static str,
    realised: Realised,
}

#[derive(Serialize)]
struct DateRange {
    start: String,
    end: String,
}

#[derive(Serialize)]
struct EmployeesTruth {
    formula: &'static str,
    coefficient_per_log10: f64,
    center_log10: f64,
    missing_effect: f64,
    missing_share: f64,
    employee_band: &'static str,
}

#[derive(Serialize)]
struct RevenueTruth {
    formula: &'static str,
    missing_effect: f64,
    value_effect: f64,
    missing_share: f64,
    generation: &'static str,
}

#[derive(Serialize)]
struct AgeBin {
    min_age: i64,
    max_age: i64,
    effect: f64,
}

#[derive(Serialize)]
struct FoundedTruth {
    formula: &'static str,
    bins: Vec<AgeBin>,
    missing_effect: f64,
    missing_share: f64,
}

#[derive(Serialize)]
struct SpeedBucket {
    bucket: &'static str,
    min_hours: f64,
    /// `None` = unbounded.
    max_hours: Option<f64>,
    effect: f64,
}

#[derive(Serialize)]
struct SpeedTruth {
    formula: &'static str,
    reference_bucket: &'static str,
    buckets: Vec<SpeedBucket>,
    never_answered_effect: f64,
}

#[derive(Serialize)]
struct ExistingTruth {
    effect: f64,
    share: f64,
    planted: u64,
    planted_by_rule: BTreeMap<String, u64>,
    rule_definition: &'static str,
    normalisation: &'static str,
}

#[derive(Serialize)]
struct TimeToWinTruth {
    formula: &'static str,
    median_days: f64,
    sigma: f64,
    late_min_days: f64,
    late_max_days: f64,
    won_with_earlier_lost_deal_share: f64,
}

#[derive(Serialize)]
struct LeakyTruth {
    column: &'static str,
    won_like_values: Vec<&'static str>,
    description: &'static str,
}

#[derive(Serialize)]
struct SpendTruth {
    formula: &'static str,
    cost_per_lead: BTreeMap<String, f64>,
    source_without_spend: &'static str,
    source_without_leads: &'static str,
    campaigns: usize,
}

/// truth.json's note when the shape knobs are not 1.
const SHAPE_NOTE: &str = "activity_rate multiplies every activity type's Poisson base rate (leakage activities and malformed rows excepted); lost_deal_rate multiplies the probability of every planted lost deal (not-won leads' lost deal, won leads' earlier lost deal; capped at 1). The planted effects and the intercept above are the formula truth and were not re-tuned, so the realised conversion differs from the default shape (see realised)";

pub(super) fn build_truth(
    params: &SynthParams,
    campaigns: &Campaigns,
    realised: Realised,
    planted_by_rule: BTreeMap<String, u64>,
    malformed: BTreeMap<String, u64>,
) -> Truth {
    let named = |it: &mut dyn Iterator<Item = (&'static str, f64)>| -> BTreeMap<String, f64> {
        it.map(|(k, v)| (k.to_string(), v)).collect()
    };
    let mut categorical = BTreeMap::new();
    categorical.insert(
        "source".to_string(),
        named(&mut SOURCES.iter().map(|s| (s.name, s.effect))),
    );
    categorical.insert(
        "industry".to_string(),
        named(&mut INDUSTRIES.iter().map(|i| (i.0, i.2))),
    );
    categorical.insert(
        "country".to_string(),
        named(&mut COUNTRIES.iter().map(|c| (c.code, c.effect))),
    );
    categorical.insert(
        "job_title_level".to_string(),
        named(
            &mut TITLES
                .iter()
                .map(|t| (t.0, t.2))
                .chain([(MISSING, TITLE_MISSING_EFFECT)]),
        ),
    );
    categorical.insert(
        "website_platform".to_string(),
        named(&mut PLATFORMS.iter().map(|p| (p.0, 0.0))),
    );
    let mut won_like: Vec<&'static str> = NOTES_WON_CLOSED
        .iter()
        .chain(&NOTES_WON_OPEN)
        .copied()
        .collect();
    won_like.sort_unstable();
    won_like.dedup();
    let mut cost_per_lead: BTreeMap<String, f64> = SOURCES
        .iter()
        .filter(|s| s.cost_per_lead > 0.0)
        .map(|s| (s.name.to_string(), s.cost_per_lead))
        .collect();
    cost_per_lead.insert(SPEND_ONLY_SOURCE.to_string(), DISPLAY_COST_PER_LEAD);
    let shaped = params.activity_rate != 1.0 || params.lost_deal_rate != 1.0;
    Truth {
        seed: params.seed,
        leads: params.leads as u64,
        activity_rate: shaped.then_some(params.activity_rate),
        lost_deal_rate: shaped.then_some(params.lost_deal_rate),
        shape_note: shaped.then_some(SHAPE_NOTE),
        date_range: DateRange {
            start: ts_string(START),
            end: ts_string(END),
        },
        end_date: ts_string(END),
        effect_scale: "log-odds",
        outcome_model: "won ~ Bernoulli(sigmoid(intercept + source + industry + country + job_title_level + employees + annual_revenue(missing) + company_founded_year(age) + speed_to_lead + engagement + existing_customer)); website_platform and campaign add 0",
        intercept: INTERCEPT,
        horizon_days: HORIZON_DAYS,
        scoring_offset_days: SCORING_OFFSET_DAYS,
        half_life_days: HALF_LIFE_DAYS,
        engagement_formula: "sum over the lead's clean activities with occurred_at < created_at + scoring_offset_days of w_type * 2^(-(scoring_date - occurred_at) / half_life_days), time in days",
        activity_weights: named(&mut ACTIVITIES.iter().map(|a| (a.name, a.weight))),
        missing_category_key: MISSING,
        categorical_effects: categorical,
        campaign_effects: "0 for every campaign: campaign carries no effect beyond its source",
        employees: EmployeesTruth {
            formula: "coefficient_per_log10 * (log10(employees) - center_log10); missing => missing_effect",
            coefficient_per_log10: EMPLOYEES_COEF,
            center_log10: EMPLOYEES_CENTER_LOG10,
            missing_effect: EMPLOYEES_MISSING_EFFECT,
            missing_share: EMPLOYEES_MISSING_SHARE,
            employee_band: "derived from employees (1-10, 11-50, 51-200, 201-1000, 1001-5000, 5000+), empty when employees missing; no effect of its own",
        },
        annual_revenue: RevenueTruth {
            formula: "missing => missing_effect; present => 0 (the value has no effect beyond its correlation with employees)",
            missing_effect: REVENUE_MISSING_EFFECT,
            value_effect: 0.0,
            missing_share: REVENUE_MISSING_SHARE,
            generation: "employees_true * 120000 * exp(0.7 * Z); 40% of values rounded to whole thousands",
        },
        company_founded_year: FoundedTruth {
            formula: "age = year(created_at) - company_founded_year; effect = bin effect with min_age <= age <= max_age (inverted U); missing => missing_effect",
            bins: AGE_BINS
                .iter()
                .map(|b| AgeBin {
                    min_age: b.0,
                    max_age: b.1,
                    effect: b.3,
                })
                .collect(),
            missing_effect: FOUNDED_MISSING_EFFECT,
            missing_share: FOUNDED_MISSING_SHARE,
        },
        speed_to_lead: SpeedTruth {
            formula: "delay = first_response_at - created_at; effect of the bucket with min_hours <= delay < max_hours; never answered => never_answered_effect. The effect uses the drawn delay: first_response_at is blank when the response would fall after end_date (see realised.first_response_blank_after_end)",
            reference_bucket: "1-7d",
            buckets: SPEED_BUCKETS
                .iter()
                .map(|b| SpeedBucket {
                    bucket: b.0,
                    min_hours: b.1,
                    max_hours: b.2.is_finite().then_some(b.2),
                    effect: b.3,
                })
                .collect(),
            never_answered_effect: NEVER_ANSWERED_EFFECT,
        },
        existing_customers: ExistingTruth {
            effect: EXISTING_CUSTOMER_EFFECT,
            share: EXISTING_CUSTOMER_SHARE,
            planted: realised.existing_customer_leads,
            planted_by_rule,
            rule_definition: "each planted lead is recognisable by the first of: domain (decorated customer domain; e-mail also at the customer domain), email (domain column empty, e-mail at the customer domain), company (domain empty, free-mail e-mail, company name variant only); company is always a variant of the customer's name. No other lead matches any customer by any rule",
            normalisation: "domain: lower-case, strip scheme, 'www.' and any path; email: the part after '@', lower-case; company: case-insensitive, legal suffix (AB, Sp. z o.o., S.A., GmbH, AG, Ltd, PLC, Inc., LLC, Corp., AS, ASA, A/S, ApS, Oy, Oyj and their variants) and punctuation removed",
        },
        time_to_win: TimeToWinTruth {
            formula: "with probability late_win_share uniform(late_min_days, late_max_days), else median_days * exp(sigma * Z) clamped to [5, 175] days; closed_at = lead created_at + time to win; closed after end_date => status open, closed_at empty",
            median_days: TIME_TO_WIN_MEDIAN_DAYS,
            sigma: TIME_TO_WIN_SIGMA,
            late_min_days: LATE_WIN_MIN_DAYS,
            late_max_days: LATE_WIN_MAX_DAYS,
            won_with_earlier_lost_deal_share: WON_WITH_EARLIER_LOST_SHARE,
        },
        late_win_share: LATE_WIN_SHARE,
        leaky_column: LeakyTruth {
            column: "sales_note_status",
            won_like_values: won_like,
            description: "filled only for leads answered by end_date; won leads get a won-like value 97.5% of the time, other leads 1.5%; not-won leads are 8% empty",
        },
        leakage_activities: "won leads get 1 + Poisson(1.5) extra meeting/reply/email_click/page_view activities between close - 21 d and close + 3 d, always after the scoring date (the only activities outside created_at - 30 d .. created_at + 60 d): they carry no planted effect",
        no_effect_trait: "website_platform",
        non_monotonic_trait: "company_founded_year",
        identity_columns: vec!["lead_id", "company", "email", "domain", "contact_name"],
        amount_formula: "amount = base * employees_true^employees_exponent * exp(sigma * Z), Z ~ N(0,1), employees_true also when the employees column is missing; 2 decimals",
        amount_params: [
            ("base".to_string(), AMOUNT_BASE),
            ("employees_exponent".to_string(), AMOUNT_EMPLOYEES_EXP),
            ("sigma".to_string(), AMOUNT_SIGMA),
        ]
        .into_iter()
        .collect(),
        spend: SpendTruth {
            formula: "per campaign and active month: cost_per_lead * (leads of that campaign in the month + 10% of the source's average monthly leads per campaign) * exp(0.08 * Z); display_ads (no leads): its cost_per_lead * total leads / 30 per campaign and month; event campaigns only have spend in their season (Mar-May, Sep-Nov)",
            cost_per_lead,
            source_without_spend: "referral",
            source_without_leads: SPEND_ONLY_SOURCE,
            campaigns: campaigns.list.len(),
        },
        malformed,
        malformed_note: "extra rows, not part of the truth population: leads with unparseable created_at (fresh ids above the population), duplicate lead_id rows (an earlier lead's row with one field changed), deals and activities for lead ids that exist nowhere, extra 'lost' deals with negative or non-numeric amounts on real leads, activities with unparseable occurred_at on real leads",
        realised_definitions: "over the truth population (malformed rows excluded): planted_won = drawn outcome; won_within_horizon / won_after_horizon = won deals in deals.csv closed at most / more than horizon_days after the lead's created_at; won_open_at_end = planted wins whose deal is still open at end_date; won_deal_not_yet_created = planted wins whose deal would be created after end_date (no row); immature_leads = created after end_date - horizon_days; mature_conversion_rate = mature leads with a win within the horizon / mature leads",
        realised,
    }
}
