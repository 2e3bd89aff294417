//! The scored leads as a table: one model's scores, or each lead's queue's, with reasons and
//! the point breakdown; written as CSV or Parquet by extension.

use std::path::Path;

use polars::prelude::*;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::output;
use crate::scoring::Scored;
use crate::scoring::export::ScoringConfig;

/// What the scores explain beside the score.
pub struct Explain {
    /// Top reasons per lead (0: no `reasons` column).
    pub reasons: usize,
    /// The full breakdown: `base_points` and one `points:<trait>` column per trait.
    pub breakdown: bool,
}

/// The scored leads as a frame: lead_id, fit, engagement, score, probability, tier,
/// completeness (the share of the model's lead fields present; not part of the score), then
/// `reasons` and, with the breakdown, `base_points` and `points:<trait>` per trait, which add
/// up to `score`.
pub fn scores_frame(
    config: &ScoringConfig,
    ids: &StringChunked,
    scored: &Scored,
    explain: &Explain,
    observer: &dyn crate::observe::Observer,
) -> Result<DataFrame> {
    let n = scored.score.len();
    let tier_names: Vec<&str> = scored
        .tier
        .iter()
        .map(|&t| config.tiers.get(t).map_or("", |t| t.name.as_str()))
        .collect();
    let mut columns = vec![
        ids.clone().into_column().with_name("lead_id".into()),
        Column::new("fit".into(), &scored.fit),
        Column::new("engagement".into(), &scored.engagement),
        Column::new("score".into(), &scored.score),
        Column::new("probability".into(), &scored.probability),
        Column::new("tier".into(), &tier_names),
        Column::new("completeness".into(), &scored.completeness),
    ];
    if explain.reasons > 0 {
        columns.push(
            scored
                .reasons_column(config, explain.reasons, "reasons")?
                .into_column(),
        );
        observer.step("scores: reasons");
    }
    if explain.breakdown {
        columns.push(Column::new(
            "base_points".into(),
            vec![config.base_points; n],
        ));
        for (t, tr) in config.traits.iter().enumerate() {
            let points: Vec<i64> = scored.bins[t]
                .iter()
                .map(|&b| tr.bins[b as usize].points)
                .collect();
            columns.push(Column::new(format!("points:{}", tr.name).into(), points));
        }
    }
    Ok(DataFrame::new(n, columns)?)
}

/// Scores where each lead is scored by one of several models (one per queue): `pick[r]` is
/// the index into `sources` of lead row `r`'s model, each source's `Scored` covers every lead
/// row, and a `queue` column names the source. The leads keep their order. None: no sources.
pub fn routed_frame(
    sources: &[(&ScoringConfig, &Scored, String)],
    pick: &[usize],
    ids: &StringChunked,
    reasons: usize,
) -> Result<Option<DataFrame>> {
    let mut all: Option<DataFrame> = None;
    for (k, (config, scored, name)) in sources.iter().enumerate() {
        let rows: Vec<usize> = (0..pick.len()).filter(|&r| pick[r] == k).collect();
        let idx = IdxCa::from_vec("idx".into(), rows.iter().map(|&r| r as IdxSize).collect());
        let take_i64 = |v: &[i64]| rows.iter().map(|&r| v[r]).collect::<Vec<i64>>();
        let take_f64 = |v: &[f64]| rows.iter().map(|&r| v[r]).collect::<Vec<f64>>();
        let mut columns = vec![
            Column::new(
                "__order".into(),
                rows.iter().map(|&r| r as u64).collect::<Vec<u64>>(),
            ),
            ids.take(&idx)?.into_column().with_name("lead_id".into()),
            Column::new("fit".into(), take_i64(&scored.fit)),
            Column::new("engagement".into(), take_i64(&scored.engagement)),
            Column::new("score".into(), take_i64(&scored.score)),
            Column::new("probability".into(), take_f64(&scored.probability)),
            Column::new(
                "tier".into(),
                rows.iter()
                    .map(|&r| {
                        config
                            .tiers
                            .get(scored.tier[r])
                            .map_or("", |t| t.name.as_str())
                    })
                    .collect::<Vec<&str>>(),
            ),
            Column::new("completeness".into(), take_f64(&scored.completeness)),
        ];
        if reasons > 0 {
            let text: Vec<String> = rows
                .par_iter()
                .map(|&r| scored.reasons(config, r, reasons))
                .collect();
            columns.push(Column::new("reasons".into(), text));
        }
        columns.push(Column::new("queue".into(), vec![name.as_str(); rows.len()]));
        let df = DataFrame::new(rows.len(), columns)?;
        match &mut all {
            None => all = Some(df),
            Some(a) => {
                a.vstack_mut(&df)?;
            }
        }
    }
    let Some(all) = all else {
        return Ok(None);
    };
    let mut all = all.sort(["__order"], SortMultipleOptions::default())?;
    all.drop_in_place("__order")?;
    Ok(Some(all))
}

/// A frame as the bytes of a Parquet file (as [`write_frame`] writes it).
pub fn parquet(mut df: DataFrame) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes).finish(&mut df)?;
    Ok(bytes)
}

/// A frame as Parquet or (by any other extension) formula-safe CSV, written atomically.
pub fn write_frame(path: &Path, mut df: DataFrame) -> Result<()> {
    let n = df.height();
    let parquet = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    if parquet {
        output::write_atomic(path, |w| {
            ParquetWriter::new(w)
                .finish(&mut df)
                .map(|_| ())
                .map_err(std::io::Error::other)
        })
    } else {
        let header: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|c| c.to_string())
            .collect();
        let text: Vec<Vec<String>> = df
            .columns()
            .iter()
            .map(|c| csv_cells(c.as_materialized_series()))
            .collect::<Result<_>>()?;
        output::write_csv(
            path,
            &header.iter().map(String::as_str).collect::<Vec<_>>(),
            (0..n).map(|i| text.iter().map(|c| c[i].clone()).collect::<Vec<_>>()),
        )
    }
}

/// A score column as CSV text: probabilities to 6 decimals, completeness to 3.
fn csv_cells(s: &Series) -> Result<Vec<String>> {
    Ok(match s.dtype() {
        DataType::Int64 => s
            .i64()?
            .iter()
            .map(|v| v.map(|v| v.to_string()).unwrap_or_default())
            .collect(),
        DataType::Float64 => {
            let decimals = if s.name() == "completeness" { 3 } else { 6 };
            s.f64()?
                .iter()
                .map(|v| v.map(|v| format!("{v:.decimals$}")).unwrap_or_default())
                .collect()
        }
        DataType::Boolean => s
            .bool()?
            .iter()
            .map(|v| v.map(|v| v.to_string()).unwrap_or_default())
            .collect(),
        _ => s
            .str()?
            .iter()
            .map(|v| v.unwrap_or_default().to_string())
            .collect(),
    })
}
