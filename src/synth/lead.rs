//! Per-lead state: a lead's drawn traits, its leads.csv row (header and field indices),
//! its activities, and its drawn outcome with its deals.

use super::identity::MatchRule;

pub(super) const LEAD_HEADER: [&str; 20] = [
    "lead_id",
    "created_at",
    "source",
    "campaign",
    "company",
    "email",
    "domain",
    "contact_name",
    "industry",
    "employees",
    "employee_band",
    "annual_revenue",
    "country",
    "job_title_level",
    "company_founded_year",
    "website_platform",
    "first_response_at",
    "mql_at",
    "sql_at",
    "sales_note_status",
];

/// The drawn (latent and observed) traits of one lead.
pub(super) struct Lead {
    pub(super) created: i64,
    pub(super) source: usize,
    pub(super) campaign: Option<usize>,
    pub(super) country: usize,
    pub(super) industry: usize,
    pub(super) employees_true: u32,
    pub(super) employees: Option<u32>,
    pub(super) revenue: Option<f64>,
    pub(super) title: Option<usize>,
    pub(super) founded: Option<i64>,
    pub(super) platform: usize,
    /// Drawn first-response delay in seconds; `None` = never answered.
    pub(super) response_delay: Option<i64>,
    pub(super) existing: Option<MatchRule>,
}

/// One leads.csv row as text, reused from lead to lead.
#[derive(Clone, Default)]
pub(super) struct LeadRow {
    pub(super) fields: [String; 20],
}

impl LeadRow {
    pub(super) fn clear(&mut self) {
        for f in &mut self.fields {
            f.clear();
        }
    }
}
pub(super) const F_ID: usize = 0;
pub(super) const F_CREATED: usize = 1;
pub(super) const F_SOURCE: usize = 2;
pub(super) const F_CAMPAIGN: usize = 3;
pub(super) const F_COMPANY: usize = 4;
pub(super) const F_EMAIL: usize = 5;
pub(super) const F_DOMAIN: usize = 6;
pub(super) const F_CONTACT: usize = 7;
pub(super) const F_INDUSTRY: usize = 8;
pub(super) const F_EMPLOYEES: usize = 9;
pub(super) const F_BAND: usize = 10;
pub(super) const F_REVENUE: usize = 11;
pub(super) const F_COUNTRY: usize = 12;
pub(super) const F_TITLE: usize = 13;
pub(super) const F_FOUNDED: usize = 14;
pub(super) const F_PLATFORM: usize = 15;
pub(super) const F_RESPONSE: usize = 16;
pub(super) const F_MQL: usize = 17;
pub(super) const F_SQL: usize = 18;
pub(super) const F_NOTE: usize = 19;

/// One activity of the current lead: time, type index into [`ACTIVITIES`], value.
///
/// [`ACTIVITIES`]: super::spec::ACTIVITIES
#[derive(Clone, Copy)]
pub(super) struct Act {
    pub(super) t: i64,
    pub(super) kind: u8,
    pub(super) value: &'static str,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum DealKind {
    Won,
    Lost,
}

#[derive(Clone, Copy)]
pub(super) struct DealPlan {
    pub(super) kind: DealKind,
    pub(super) created: i64,
    pub(super) closed: i64,
    pub(super) amount: f64,
}

/// The drawn outcome and funnel of one lead.
pub(super) struct Outcome {
    pub(super) won: bool,
    /// Lead created → won deal closed, seconds (won leads only).
    pub(super) time_to_win: Option<i64>,
    pub(super) mql: Option<i64>,
    pub(super) sql: Option<i64>,
    pub(super) deals: [Option<DealPlan>; 2],
}
