//! Linking: leads x deals -> [`Outcomes`]. A lead converts when one of its deals is won within
//! `horizon_days` of the lead's `created_at`. Leads younger than the horizon at the data's end
//! date (`as_of`) without a win are *immature*: their outcome is not known yet, so they are
//! counted and kept out of fitting, never treated as lost. Deals and activities that point at no
//! lead, or contradict it, are rejected with a reason. Existing customers are flagged here too.

pub mod matching;

use polars::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::ingest::values::{Millis, format_timestamp};
use crate::ingest::{Inputs, NO_LEAD, NO_TIME, Reject, Role};
use crate::link::matching::{CustomerIdentity, CustomerIndex, MatchRule};

const DAY_MS: f64 = 86_400_000.0;
const UNKNOWN_LEAD: &str = "lead_id matches no lead used (unknown, or its lead row was rejected)";

/// What linking needs from the config.
#[derive(Debug, Clone)]
pub struct LinkParams {
    pub horizon_days: u32,
    /// The data's end date; `None` means the latest timestamp seen in the inputs.
    pub as_of_ms: Option<Millis>,
}

/// Where the outcome came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeSource {
    /// Won deals within the horizon.
    Deals,
    /// The leads' own `converted` column; no horizon applies.
    ConvertedColumn,
}

/// One row per lead, in the leads' order: `row`, `lead_id`, `converted` (null when immature),
/// `immature`, `won_amount`, `days_to_win`, `won_after_horizon`, `window_complete`,
/// `existing_customer`, `customer_id`, `match_rule`.
///
/// `window_complete` is true when the lead's whole outcome horizon lies before the end date.
/// A young lead that already won has a known outcome (converted, not immature), but its young
/// peers that have not won yet are immature: fitting on the young winners alone would inflate
/// conversion, so model populations take only leads whose window is complete.
#[derive(Debug, Clone)]
pub struct Outcomes {
    df: DataFrame,
}

impl Outcomes {
    pub fn frame(&self) -> &DataFrame {
        &self.df
    }
}

/// Counts and facts about linking, for the manifest and the console.
#[derive(Debug, Clone, Serialize)]
pub struct LinkSummary {
    pub outcome_source: OutcomeSource,
    pub horizon_days: u32,
    pub horizon_applied: bool,
    /// `YYYY-MM-DDTHH:MM:SS`, and whether it was given or the latest timestamp seen.
    pub as_of: Option<String>,
    pub as_of_given: bool,
    pub leads: u64,
    pub converted: u64,
    pub not_converted: u64,
    pub immature: u64,
    /// Young leads that already won: converted, but kept out of fitting (see [`Outcomes`]).
    pub young_converted: u64,
    pub won_after_horizon: u64,
    pub existing_customers: u64,
    pub existing_customers_by_rule: std::collections::BTreeMap<String, u64>,
    pub deals_used: u64,
    pub activities_used: u64,
    pub notes: Vec<String>,
}

pub struct Linked {
    pub outcomes: Outcomes,
    pub rejects: Vec<Reject>,
    pub summary: LinkSummary,
}

fn null_str() -> Expr {
    lit(NULL).cast(DataType::String)
}

fn as_millis(name: &str) -> Expr {
    col(name).cast(DataType::Int64)
}

