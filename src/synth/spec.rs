//! The planted truth: the outcome model's constants (every effect, share and rate; the
//! single source of the numbers truth.json records) and the effect functions that apply
//! them to a lead.

use super::calendar::{DAY, HOUR, year_of};
use super::identity::MatchRule;
use super::lead::{Act, Lead};

/// Fixed intercept of the outcome model, tuned once for ~10% planted conversion.
pub(super) const INTERCEPT: f64 = -3.05;
/// Outcome horizon written to leadtune.toml.
pub(super) const HORIZON_DAYS: i64 = 180;
/// A lead is scored at created_at + this many days; only earlier activities count.
pub(super) const SCORING_OFFSET_DAYS: i64 = 7;
/// Half-life of an activity's contribution to the engagement effect.
pub(super) const HALF_LIFE_DAYS: f64 = 14.0;
/// Key used in truth.json for the "value missing" category.
pub(super) const MISSING: &str = "(missing)";

/// Lead source: volume, planted effect, response behaviour and marketing cost.
pub(super) struct SourceSpec {
    pub(super) name: &'static str,
    /// Share of leads (event leads are additionally seasonal).
    pub(super) weight: f64,
    /// Planted log-odds effect on winning (web_form is the reference, 0).
    pub(super) effect: f64,
    /// Probability that the lead is never answered.
    pub(super) never_answered: f64,
    /// Median first-response delay in hours (log-normal, sigma [`RESPONSE_SIGMA`]).
    pub(super) median_response_hours: f64,
    /// Marketing cost per lead behind spend.csv (0 = no spend rows).
    pub(super) cost_per_lead: f64,
    /// Campaign names; event campaigns are generated per season, referral has none.
    pub(super) campaigns: &'static [&'static str],
}

pub(super) const SOURCES: [SourceSpec; 7] = [
    SourceSpec {
        name: "web_form",
        weight: 0.27,
        effect: 0.0,
        never_answered: 0.05,
        median_response_hours: 0.6,
        cost_per_lead: 35.0,
        campaigns: &[
            "web_form_demo_request",
            "web_form_contact",
            "web_form_content",
        ],
    },
    SourceSpec {
        name: "paid_search",
        weight: 0.20,
        effect: -0.15,
        never_answered: 0.07,
        median_response_hours: 1.2,
        cost_per_lead: 90.0,
        campaigns: &[
            "paid_search_brand",
            "paid_search_generic",
            "paid_search_competitor",
        ],
    },
    SourceSpec {
        name: "purchased_list",
        weight: 0.15,
        effect: -1.0,
        never_answered: 0.25,
        median_response_hours: 70.0,
        cost_per_lead: 6.0,
        campaigns: &[
            "purchased_list_nordics",
            "purchased_list_dach",
            "purchased_list_global",
        ],
    },
    SourceSpec {
        name: "event",
        weight: 0.10,
        effect: 0.2,
        never_answered: 0.10,
        median_response_hours: 20.0,
        cost_per_lead: 400.0,
        campaigns: &[],
    },
    SourceSpec {
        name: "webinar",
        weight: 0.10,
        effect: 0.1,
        never_answered: 0.08,
        median_response_hours: 8.0,
        cost_per_lead: 60.0,
        campaigns: &[
            "webinar_product_tour",
            "webinar_roi_masterclass",
            "webinar_industry_panel",
        ],
    },
    SourceSpec {
        name: "referral",
        weight: 0.07,
        effect: 0.9,
        never_answered: 0.04,
        median_response_hours: 3.0,
        cost_per_lead: 0.0,
        campaigns: &[],
    },
    SourceSpec {
        name: "partner",
        weight: 0.11,
        effect: 0.4,
        never_answered: 0.06,
        median_response_hours: 5.0,
        cost_per_lead: 120.0,
        campaigns: &["partner_resellers", "partner_integrations"],
    },
];
pub(super) const SRC_PURCHASED_LIST: usize = 2;
pub(super) const SRC_EVENT: usize = 3;
/// Spread of the log-normal first-response delay.
pub(super) const RESPONSE_SIGMA: f64 = 1.3;
/// A source with spend but no leads.
pub(super) const SPEND_ONLY_SOURCE: &str = "display_ads";
pub(super) const SPEND_ONLY_CAMPAIGNS: [&str; 2] =
    ["display_ads_retargeting", "display_ads_prospecting"];
