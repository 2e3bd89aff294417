//! The scoring config as SQL: a query (or view) that scores a leads table inside the database
//! and gives the same fit, engagement, score, probability and tier as `leadtune score`.
//!
//! What the database must hold: a leads table with `lead_id`, the model's lead traits as
//! columns (categories as text, numbers as numbers, dates as timestamps) and, for engagement or
//! date traits, `created_at`; for engagement traits an activities table with `lead_id`,
//! `occurred_at` and `type` (and `value` for value traits); for an opportunity stage a deals
//! table with `lead_id` and `created_at`. Timestamps are PostgreSQL `timestamp` values, or ISO-8601 text in
//! SQLite. Missing values are NULL.
//!
//! Every step mirrors the one scoring code ([`crate::scoring`]):
//! - a numeric value's bin is its special value's, else the range `lo < x <= hi` holding it,
//!   else (NULL) the missing bin; a category's is its own value's, else `other`, else missing;
//! - engagement counts are taken as of `created_at + scoring_offset_days`: activities in the
//!   window `age <= w days` per type and in total, the days since the last one, the distinct
//!   types; leads without activities count 0 and have no `days_since_last_activity`;
//! - value traits and a type's recency take activities strictly before the scoring date
//!   (`0 < age <= w days`): the sum (0 when none) and the largest (NULL when none) of the
//!   activities table's `value` (a number column, NULL where the activity has none), the days
//!   since the type's last one; `stage_reached` is the highest of the config's stages whose
//!   date (`mql_at`, `sql_at` of the leads table, the earliest `created_at` of the lead's deals
//!   in the deals table) is strictly before the scoring date, else 0;
//! - the probability is the config's isotonic calibration, interpolated linearly in its gaps
//!   and clamped to `[1e-15, 1 - 1e-15]` ([`crate::evaluate::metrics::Calibration::probability`]).
//!
//! Times are compared in whole seconds since the epoch, so sub-second timestamps are truncated.
//! Value sums are added in the engine's order: values with fractions that binary doubles do
//! not hold exactly (0.1) may sum a last bit apart from leadtune's, which matters only for a
//! sum exactly at a bin edge.
//! Activity types match the config's trait names after lower-casing (`Page View` does not match
//! `page_view`), and `distinct_activity_types` counts raw types (leadtune pools very rare types
//! into one `other`): the first exports refuse models with an `other_*` activity trait.
//!
//! Identifiers are double-quoted with `"` doubled; text literals single-quoted with `'`
//! doubled, so no value in a config can end a literal; numbers are written in Rust's
//! shortest round-trip form, which both engines parse to the same double.

use std::fmt::Write;

use crate::scoring::export::{ConfigTrait, ScoringConfig, TraitKind};
use crate::traits::binning::{BinRule, Origin};
use crate::traits::engagement::{Measure, measure};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// Where the data is and what to write.
#[derive(Debug, Clone)]
pub struct SqlOptions {
    pub dialect: Dialect,
    pub leads_table: String,
    pub activities_table: String,
    /// For the opportunity stage of `stage_reached`: `lead_id`, `created_at`.
    pub deals_table: String,
    /// `Some(name)`: `CREATE VIEW name AS ...`; `None`: the bare query.
    pub view: Option<String>,
}

/// `"name"` with inner quotes doubled.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A possibly schema-qualified table name (`schema.table`), each part quoted.
fn table(name: &str) -> String {
    name.split('.').map(ident).collect::<Vec<_>>().join(".")
}

/// `'text'` with inner quotes doubled (and NUL, which no SQL text can hold, dropped).
pub fn text(value: &str) -> String {
    format!("'{}'", value.replace('\0', "").replace('\'', "''"))
}