/// Links leads to their deals (and activities) and flags existing customers.
pub fn link(
    inputs: &Inputs,
    params: &LinkParams,
    observer: &dyn crate::observe::Observer,
) -> Result<Linked> {
    let leads = inputs.leads.frame();
    let has_created = inputs.leads.has("created_at");
    let mut notes = inputs.notes.clone();
    let mut rejects = Vec::new();

    let outcome_source = match (&inputs.deals, inputs.leads.has("converted")) {
        (Some(_), _) => OutcomeSource::Deals,
        (None, true) => OutcomeSource::ConvertedColumn,
        (None, false) => {
            return Err(Error::input(
                &inputs.files[0].path,
                "no outcome: give [input] deals, or a `converted` column in the leads",
            ));
        }
    };
    if outcome_source == OutcomeSource::Deals && inputs.leads.has("converted") {
        notes.push(
            "the leads' `converted` column is ignored: the deals decide the outcome".to_string(),
        );
    }
    if !has_created {
        notes.push(
            // The split says for itself what it does without dates (`fit::split::SplitPlan`).
            "the leads have no created_at: the reports by time are left out".to_string(),
        );
    }

    let join_left = || {
        let mut args = JoinArgs::new(JoinType::Left);
        args.maintain_order = MaintainOrderJoin::Left;
        args
    };

    // Deals: those pointing at no lead or contradicting it are rejected.
    let mut deals_used = None;
    let mut closed_known = false;
    if let Some(deals) = &inputs.deals {
        closed_known = deals.has("closed_at");
        let reason = if closed_known {
            when(col("lead_known").is_null())
                .then(lit(UNKNOWN_LEAD))
                .when(col("status").eq(lit("won")).and(col("closed_at").is_null()))
                .then(lit(
                    "won deal has no closed_at, so the outcome horizon cannot be applied",
                ))
                .when(as_millis("closed_at").lt(as_millis("lead_created_at")))
                .then(lit("closed_at is before the lead was created"))
                .otherwise(null_str())
        } else {
            when(col("lead_known").is_null())
                .then(lit(UNKNOWN_LEAD))
                .otherwise(null_str())
        };
        // Each deal's lead was found at ingest: its columns are gathered by row (the same
        // as a left join on `lead_id`, as lead ids are unique, without hashing 10M ids).
        let rows: IdxCa = deals
            .lead_rows()
            .iter()
            .map(|&r| (r != NO_LEAD).then_some(r as IdxSize))
            .collect();
        let lead_created_at = if has_created {
            leads.column("created_at")?.take(&rows)?
        } else {
            Column::full_null("".into(), rows.len(), &DataType::Int64)
        };
        let lead_known: BooleanChunked = deals
            .lead_rows()
            .iter()
            .map(|&r| (r != NO_LEAD).then_some(true))
            .collect();
        let mut checked = deals.frame().clone();
        checked.with_column(lead_created_at.with_name("lead_created_at".into()))?;
        checked.with_column(rows.with_name("lead_pos".into()).into_column())?;
        checked.with_column(lead_known.with_name("lead_known".into()).into_column())?;
        let checked = checked
            .lazy()
            .with_column(reason.alias("reason"))
            .collect()?;
        let file = file_of(inputs, Role::Deals);
        rejects.extend(rejects_from(&checked, Role::Deals, &file, "lead_id")?);
        deals_used = Some(checked.lazy().filter(col("reason").is_null()).collect()?);
        if !closed_known {
            notes.push(
                "the deals have no closed_at: every won deal counts, the horizon is not applied"
                    .to_string(),
            );
        }
    }

    observer.step("link: deals checked");
    // Activities for no known lead are rejected (their lead rows were found as they were read).
    let mut activities_used: Option<(u64, Option<i64>)> = None;
    if let Some(activities) = &inputs.activities {
        let lead_rows = activities.lead_rows();
        let file = file_of(inputs, Role::Activities);
        let used = lead_rows.iter().filter(|&&r| r != NO_LEAD).count() as u64;
        let latest = activities
            .occurred_ms()
            .iter()
            .zip(lead_rows)
            .filter(|&(&t, &r)| r != NO_LEAD && t != NO_TIME)
            .map(|(&t, _)| t)
            .max();
        for (row, id) in activities.unknown_leads() {
            rejects.push(Reject {
                table: Role::Activities,
                file: file.clone(),
                row: *row,
                column: "lead_id".into(),
                reason: UNKNOWN_LEAD.into(),
                value: id.clone(),
            });
        }
        activities_used = Some((used, latest));
    }
    observer.step("link: activities checked");
    // The data's end date: given, or the latest timestamp seen in what is used.
    let as_of_given = params.as_of_ms.is_some();
    let as_of_ms = match params.as_of_ms {
        Some(ms) => Some(ms),
        None => {
            let mut latest: Option<i64> = None;
            let mut see = |df: &DataFrame, name: &str| -> Result<()> {
                if df.schema().contains(name) {
                    let m = df
                        .column(name)?
                        .as_materialized_series()
                        .cast(&DataType::Int64)?;
                    if let Some(v) = m.i64()?.max() {
                        latest = Some(latest.map_or(v, |l| l.max(v)));
                    }
                }
                Ok(())
            };
            see(leads, "created_at")?;
            if let Some(d) = &deals_used {
                see(d, "created_at")?;
                see(d, "closed_at")?;
            }
            if let Some((_, Some(t))) = activities_used {
                latest = Some(latest.map_or(t, |l| l.max(t)));
            }
            latest
        }
    };

    let horizon = f64::from(params.horizon_days);
    let horizon_applied = outcome_source == OutcomeSource::Deals && has_created && closed_known;
    let mut lf = leads.clone().lazy().select([
        col("row"),
        col("lead_id"),
        if has_created {
            col("created_at").alias("lead_created_at")
        } else {
            lit(NULL).cast(DataType::Int64).alias("lead_created_at")
        },
    ]);

    match outcome_source {
        OutcomeSource::Deals => {
            let deals = deals_used.clone().unwrap_or_default();
            let has_amount = deals.schema().contains("amount");
            let mut won = deals.lazy().filter(col("status").eq(lit("won")));
            if let (true, Some(as_of)) = (closed_known, as_of_ms) {
                // A deal won after the end date was still open then.
                won = won.filter(as_millis("closed_at").lt_eq(lit(as_of)));
            }
            let days = if horizon_applied {
                ((as_millis("closed_at") - as_millis("lead_created_at")).cast(DataType::Float64)
                    / lit(DAY_MS))
                .alias("days")
            } else {
                lit(NULL).cast(DataType::Float64).alias("days")
            };
            let within = if horizon_applied {
                col("days").lt_eq(lit(horizon))
            } else {
                lit(true)
            };
            let won = won.with_column(days);
            // A sum over amounts that are all missing is unknown, not 0.
            let amount = if has_amount {
                when(col("amount").is_not_null().sum().gt(lit(0)))
                    .then(col("amount").sum())
                    .otherwise(lit(NULL).cast(DataType::Float64))
            } else {
                lit(NULL).cast(DataType::Float64)
            };
            // Each lead's wins, by its row among the leads (found at ingest): put in place by
            // row, as a left join on `lead_id` would (lead ids are unique), without hashing
            // every lead's id.
            let wins = won
                .clone()
                .filter(within.clone())
                .group_by([col("lead_pos")])
                .agg([
                    col("days")
                        .min()
                        .cast(DataType::Float64)
                        .alias("days_to_win"),
                    amount.cast(DataType::Float64).alias("won_amount"),
                ])
                .collect()?;
            let late = won
                .filter(within.not())
                .select([col("lead_pos")])
                .collect()?;
            let placed = WinsByLead::place(leads.height(), &wins, &late)?;
            lf = lf.with_columns([
                lit(placed.won.into_series()).alias("won"),
                lit(placed.days_to_win.into_series()).alias("days_to_win"),
                lit(placed.won_amount.into_series()).alias("won_amount"),
                lit(placed.late.into_series()).alias("late_wins"),
            ]);
            let immature = match (as_of_ms, horizon_applied) {
                (Some(as_of), true) => col("won").not().and(
                    (as_millis("lead_created_at") + lit(params.horizon_days as i64 * 86_400_000))
                        .gt(lit(as_of)),
                ),
                _ => lit(false),
            };
            let complete = match (as_of_ms, horizon_applied) {
                (Some(as_of), true) => (as_millis("lead_created_at")
                    + lit(params.horizon_days as i64 * 86_400_000))
                .lt_eq(lit(as_of)),
                _ => lit(true),
            };
            lf = lf.with_columns([
                immature.alias("immature"),
                complete.alias("window_complete"),
                col("late_wins")
                    .and(col("won").not())
                    .alias("won_after_horizon"),
            ]);
        }
        OutcomeSource::ConvertedColumn => {
            notes.push(
                "the outcome is the leads' `converted` column: the horizon is not applied and no \
                 lead is immature"
                    .to_string(),
            );
            lf = lf
                .join(
                    leads
                        .clone()
                        .lazy()
                        .select([col("lead_id"), col("converted").alias("won")]),
                    [col("lead_id")],
                    [col("lead_id")],
                    join_left(),
                )
                .with_columns([
                    lit(false).alias("immature"),
                    lit(true).alias("window_complete"),
                    lit(NULL).cast(DataType::Float64).alias("won_amount"),
                    lit(NULL).cast(DataType::Float64).alias("days_to_win"),
                    lit(false).alias("won_after_horizon"),
                ]);
        }
    }
    let mut df = lf
        .with_column(
            when(col("immature"))
                .then(lit(NULL).cast(DataType::Boolean))
                .otherwise(col("won"))
                .alias("converted"),
        )
        .select([
            col("row"),
            col("lead_id"),
            col("converted"),
            col("immature"),
            col("won_amount"),
            col("days_to_win"),
            col("won_after_horizon"),
            col("window_complete"),
        ])
        .collect()?;
    if df.height() != leads.height() {
        return Err(Error::Internal(format!(
            "linking changed the number of leads from {} to {}",
            leads.height(),
            df.height()
        )));
    }

    observer.step("link: outcomes");
    let (matches, index) = match_customers(inputs)?;
    observer.step("link: customers matched");
    let mut by_rule = std::collections::BTreeMap::new();
    for (_, rule) in matches.iter().flatten() {
        *by_rule.entry(rule.as_str().to_string()).or_insert(0u64) += 1;
    }
    // The three columns are built at once (each a pass over every lead).
    let ((existing, ids), rules) = rayon::join(
        || {
            rayon::join(
                || {
                    let existing: BooleanChunked = matches.iter().map(Option::is_some).collect();
                    existing.with_name("existing_customer".into())
                },
                || {
                    let ids: StringChunked = matches
                        .iter()
                        .map(|m| m.map(|(at, _)| index.id(at)))
                        .collect();
                    ids.with_name("customer_id".into())
                },
            )
        },
        || {
            let rules: StringChunked = matches
                .iter()
                .map(|m| m.map(|(_, rule)| rule.as_str()))
                .collect();
            rules.with_name("match_rule".into())
        },
    );
    df.with_column(existing.into_column())?;
    df.with_column(ids.into_column())?;
    df.with_column(rules.into_column())?;

    let count = |name: &str, value: bool| -> Result<u64> {
        let flags = df.column(name)?.bool()?;
        let trues = flags.sum().unwrap_or(0) as u64;
        let present = (flags.len() - flags.null_count()) as u64;
        Ok(if value { trues } else { present - trues })
    };
    let summary = LinkSummary {
        outcome_source,
        horizon_days: params.horizon_days,
        horizon_applied,
        as_of: as_of_ms.map(format_timestamp),
        as_of_given,
        leads: df.height() as u64,
        converted: count("converted", true)?,
        not_converted: count("converted", false)?,
        immature: count("immature", true)?,
        young_converted: {
            let young = df.column("window_complete")?.bool()?;
            let won = df.column("converted")?.bool()?;
            young
                .iter()
                .zip(won.iter())
                .filter(|&(young, won)| young == Some(false) && won == Some(true))
                .count() as u64
        },
        won_after_horizon: count("won_after_horizon", true)?,
        existing_customers: count("existing_customer", true)?,
        existing_customers_by_rule: by_rule,
        deals_used: deals_used.as_ref().map_or(0, |d| d.height() as u64),
        activities_used: activities_used.map_or(0, |(used, _)| used),
        notes,
    };
    Ok(Linked {
        outcomes: Outcomes { df },
        rejects,
        summary,
    })
}