/// Monthly display spend per campaign = this × leads / 30.
pub(super) const DISPLAY_COST_PER_LEAD: f64 = 2.5;

/// Industry: (name, share, planted log-odds effect).
pub(super) const INDUSTRIES: [(&str, f64, f64); 9] = [
    ("Software", 0.20, 0.55),
    ("Manufacturing", 0.16, 0.10),
    ("Retail", 0.12, -0.30),
    ("Finance", 0.10, 0.35),
    ("Healthcare", 0.09, 0.15),
    ("Logistics", 0.09, -0.05),
    ("Education", 0.07, -0.45),
    ("Public sector", 0.06, -0.70),
    ("Other", 0.11, -0.20),
];

/// Country: share, planted effect, and what identities look like there.
pub(super) struct CountrySpec {
    pub(super) code: &'static str,
    pub(super) weight: f64,
    pub(super) effect: f64,
    pub(super) tld: &'static str,
    pub(super) suffixes: &'static [&'static str],
    pub(super) alt_suffixes: &'static [&'static str],
    pub(super) free_mail: &'static [&'static str],
    pub(super) first_names: &'static [&'static str],
    pub(super) last_names: &'static [&'static str],
}

const GLOBAL_FREE_MAIL: &[&str] = &["gmail.com", "outlook.com", "hotmail.com", "yahoo.com"];