/// A lead column's text as leadtune reads it ([`crate::ingest::values::normalise`], the one
/// rule): trimmed of Unicode white space ([`crate::ingest::values::WHITE_SPACE`]), and NULL
/// when empty or a missing-value token, ASCII case ignored. The tokens are matched in every
/// ASCII casing (`na`, `nA`, `Na`, `NA`), so that no engine's `lower()` (ASCII-only in SQLite,
/// Unicode in PostgreSQL) decides; a token with more than 8 letters is matched by `lower()`.
pub(crate) fn normalised_text(dialect: Dialect, expr: &str, missing_tokens: &[String]) -> String {
    let codes: Vec<String> = crate::ingest::values::WHITE_SPACE
        .iter()
        .map(|c| (*c as u32).to_string())
        .collect();
    let trimmed = match dialect {
        Dialect::Sqlite => format!("trim(CAST({expr} AS TEXT), char({}))", codes.join(", ")),
        Dialect::Postgres => format!(
            "btrim(CAST({expr} AS TEXT), {})",
            codes
                .iter()
                .map(|c| format!("chr({c})"))
                .collect::<Vec<_>>()
                .join(" || ")
        ),
    };
    let mut exact = vec![text("")];
    let mut lowered = Vec::new();
    for token in missing_tokens {
        let letters = token.chars().filter(char::is_ascii_alphabetic).count();
        if letters > 8 {
            lowered.push(text(&token.to_ascii_lowercase()));
            continue;
        }
        for casing in ascii_casings(token) {
            let literal = text(&casing);
            if !exact.contains(&literal) {
                exact.push(literal);
            }
        }
    }
    let mut missing = format!("{trimmed} IN ({})", exact.join(", "));
    if !lowered.is_empty() {
        missing = format!("{missing} OR lower({trimmed}) IN ({})", lowered.join(", "));
    }
    format!("CASE WHEN {missing} THEN NULL ELSE {trimmed} END")
}

/// Every ASCII casing of `token` (`n/a`: `n/a`, `N/a`, `n/A`, `N/A`).
fn ascii_casings(token: &str) -> Vec<String> {
    let mut casings = vec![String::new()];
    for c in token.chars() {
        if c.is_ascii_alphabetic() {
            casings = casings
                .into_iter()
                .flat_map(|s| {
                    [
                        format!("{s}{}", c.to_ascii_lowercase()),
                        format!("{s}{}", c.to_ascii_uppercase()),
                    ]
                })
                .collect();
        } else {
            casings.iter_mut().for_each(|s| s.push(c));
        }
    }
    casings
}

/// A double as a literal both engines read back to the same bits.
pub(crate) fn number(dialect: Dialect, v: f64) -> String {
    let repr = format!("{v:?}");
    match dialect {
        Dialect::Sqlite => repr,
        Dialect::Postgres => format!("CAST({repr} AS DOUBLE PRECISION)"),
    }
}

/// Seconds since the epoch of a timestamp expression, as a double.
pub(crate) fn epoch(dialect: Dialect, expr: &str) -> String {
    match dialect {
        Dialect::Sqlite => format!("CAST(unixepoch({expr}) AS REAL)"),
        Dialect::Postgres => format!("CAST(floor(EXTRACT(EPOCH FROM {expr})) AS DOUBLE PRECISION)"),
    }
}

/// A comment line: no line breaks, so nothing in it can become SQL.
fn comment(s: &str) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!("-- {clean}\n")
}

/// `stage_reached` over the leads table `l`: the highest of the config's stages whose date is
/// strictly before the scoring date (the opportunity's: the first deal's `created_at`, in
/// seconds, `st.first_deal_s` of the query's `first_deals`), 0 for none, NULL without
/// `created_at`.
pub(crate) fn stage_value(d: Dialect, rules: &crate::scoring::export::ScoringRules) -> String {
    let created = epoch(d, &format!("l.{}", ident("created_at")));
    let offset_s = (rules.scoring_offset_days * 86_400.0).round();
    let scoring = format!("({created} + {})", number(d, offset_s));
    let mut case = format!("CASE WHEN l.{} IS NULL THEN NULL", ident("created_at"));
    // Highest first: the first stage reached wins.
    for stage in rules.stages.iter().rev() {
        let date = match stage.lead_column() {
            Some(column) => epoch(d, &format!("l.{}", ident(column))),
            None => "st.first_deal_s".to_string(),
        };
        let _ = write!(
            case,
            " WHEN {date} < {scoring} THEN {}",
            number(d, stage.level())
        );
    }
    let _ = write!(case, " ELSE {} END", number(d, 0.0));
    case
}