/// Each lead's won deals, in the leads' order: the columns a left join of the leads on the
/// deals' groups by lead would give.
struct WinsByLead {
    /// A deal won within the horizon.
    won: BooleanChunked,
    /// The fewest days to a win within the horizon (null: no such win, or no dates).
    days_to_win: Float64Chunked,
    /// The amounts of the wins within the horizon (null: none, or all without an amount).
    won_amount: Float64Chunked,
    /// A deal won after the horizon.
    late: BooleanChunked,
}

impl WinsByLead {
    /// `wins`: one row per lead row `lead_pos` with `days_to_win` and `won_amount`; `late`:
    /// the `lead_pos` of each win after the horizon. Lead rows are below `leads`.
    fn place(leads: usize, wins: &DataFrame, late: &DataFrame) -> Result<Self> {
        let mut won = vec![false; leads];
        let mut days = vec![None; leads];
        let mut amount = vec![None; leads];
        let at = |pos: Option<IdxSize>| -> Result<usize> {
            pos.map(|p| p as usize)
                .filter(|&p| p < leads)
                .ok_or_else(|| Error::Internal("a won deal has no lead row".into()))
        };
        let rows = wins.column("lead_pos")?.idx()?;
        let d = wins.column("days_to_win")?.f64()?;
        let a = wins.column("won_amount")?.f64()?;
        for ((pos, d), a) in rows.iter().zip(d.iter()).zip(a.iter()) {
            let p = at(pos)?;
            won[p] = true;
            days[p] = d;
            amount[p] = a;
        }
        let mut late_won = vec![false; leads];
        for pos in late.column("lead_pos")?.idx()?.iter() {
            late_won[at(pos)?] = true;
        }
        Ok(WinsByLead {
            won: BooleanChunked::from_slice("won".into(), &won),
            days_to_win: Float64Chunked::from_iter_options("days_to_win".into(), days.into_iter()),
            won_amount: Float64Chunked::from_iter_options("won_amount".into(), amount.into_iter()),
            late: BooleanChunked::from_slice("late_wins".into(), &late_won),
        })
    }
}