#[rustfmt::skip]
pub(super) const COUNTRIES: [CountrySpec; 8] = [
    CountrySpec {
        code: "SE",
        weight: 0.18,
        effect: 0.25,
        tld: "se",
        suffixes: &["AB"],
        alt_suffixes: &["Aktiebolag", "AB (publ)"],
        free_mail: GLOBAL_FREE_MAIL,
        first_names: &["Åsa", "Erik", "Anna", "Lars", "Björn", "Karin", "Johan", "Sofia", "Märta", "Göran", "Ingrid", "Magnus", "Linnéa", "Pär"],
        last_names: &["Öberg", "Andersson", "Johansson", "Lindström", "Sjöberg", "Ekström", "Nyström", "Åkesson", "Karlsson", "Bergqvist", "Håkansson", "Söderberg"],
    },
    CountrySpec {
        code: "PL",
        weight: 0.12,
        effect: -0.25,
        tld: "pl",
        suffixes: &["Sp. z o.o.", "S.A."],
        alt_suffixes: &["sp. z o.o.", "SA", "Spółka z o.o."],
        free_mail: &["wp.pl", "o2.pl", "gmail.com", "outlook.com"],
        first_names: &["Łukasz", "Agnieszka", "Paweł", "Małgorzata", "Krzysztof", "Zofia", "Michał", "Katarzyna", "Wojciech", "Joanna", "Tomasz", "Bożena"],
        last_names: &["Wójcik", "Nowak", "Kaczmarek", "Mazur", "Krawczyk", "Woźniak", "Dudek", "Wróbel", "Pietrzak", "Sikora", "Król", "Zając"],
    },
    CountrySpec {
        code: "DE",
        weight: 0.16,
        effect: 0.10,
        tld: "de",
        suffixes: &["GmbH", "AG"],
        alt_suffixes: &["Gmbh", "GmbH & Co. KG", "AG"],
        free_mail: GLOBAL_FREE_MAIL,
        first_names: &["Jürgen", "Anna", "Lukas", "Sabine", "Matthias", "Jörg", "Ursula", "Stefan", "Katrin", "Günther", "Petra", "Jan"],
        last_names: &["Müller", "Schröder", "Köhler", "Weiß", "Groß", "Schmidt", "Fischer", "Becker", "Hoffmann", "Schäfer", "Krüger", "Wagner"],
    },
    CountrySpec {
        code: "UK",
        weight: 0.15,
        effect: 0.0,
        tld: "co.uk",
        suffixes: &["Ltd", "PLC"],
        alt_suffixes: &["Limited", "Ltd.", "plc"],
        free_mail: GLOBAL_FREE_MAIL,
        first_names: &["Oliver", "Emma", "James", "Charlotte", "Harry", "Sophie", "George", "Amelia", "William", "Grace", "Siobhán", "Rhys"],
        last_names: &["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas", "Roberts", "Walker", "O'Brien", "Hughes"],
    },
    CountrySpec {
        code: "US",
        weight: 0.22,
        effect: -0.15,
        tld: "com",
        suffixes: &["Inc.", "LLC", "Corp."],
        alt_suffixes: &["Inc", "Incorporated", "Corporation", "L.L.C."],
        free_mail: GLOBAL_FREE_MAIL,
        first_names: &["Michael", "Jennifer", "David", "Sarah", "Robert", "Jessica", "Chris", "Ashley", "Daniel", "Emily", "José", "Zoë"],
        last_names: &["Johnson", "Miller", "Davis", "Garcia", "Rodriguez", "Martinez", "Anderson", "Thompson", "White", "Harris", "Clark", "Lewis"],
    },
    CountrySpec {
        code: "NO",
        weight: 0.07,
        effect: 0.20,
        tld: "no",
        suffixes: &["AS", "ASA"],
        alt_suffixes: &["A/S", "as"],
        free_mail: GLOBAL_FREE_MAIL,
        first_names: &["Øyvind", "Ingrid", "Bjørn", "Kari", "Ståle", "Solveig", "Håkon", "Siri", "Torbjørn", "Ragnhild"],
        last_names: &["Sørensen", "Hansen", "Johansen", "Olsen", "Løvås", "Bråthen", "Dahl", "Haugen", "Næss", "Strøm"],
    },
    CountrySpec {
        code: "DK",
        weight: 0.05,
        effect: 0.05,
        tld: "dk",
        suffixes: &["A/S", "ApS"],
        alt_suffixes: &["AS", "Aps"],
        free_mail: GLOBAL_FREE_MAIL,
        first_names: &["Søren", "Mette", "Jørgen", "Lærke", "Rasmus", "Signe", "Anders", "Birgitte", "Mads", "Ida"],
        last_names: &["Jørgensen", "Nørgaard", "Pedersen", "Nielsen", "Kjær", "Sørensen", "Mølgaard", "Rasmussen", "Thomsen", "Dalsgaard"],
    },
    CountrySpec {
        code: "FI",
        weight: 0.05,
        effect: -0.05,
        tld: "fi",
        suffixes: &["Oy", "Oyj"],
        alt_suffixes: &["OY", "Ab Oy"],
        free_mail: GLOBAL_FREE_MAIL,
        first_names: &["Jyrki", "Päivi", "Tuomas", "Sanna", "Jukka", "Kirsi", "Mikko", "Eeva", "Ville", "Hanna"],
        last_names: &["Mäkinen", "Virtanen", "Hämäläinen", "Äijälä", "Korhonen", "Nieminen", "Heikkinen", "Järvinen", "Lehtonen", "Kärkkäinen"],
    },
];

/// Job title level: (name, share, planted effect). The rest of the mass is missing.
pub(super) const TITLES: [(&str, f64, f64); 5] = [
    ("C-level", 0.08, 0.60),
    ("VP", 0.10, 0.40),
    ("Director", 0.16, 0.25),
    ("Manager", 0.27, 0.0),
    ("Individual Contributor", 0.27, -0.40),
];
pub(super) const TITLE_MISSING_SHARE: f64 = 0.12;
/// Planted effect of a missing job title level.
pub(super) const TITLE_MISSING_EFFECT: f64 = -0.30;

/// Website platform: (name, share). Planted effect: none at all.
pub(super) const PLATFORMS: [(&str, f64); 6] = [
    ("WordPress", 0.36),
    ("Custom", 0.22),
    ("Shopify", 0.12),
    ("HubSpot CMS", 0.12),
    ("Wix", 0.09),
    ("Squarespace", 0.09),
];

/// Employees: log-normal head count (median, sigma of ln), clipped to [1, 250000].
pub(super) const EMPLOYEES_MEDIAN: f64 = 50.0;
pub(super) const EMPLOYEES_SIGMA: f64 = 1.8;
pub(super) const EMPLOYEES_MISSING_SHARE: f64 = 0.08;
/// Planted: `EMPLOYEES_COEF * (log10(employees) - EMPLOYEES_CENTER_LOG10)`.
pub(super) const EMPLOYEES_COEF: f64 = 0.35;
pub(super) const EMPLOYEES_CENTER_LOG10: f64 = 2.0;
/// Planted effect of missing employees.
pub(super) const EMPLOYEES_MISSING_EFFECT: f64 = -0.30;