/// The points of a trait as a `CASE` over the value expression `v`.
fn points_case(dialect: Dialect, t: &ConfigTrait, v: &str) -> String {
    let missing = t
        .bins
        .iter()
        .position(|b| b.rule == BinRule::Missing)
        .unwrap_or(t.bins.len().saturating_sub(1));
    let missing_points = t.bins.get(missing).map_or(0, |b| b.points);
    let mut case = format!("CASE WHEN {v} IS NULL THEN {missing_points}");
    let categorical = t.kind == TraitKind::Categorical;
    // Specials before ranges, as in the scoring code; `other` in the ELSE.
    for b in &t.bins {
        match &b.rule {
            BinRule::Special { value } if !categorical => {
                let _ = write!(
                    case,
                    " WHEN {v} = {} THEN {}",
                    number(dialect, *value),
                    b.points
                );
            }
            BinRule::Value { value } if categorical => {
                let _ = write!(case, " WHEN {v} = {} THEN {}", text(value), b.points);
            }
            _ => {}
        }
    }
    let mut other = missing_points;
    for b in &t.bins {
        match &b.rule {
            BinRule::Range { lo, hi } if !categorical => {
                let mut cond = Vec::new();
                if let Some(lo) = lo {
                    cond.push(format!("{v} > {}", number(dialect, *lo)));
                }
                if let Some(hi) = hi {
                    cond.push(format!("{v} <= {}", number(dialect, *hi)));
                }
                if cond.is_empty() {
                    cond.push("1 = 1".into());
                }
                let _ = write!(case, " WHEN {} THEN {}", cond.join(" AND "), b.points);
            }
            BinRule::Other { .. } if categorical => other = b.points,
            _ => {}
        }
    }
    let _ = write!(case, " ELSE {other} END");
    case
}

/// The calibrated probability of the integer expression `score`.
fn probability_case(dialect: Dialect, config: &ScoringConfig, score: &str) -> String {
    let steps = &config.calibration;
    let guard = |p: f64| p.clamp(1e-15, 1.0 - 1e-15);
    let Some(first) = steps.first() else {
        return "NULL".into();
    };
    let s = match dialect {
        Dialect::Sqlite => format!("CAST({score} AS REAL)"),
        Dialect::Postgres => format!("CAST({score} AS DOUBLE PRECISION)"),
    };
    let n = |v: f64| number(dialect, v);
    let mut case = format!(
        "CASE WHEN {s} < {} THEN {}",
        n(first.score_low),
        n(guard(first.probability))
    );
    for (i, step) in steps.iter().enumerate() {
        let _ = write!(
            case,
            " WHEN {s} >= {} AND {s} <= {} THEN {}",
            n(step.score_low),
            n(step.score_high),
            n(guard(step.probability))
        );
        if let Some(next) = steps.get(i + 1) {
            // p + t (p' - p), t = (s - high) / (low' - high), in a gap.
            let _ = write!(
                case,
                " WHEN {s} > {} AND {s} < {} THEN \
                 {} + (({s} - {}) / ({} - {})) * ({} - {})",
                n(step.score_high),
                n(next.score_low),
                n(step.probability),
                n(step.score_high),
                n(next.score_low),
                n(step.score_high),
                n(next.probability),
                n(step.probability),
            );
        }
    }
    let last = steps[steps.len() - 1];
    let _ = write!(case, " ELSE {} END", n(guard(last.probability)));
    case
}