fn file_of(inputs: &Inputs, table: Role) -> String {
    inputs
        .files
        .iter()
        .find(|f| f.table == table)
        .map(|f| f.path.clone())
        .unwrap_or_default()
}

/// Rows of `checked` with a non-null `reason` become rejects naming `column`.
fn rejects_from(checked: &DataFrame, table: Role, file: &str, column: &str) -> Result<Vec<Reject>> {
    let bad = checked
        .clone()
        .lazy()
        .filter(col("reason").is_not_null())
        .select([col("row"), col(column), col("reason")])
        .collect()?;
    let rows = bad.column("row")?.u64()?.clone();
    let values = bad.column(column)?.str()?.clone();
    let reasons = bad.column("reason")?.str()?.clone();
    Ok(rows
        .iter()
        .zip(values.iter())
        .zip(reasons.iter())
        .map(|((row, value), reason)| Reject {
            table,
            file: file.to_string(),
            row: row.unwrap_or(0),
            column: column.to_string(),
            reason: reason.unwrap_or_default().to_string(),
            value: value.map(str::to_string),
        })
        .collect())
}

/// Per lead (in order): the existing customer it matches (its position in the index) and the
/// rule, if any.
type Matches = Vec<Option<(u32, MatchRule)>>;

/// The leads' [`Matches`], and the index, which names the customers.
/// One array of a text column.
use crate::columns::TextArray;