/// Revenue: `employees_true × REVENUE_PER_EMPLOYEE × exp(REVENUE_SIGMA × Z)`.
pub(super) const REVENUE_PER_EMPLOYEE: f64 = 120_000.0;
pub(super) const REVENUE_SIGMA: f64 = 0.7;
pub(super) const REVENUE_MISSING_SHARE: f64 = 0.20;
/// Planted: missing revenue => this effect; the revenue value itself has no effect.
pub(super) const REVENUE_MISSING_EFFECT: f64 = -0.40;

/// Company age bins (age = created year − founded year): (min, max inclusive, share, effect).
pub(super) const AGE_BINS: [(i64, i64, f64, f64); 5] = [
    (0, 2, 0.12, -0.50),
    (3, 4, 0.08, -0.10),
    (5, 20, 0.45, 0.30),
    (21, 50, 0.22, 0.0),
    (51, 150, 0.13, -0.40),
];
pub(super) const FOUNDED_MISSING_SHARE: f64 = 0.04;
/// Planted effect of a missing founded year.
pub(super) const FOUNDED_MISSING_EFFECT: f64 = 0.0;

/// Speed to lead: (label, lower bound hours, upper bound hours, effect), relative to 1-7d.
pub(super) const SPEED_BUCKETS: [(&str, f64, f64, f64); 5] = [
    ("<1h", 0.0, 1.0, 0.6),
    ("1-4h", 1.0, 4.0, 0.3),
    ("4-24h", 4.0, 24.0, 0.1),
    ("1-7d", 24.0, 168.0, 0.0),
    (">7d", 168.0, f64::INFINITY, -0.2),
];
/// Planted effect of never being answered.
pub(super) const NEVER_ANSWERED_EFFECT: f64 = -0.6;

/// Share of leads that are existing customers, and their planted effect.
pub(super) const EXISTING_CUSTOMER_SHARE: f64 = 0.03;
pub(super) const EXISTING_CUSTOMER_EFFECT: f64 = 1.5;
/// How existing-customer leads are spelled: (rule, share).
pub(super) const MATCH_RULES: [(MatchRule, f64); 3] = [
    (MatchRule::Domain, 0.4),
    (MatchRule::Email, 0.3),
    (MatchRule::Company, 0.3),
];

/// Activity type and its engagement weight.
pub(super) struct ActivitySpec {
    pub(super) name: &'static str,
    /// Planted engagement weight `w_type`.
    pub(super) weight: f64,
    /// Mean count per lead at average intent.
    pub(super) base_rate: f64,
    /// Count rises as `intent^elasticity`.
    pub(super) elasticity: f64,
    /// Share of this type occurring before the lead was created.
    pub(super) pre_share: f64,
}

pub(super) const ACTIVITIES: [ActivitySpec; 8] = [
    ActivitySpec {
        name: "page_view",
        weight: 0.05,
        base_rate: 4.9,
        elasticity: 1.0,
        pre_share: 0.35,
    },
    ActivitySpec {
        name: "download",
        weight: 0.25,
        base_rate: 0.45,
        elasticity: 1.2,
        pre_share: 0.2,
    },
    ActivitySpec {
        name: "email_open",
        weight: 0.03,
        base_rate: 1.5,
        elasticity: 0.8,
        pre_share: 0.0,
    },
    ActivitySpec {
        name: "email_click",
        weight: 0.2,
        base_rate: 0.45,
        elasticity: 1.2,
        pre_share: 0.0,
    },
    ActivitySpec {
        name: "form_submit",
        weight: 0.4,
        base_rate: 0.3,
        elasticity: 1.2,
        pre_share: 0.1,
    },
    ActivitySpec {
        name: "event_attended",
        weight: 0.5,
        base_rate: 0.12,
        elasticity: 1.3,
        pre_share: 0.1,
    },
    ActivitySpec {
        name: "meeting",
        weight: 0.9,
        base_rate: 0.2,
        elasticity: 1.6,
        pre_share: 0.0,
    },
    ActivitySpec {
        name: "reply",
        weight: 0.7,
        base_rate: 0.25,
        elasticity: 1.5,
        pre_share: 0.0,
    },
];
pub(super) const ACT_PAGE_VIEW: u8 = 0;
pub(super) const ACT_DOWNLOAD: u8 = 1;
pub(super) const ACT_EMAIL_CLICK: u8 = 3;
pub(super) const ACT_MEETING: u8 = 6;
pub(super) const ACT_REPLY: u8 = 7;
/// Latent intent: log-normal with mean 1 and this sigma of ln.
pub(super) const INTENT_SIGMA: f64 = 0.8;
/// Activities happen from created − 30 days to created + 60 days.
pub(super) const ACTIVITY_PRE_DAYS: i64 = 30;
pub(super) const ACTIVITY_POST_DAYS: i64 = 60;
/// Post-creation activity offsets: exponential with this mean, truncated at 60 days.
pub(super) const ACTIVITY_POST_MEAN_DAYS: f64 = 14.0;