/// The SQL text, or why the config cannot be written as SQL. With queues, each lead is routed
/// by the queues' rules (values compared as trimmed text) and scored by its queue's model, and
/// a `queue` column names it.
pub fn export(config: &ScoringConfig, o: &SqlOptions) -> std::result::Result<String, String> {
    let d = o.dialect;
    let mut sql = String::new();
    sql.push_str(&comment(&format!(
        "Lead scores from leadtune {} scoring config (schema {}), written by `leadtune \
         export-sql --dialect {}`.",
        config.leadtune_version,
        config.schema_version,
        match d {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    )));
    sql.push_str(&comment(&format!(
        "Valid from {}, content {}; training window {} to {}; validation AUC {}. Columns: \
         lead_id, fit, engagement, score, probability, tier{}.",
        config.valid_from.as_deref().unwrap_or("-"),
        config.content_sha256.as_deref().unwrap_or("-"),
        config.training.from.as_deref().unwrap_or("-"),
        config.training.to.as_deref().unwrap_or("-"),
        config
            .validation
            .auc
            .map_or("-".to_string(), |a| format!("{a:.3}")),
        if config.queues.is_empty() {
            ""
        } else {
            ", queue"
        }
    )));
    if let Some(view) = &o.view {
        let _ = writeln!(sql, "CREATE VIEW {} AS", table(view));
    }
    if config.queues.is_empty() {
        sql.push_str(&query(config, o)?);
        sql.push_str(";\n");
        return Ok(sql);
    }
    // Route: the first queue whose every rule column holds one of its values; 0 = none.
    let value = |column: &str| {
        normalised_text(
            d,
            &format!("l.{}", ident(column)),
            &config.scoring.missing_tokens,
        )
    };
    let mut k_case = String::from("CASE");
    let mut name_case = String::from("CASE");
    for (k, q) in config.queues.iter().enumerate() {
        let cond = if q.when.is_empty() {
            "1 = 1".to_string()
        } else {
            q.when
                .iter()
                .map(|(column, allowed)| {
                    let list: Vec<String> = allowed.iter().map(|a| text(a.trim())).collect();
                    format!("{} IN ({})", value(column), list.join(", "))
                })
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        let _ = write!(k_case, " WHEN {cond} THEN {}", k + 1);
        let _ = write!(name_case, " WHEN {cond} THEN {}", text(&q.name));
    }
    k_case.push_str(" ELSE 0 END");
    let _ = write!(
        name_case,
        " ELSE {} END",
        text(crate::scoring::export::NO_QUEUE)
    );
    let mut models = vec![format!(
        "  SELECT 0 AS model, m.* FROM (\n{}\n  ) m",
        query(config, o)?
    )];
    for k in 0..config.queues.len() {
        models.push(format!(
            "  SELECT {} AS model, m.* FROM (\n{}\n  ) m",
            k + 1,
            query(&config.for_queue(k), o)?
        ));
    }
    let _ = writeln!(
        sql,
        "SELECT s.lead_id, s.fit, s.engagement, s.score, s.probability, s.tier, r.queue\n\
         FROM (\n  SELECT l.{id} AS lead_id, {k_case} AS model, {name_case} AS queue\n  \
         FROM {leads} l\n) r\nJOIN (\n{models}\n) s ON s.lead_id = r.lead_id AND s.model = \
         r.model;",
        id = ident("lead_id"),
        leads = table(&o.leads_table),
        models = models.join("\n  UNION ALL\n"),
    );
    Ok(sql)
}

/// One model's query: `WITH ... SELECT lead_id, fit, engagement, score, probability, tier`.
fn query(config: &ScoringConfig, o: &SqlOptions) -> std::result::Result<String, String> {
    let d = o.dialect;
    let windows = &config.scoring.activity_windows;
    let mut lead_traits: Vec<&ConfigTrait> = Vec::new();
    let mut activity_traits: Vec<&ConfigTrait> = Vec::new();
    for t in &config.traits {
        match t.kind {
            TraitKind::Activity => {
                let known = (t.name == crate::traits::decay::TRAIT
                    && config.scoring.decay.is_some())
                    || measure(&t.name, windows).is_some();
                let pooled = match measure(&t.name, windows) {
                    Some(Measure::Count { kind, .. }) => kind.as_deref() == Some("other"),
                    Some(Measure::Value { kind, .. } | Measure::DaysSince { kind }) => {
                        kind == "other"
                    }
                    _ => false,
                };
                if !known || pooled {
                    return Err(format!(
                        "the engagement trait {} cannot be written as SQL (types pooled as \
                         `other` depend on the data scored); re-fit without it ([traits] \
                         exclude) or score with `leadtune score`",
                        t.name
                    ));
                }
                activity_traits.push(t);
            }
            _ => lead_traits.push(t),
        }
    }
    let mut sql = String::new();
    let leads = table(&o.leads_table);
    let offset_s = (config.scoring.scoring_offset_days * 86_400.0).round();
    let _ = writeln!(sql, "WITH");
    let mut ctes: Vec<String> = Vec::new();
    // The activities' `value` is read only by value traits (the table may have no such column).
    let reads_values = activity_traits
        .iter()
        .any(|t| matches!(measure(&t.name, windows), Some(Measure::Value { .. })));
    if !activity_traits.is_empty() {
        ctes.push(format!(
            "scored_at AS (\n  SELECT {id}, {created} + {off} AS scoring_s FROM {leads}\n)",
            id = ident("lead_id"),
            created = epoch(d, &ident("created_at")),
            off = number(d, offset_s),
        ));
        ctes.push(format!(
            "prior AS (\n  SELECT a.{id} AS lead_id, \
             replace(replace(lower(trim(a.{ty})), ' ', '_'), '-', '_') AS activity_type, \
             s.scoring_s - {t} AS age_s{value}\n  FROM {acts} a JOIN scored_at s ON s.{id} = a.{id}\n  \
             WHERE {t} <= s.scoring_s\n)",
            value = if reads_values {
                format!(", a.{} AS value", ident("value"))
            } else {
                String::new()
            },
            id = ident("lead_id"),
            ty = ident("type"),
            t = epoch(d, &format!("a.{}", ident("occurred_at"))),
            acts = table(&o.activities_table),
        ));
        let mut aggs = Vec::new();
        for t in &activity_traits {
            let day = number(d, 86_400.0);
            let expr = match (t.name.as_str(), measure(&t.name, windows)) {
                (_, Some(Measure::DistinctTypes)) => "COUNT(DISTINCT activity_type)".to_string(),
                (_, Some(Measure::DaysSinceLast)) => format!("MIN(age_s) / {day}"),
                // Values and a type's recency: strictly before the scoring date.
                (_, Some(Measure::DaysSince { kind })) => format!(
                    "MIN(CASE WHEN activity_type = {} AND age_s > 0 THEN age_s END) / {day}",
                    text(&kind)
                ),
                (
                    _,
                    Some(Measure::Value {
                        kind,
                        days,
                        largest,
                    }),
                ) => format!(
                    "{}(CASE WHEN activity_type = {} AND age_s > 0 AND age_s <= {} THEN value \
                     END)",
                    if largest { "MAX" } else { "SUM" },
                    text(&kind),
                    number(d, f64::from(days) * 86_400.0)
                ),
                (crate::traits::decay::TRAIT, _) => {
                    let spec = config
                        .scoring
                        .decay
                        .as_ref()
                        .ok_or("no decay in the config")?;
                    let mut weight = String::from("CASE activity_type");
                    for (kind, w) in &spec.type_weights {
                        let _ = write!(weight, " WHEN {} THEN {}", text(kind), number(d, *w));
                    }
                    let _ = write!(weight, " ELSE {} END", number(d, 0.0));
                    let sum = format!(
                        "SUM(({weight}) * power({}, -(age_s / {}) / {}))",
                        number(d, 2.0),
                        number(d, 86_400.0),
                        number(d, spec.half_life_days)
                    );
                    // Rounded to 3 decimals, as leadtune rounds it.
                    match d {
                        Dialect::Sqlite => format!("ROUND({sum}, 3)"),
                        Dialect::Postgres => {
                            format!("CAST(ROUND(CAST({sum} AS NUMERIC), 3) AS DOUBLE PRECISION)")
                        }
                    }
                }
                (_, count) => {
                    let (kind, days) = match count {
                        Some(Measure::Count { kind, days }) => (kind, days),
                        _ => (None, 0),
                    };
                    let mut cond = format!("age_s <= {}", number(d, f64::from(days) * 86_400.0));
                    if let Some(kind) = kind {
                        cond = format!("activity_type = {} AND {cond}", text(&kind));
                    }
                    format!("SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)")
                }
            };
            aggs.push(format!("    {expr} AS {}", ident(&t.name)));
        }
        ctes.push(format!(
            "engagement AS (\n  SELECT lead_id,\n{}\n  FROM prior GROUP BY lead_id\n)",
            aggs.join(",\n")
        ));
    }
    // One value per trait and lead.
    let mut values = vec![format!("l.{}", ident("lead_id"))];
    for (k, t) in config.traits.iter().enumerate() {
        let v = crate::scoring::values::sql_value(t, d, &config.scoring);
        values.push(format!("{v} AS v{k}"));
    }
    let mut join = if activity_traits.is_empty() {
        String::new()
    } else {
        format!(
            " LEFT JOIN engagement e ON e.lead_id = l.{}",
            ident("lead_id")
        )
    };
    // The first deal's creation per lead, for the opportunity stage.
    if config.traits.iter().any(|t| t.kind == TraitKind::Stage)
        && config
            .scoring
            .stages
            .contains(&crate::traits::stage::StageDate::Opportunity)
    {
        ctes.push(format!(
            "first_deals AS (\n  SELECT {id} AS lead_id, MIN({at}) AS first_deal_s\n  FROM {deals}\n  \
             WHERE {created} IS NOT NULL GROUP BY {id}\n)",
            id = ident("lead_id"),
            at = epoch(d, &ident("created_at")),
            created = ident("created_at"),
            deals = table(&o.deals_table),
        ));
        let _ = write!(
            join,
            " LEFT JOIN first_deals st ON st.lead_id = l.{}",
            ident("lead_id")
        );
    }
    // Each value is read many times below (once per bin, then in every sum and tier test):
    // PostgreSQL would inline the CTE and read the lead's column anew each time, a query
    // hundreds of times slower (minutes on 5,000 leads); MATERIALIZED (PostgreSQL 12 and
    // later) reads it once. SQLite reads it once as it is.
    let materialized = match d {
        Dialect::Postgres => "MATERIALIZED ",
        Dialect::Sqlite => "",
    };
    ctes.push(format!(
        "trait_values AS {materialized}(\n  SELECT {}\n  FROM {leads} l{join}\n)",
        values.join(",\n    ")
    ));
    let sum = |origin: Origin| -> String {
        let mut parts: Vec<String> = config
            .traits
            .iter()
            .enumerate()
            .filter(|(_, t)| t.sub_score == origin)
            .map(|(k, _)| format!("p{k}"))
            .collect();
        if origin == Origin::Fit {
            parts.insert(0, config.base_points.to_string());
        }
        if parts.is_empty() {
            "0".into()
        } else {
            parts.join(" + ")
        }
    };
    let points: Vec<String> = config
        .traits
        .iter()
        .enumerate()
        .map(|(k, t)| format!("{} AS p{k}", points_case(d, t, &format!("v{k}"))))
        .collect();
    let mut select_points = vec![ident("lead_id")];
    select_points.extend(points);
    ctes.push(format!(
        "trait_points AS (\n  SELECT {}\n  FROM trait_values\n)",
        select_points.join(",\n    ")
    ));
    ctes.push(format!(
        "sub_scores AS (\n  SELECT {id}, {fit} AS fit, {eng} AS engagement\n  FROM trait_points\n)",
        id = ident("lead_id"),
        fit = sum(Origin::Fit),
        eng = sum(Origin::Engagement),
    ));
    let score = "(fit + engagement)";
    let mut tier = String::from("CASE");
    let last = config.tiers.len().saturating_sub(1);
    for (i, t) in config.tiers.iter().enumerate() {
        match t.min_score {
            Some(m) if i < last => {
                let _ = write!(tier, " WHEN {score} >= {m} THEN {}", text(&t.name));
            }
            _ => {
                let _ = write!(tier, " ELSE {} END", text(&t.name));
                break;
            }
        }
    }
    if !tier.ends_with("END") {
        tier.push_str(" ELSE NULL END");
    }
    ctes.push(format!(
        "calibrated AS (\n  SELECT {id}, fit, engagement, {score} AS score,\n    {p} AS p\n  \
         FROM sub_scores\n)",
        id = ident("lead_id"),
        p = probability_case(d, config, score),
    ));
    let _ = writeln!(sql, "{}", ctes.join(",\n"));
    // An interpolated probability is clamped like the block probabilities.
    let (lo, hi) = (number(d, 1e-15), number(d, 1.0 - 1e-15));
    let _ = writeln!(
        sql,
        "SELECT {id} AS lead_id, fit, engagement, score,\n  \
         CASE WHEN p < {lo} THEN {lo} WHEN p > {hi} THEN {hi} ELSE p END AS probability,\n  \
         {tier} AS tier\nFROM calibrated",
        id = ident("lead_id"),
        tier = tier.replace(score, "score"),
    );
    Ok(sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_cannot_be_escaped() {
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(
            text("O'Brien'); DROP TABLE leads; --"),
            "'O''Brien''); DROP TABLE leads; --'"
        );
        assert_eq!(table("crm.leads"), "\"crm\".\"leads\"");
        assert_eq!(comment("a\nDROP TABLE x"), "-- a DROP TABLE x\n");
    }

    #[test]
    fn activity_trait_names() {
        let w = [7, 30, 90];
        let count = |kind: Option<&str>, days| {
            Some(Measure::Count {
                kind: kind.map(String::from),
                days,
            })
        };
        assert_eq!(measure("page_view_30d", &w), count(Some("page_view"), 30));
        assert_eq!(measure("activities_7d", &w), count(None, 7));
        assert_eq!(measure("page_view_14d", &w), None);
        assert_eq!(
            measure("distinct_activity_types", &w),
            Some(Measure::DistinctTypes)
        );
        assert_eq!(
            measure("page_view_value_sum_30d", &w),
            Some(Measure::Value {
                kind: "page_view".into(),
                days: 30,
                largest: false
            })
        );
        assert_eq!(
            measure("download_value_max_7d", &w),
            Some(Measure::Value {
                kind: "download".into(),
                days: 7,
                largest: true
            })
        );
        assert_eq!(
            measure("days_since_email_open", &w),
            Some(Measure::DaysSince {
                kind: "email_open".into()
            })
        );
        assert_eq!(
            measure("days_since_last_activity", &w),
            Some(Measure::DaysSinceLast)
        );
        assert_eq!(measure(crate::traits::decay::TRAIT, &w), None);
    }
}