/// Value `i` of a text array, if there is the array and a value.
fn at(column: Option<&TextArray>, i: usize) -> Option<&str> {
    column.and_then(|c| c.get(i))
}

fn match_customers(inputs: &Inputs) -> Result<(Matches, CustomerIndex)> {
    let leads = inputs.leads.frame();
    let Some(customers) = &inputs.customers else {
        return Ok((vec![None; leads.height()], CustomerIndex::default()));
    };
    // Each column as one array, so a lead's value is read without finding its chunk first.
    let text = |df: &DataFrame, name: &str| -> Result<Option<StringChunked>> {
        Ok(match df.column(name) {
            Ok(c) => Some(crate::columns::single_chunk(c.str()?)),
            Err(_) => None,
        })
    };
    fn array(column: &Option<StringChunked>) -> Option<&TextArray> {
        column.as_ref().and_then(|c| c.downcast_iter().next())
    }
    let c = customers.frame();
    let (ids, companies, domains, emails) = (
        text(c, "customer_id")?.ok_or_else(|| Error::Internal("customer_id missing".into()))?,
        text(c, "company")?,
        text(c, "domain")?,
        text(c, "email")?,
    );
    let index = {
        let (companies, domains, emails) = (array(&companies), array(&domains), array(&emails));
        let ids = ids.downcast_iter().next();
        CustomerIndex::new((0..c.height()).filter_map(|i| {
            Some(CustomerIdentity {
                customer_id: at(ids, i)?,
                company: at(companies, i),
                domain: at(domains, i),
                email: at(emails, i),
            })
        }))
    };
    let found = match_leads(&index, leads)?;
    Ok((found, index))
}

