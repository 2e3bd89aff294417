//! Tables for people and machines. Aggregates only: no lead's name, email or company.

pub mod charts;
pub mod conversion;
pub mod figures;
pub mod html;
pub mod model_tables;
pub mod points_table;
pub mod quality;
pub mod roi;
pub mod sla;
pub mod table;
pub mod tables;
pub mod traits_table;
pub mod write_tables;

use std::path::Path;

use crate::error::Result;
use crate::ingest::Reject;

/// `rejected.csv`: every row not used, with table, file, row, column, reason and value.
pub fn write_rejected(path: &Path, rejects: &[Reject]) -> Result<()> {
    crate::output::write_csv(
        path,
        &["table", "file", "row", "column", "reason", "value"],
        rejects.iter().map(|r| {
            [
                r.table.to_string(),
                r.file.clone(),
                r.row.to_string(),
                r.column.clone(),
                r.reason.clone(),
                r.value.clone().unwrap_or_default(),
            ]
        }),
    )
}