pub(super) const PAGE_PATHS: [&str; 12] = [
    "/",
    "/pricing",
    "/product",
    "/product/integrations",
    "/customers",
    "/about",
    "/contact",
    "/demo",
    "/blog/lead-scoring-101",
    "/blog/crm-hygiene-checklist",
    "/blog/pipeline-forecasting",
    "/blog/b2b-benchmarks-2024",
];
pub(super) const ASSETS: [&str; 5] = [
    "whitepaper-roi-2024.pdf",
    "case-study-logistics.pdf",
    "buyers-guide.pdf",
    "product-datasheet.pdf",
    "gdpr-checklist.pdf",
];

/// Deals: late wins, two-deal leads, lost deals.
pub(super) const LATE_WIN_SHARE: f64 = 0.07;
pub(super) const TIME_TO_WIN_MEDIAN_DAYS: f64 = 50.0;
pub(super) const TIME_TO_WIN_SIGMA: f64 = 0.5;
pub(super) const LATE_WIN_MIN_DAYS: f64 = 200.0;
pub(super) const LATE_WIN_MAX_DAYS: f64 = 400.0;
pub(super) const WON_WITH_EARLIER_LOST_SHARE: f64 = 0.06;
/// Leads that are not won reach MQL with probability `sigmoid(logit + MQL_LOGIT_SHIFT)`
/// and then SQL with `sigmoid(logit + SQL_LOGIT_SHIFT)` (logit = planted log-odds).
pub(super) const MQL_LOGIT_SHIFT: f64 = 1.9;
pub(super) const SQL_LOGIT_SHIFT: f64 = 1.0;
pub(super) const LOST_DEAL_SHARE_IF_SQL: f64 = 0.8;
pub(super) const LOST_DEAL_SHARE_OTHERWISE: f64 = 0.22;
/// Amount: `AMOUNT_BASE × employees_true^AMOUNT_EMPLOYEES_EXP × exp(AMOUNT_SIGMA × Z)`.
pub(super) const AMOUNT_BASE: f64 = 4000.0;
pub(super) const AMOUNT_EMPLOYEES_EXP: f64 = 0.45;
pub(super) const AMOUNT_SIGMA: f64 = 0.5;

/// sales_note_status values: the leaky column.
pub(super) const NOTES_WON_CLOSED: [&str; 3] =
    ["closed won", "qualified - meeting held", "contract signed"];
pub(super) const NOTES_WON_OPEN: [&str; 3] =
    ["qualified - meeting held", "proposal sent", "negotiation"];
pub(super) const NOTES_LOST_DEAL: [&str; 3] = ["lost to competitor", "no budget", "not interested"];
pub(super) const NOTES_NO_DEAL: [&str; 5] = [
    "not interested",
    "no budget",
    "bad timing",
    "unresponsive",
    "wrong contact",
];
pub(super) const NOTE_WON_LIKE_FOR_WON: f64 = 0.975;
pub(super) const NOTE_WON_LIKE_FOR_NOT_WON: f64 = 0.015;
pub(super) const NOTE_EMPTY_FOR_NOT_WON: f64 = 0.08;