/// Each lead's customer in `index` (its position) and the rule that found it, from the leads'
/// `company`, `domain` and `email` columns (those present).
fn match_leads(index: &CustomerIndex, leads: &DataFrame) -> Result<Matches> {
    fn nth(column: Option<&StringChunked>, k: usize) -> Option<&TextArray> {
        column.and_then(|c| c.downcast_iter().nth(k))
    }
    // The leads' columns as they are: in chunks that line up (the pieces they were read in),
    // each read where it lies; else each put in one chunk.
    let columns = [
        leads.column("company").ok().map(|c| c.str()).transpose()?,
        leads.column("domain").ok().map(|c| c.str()).transpose()?,
        leads.column("email").ok().map(|c| c.str()).transpose()?,
    ];
    let lengths = |c: &StringChunked| c.chunk_lengths().collect::<Vec<_>>();
    let present: Vec<&StringChunked> = columns.iter().flatten().copied().collect();
    let aligned = present.windows(2).all(|w| lengths(w[0]) == lengths(w[1]));
    let whole: Vec<Option<StringChunked>> = columns
        .iter()
        .map(|c| c.filter(|_| !aligned).map(crate::columns::single_chunk))
        .collect();
    let chunked: Vec<Option<&StringChunked>> = columns
        .iter()
        .zip(&whole)
        .map(|(c, w)| w.as_ref().or(*c))
        .collect();
    let chunks: Vec<[Option<&TextArray>; 3]> = match chunked.iter().flatten().next() {
        None => vec![[None; 3]],
        Some(first) => (0..first.chunks().len())
            .map(|k| [nth(chunked[0], k), nth(chunked[1], k), nth(chunked[2], k)])
            .collect(),
    };
    // Tasks of up to 4096 leads within one chunk, in row order.
    const TASK: usize = 4096;
    let first = chunked.iter().flatten().next();
    let mut tasks: Vec<(usize, usize, usize)> = Vec::new();
    for (k, len) in first
        .map_or(vec![leads.height()], |c| lengths(c))
        .into_iter()
        .enumerate()
    {
        tasks.extend(
            (0..len)
                .step_by(TASK)
                .map(|lo| (k, lo, (lo + TASK).min(len))),
        );
    }
    use rayon::prelude::*;
    let found: Matches = tasks
        .into_par_iter()
        .map_init(
            crate::link::matching::Batch::default,
            |batch, (k, lo, hi)| {
                let [companies, domains, emails] = chunks[k];
                let leads: Vec<crate::link::matching::LeadIdentity> = (lo..hi)
                    .map(|i| [at(companies, i), at(domains, i), at(emails, i)])
                    .collect();
                let mut found = Vec::with_capacity(leads.len());
                index.positions(batch, &leads, &mut found);
                found
            },
        )
        .flatten_iter()
        .collect();
    if found.len() != leads.height() {
        return Err(Error::Internal(format!(
            "customer matching gave {} rows for {} leads",
            found.len(),
            leads.height()
        )));
    }
    Ok(found)
}

#[cfg(test)]
mod tests;
