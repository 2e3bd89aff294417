//! `points.csv`: the point table as an analyst reads it, one row per trait bin.

use std::path::Path;

use crate::error::Result;
use crate::fit::tune::Tuned;
use crate::output;
use crate::report::traits_table::number;
use crate::traits::binning::Origin;

pub fn write(path: &Path, t: &Tuned) -> Result<()> {
    let mut rows = vec![[
        "(base)".to_string(),
        "fit".to_string(),
        "every lead".to_string(),
        t.config.base_points.to_string(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
    ]];
    for (m, c) in t.model.traits.iter().zip(&t.config.traits) {
        for (bin, cb) in m.bins.bins.iter().zip(&c.bins) {
            rows.push([
                c.name.clone(),
                match c.sub_score {
                    Origin::Fit => "fit".into(),
                    Origin::Engagement => "engagement".into(),
                },
                cb.label.clone(),
                cb.points.to_string(),
                if cb.pinned { "yes" } else { "" }.to_string(),
                bin.leads.to_string(),
                bin.wins.to_string(),
                number(bin.conversion),
                number(bin.woe),
            ]);
        }
    }
    output::write_csv(
        path,
        &[
            "trait",
            "sub_score",
            "bin",
            "points",
            "pinned",
            "train_leads",
            "train_wins",
            "train_conversion",
            "woe",
        ],
        rows,
    )
}