/// Malformed extra rows: (kind, rate per lead). At least [`MALFORMED_MIN`] of each.
pub(super) const MALFORMED_KINDS: [(&str, f64); 7] = [
    ("leads_bad_created_at", 0.007),
    ("leads_duplicate_id", 0.008),
    ("deals_unknown_lead", 0.005),
    ("deals_negative_amount", 0.003),
    ("deals_non_numeric_amount", 0.003),
    ("activities_unknown_lead", 0.015),
    ("activities_bad_occurred_at", 0.015),
];
pub(super) const MALFORMED_MIN: u64 = 5;
pub(super) const M_BAD_CREATED: usize = 0;
pub(super) const M_DUPLICATE: usize = 1;
pub(super) const M_DEAL_UNKNOWN: usize = 2;
pub(super) const M_DEAL_NEGATIVE: usize = 3;
pub(super) const M_DEAL_NON_NUMERIC: usize = 4;
pub(super) const M_ACT_UNKNOWN: usize = 5;
pub(super) const M_ACT_BAD_TIME: usize = 6;
pub(super) const BAD_CREATED_VALUES: [&str; 3] = ["2024-13-45", "yesterday", ""];
pub(super) const BAD_AMOUNTS: [&str; 3] = ["n/a", "TBD", "N/A"];
pub(super) const BAD_OCCURRED_VALUES: [&str; 4] = [
    "2024-02-30T10:00:00",
    "2024-06-31T25:61:00",
    "not a date",
    "",
];
/// Number of earlier lead rows kept for making duplicates.
pub(super) const RESERVOIR_SIZE: usize = 256;

pub(super) fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Planted: `0.35 × (log10(employees) − 2)`; missing employees: −0.3.
fn employees_effect(employees: Option<u32>) -> f64 {
    match employees {
        Some(e) => EMPLOYEES_COEF * (f64::from(e.max(1)).log10() - EMPLOYEES_CENTER_LOG10),
        None => EMPLOYEES_MISSING_EFFECT,
    }
}

/// Planted: only missingness of annual_revenue matters (−0.4); the value has no effect.
fn revenue_effect(revenue: Option<f64>) -> f64 {
    if revenue.is_some() {
        0.0
    } else {
        REVENUE_MISSING_EFFECT
    }
}

/// Planted inverted U on company age (see [`AGE_BINS`]); missing founded year: 0.
fn founded_effect(age: Option<i64>) -> f64 {
    match age {
        None => FOUNDED_MISSING_EFFECT,
        Some(age) => {
            AGE_BINS
                .iter()
                .find(|b| age <= b.1)
                .unwrap_or(&AGE_BINS[AGE_BINS.len() - 1])
                .3
        }
    }
}

/// Planted speed-to-lead effect of the first-response delay (seconds); `None` = never.
fn speed_effect(delay: Option<i64>) -> f64 {
    match delay {
        None => NEVER_ANSWERED_EFFECT,
        Some(secs) => {
            let hours = secs as f64 / HOUR as f64;
            SPEED_BUCKETS
                .iter()
                .find(|b| hours < b.2)
                .map_or(0.0, |b| b.3)
        }
    }
}

/// Planted engagement: Σ over activities before `scoring` of
/// `w_type × 2^(−(scoring − occurred_at) / half_life)`.
pub(super) fn engagement_effect(acts: &[Act], scoring: i64) -> f64 {
    let half_life = HALF_LIFE_DAYS * DAY as f64;
    acts.iter()
        .filter(|a| a.t < scoring)
        .map(|a| {
            ACTIVITIES[a.kind as usize].weight * (-((scoring - a.t) as f64) / half_life).exp2()
        })
        .sum()
}

/// Sum of all planted trait effects of a lead (everything except engagement).
pub(super) fn trait_effects(lead: &Lead) -> f64 {
    let mut x = SOURCES[lead.source].effect
        + INDUSTRIES[lead.industry].2
        + COUNTRIES[lead.country].effect
        + employees_effect(lead.employees)
        + revenue_effect(lead.revenue)
        + founded_effect(lead.founded.map(|f| year_of(lead.created) - f))
        + speed_effect(lead.response_delay);
    x += match lead.title {
        Some(t) => TITLES[t].2,
        None => TITLE_MISSING_EFFECT,
    };
    if lead.existing.is_some() {
        x += EXISTING_CUSTOMER_EFFECT;
    }
    x
}
