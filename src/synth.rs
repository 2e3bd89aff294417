//! PLACEHOLDER until the generator lands (not committed).
pub struct SynthParams {
    pub leads: usize,
    pub seed: u64,
}
#[derive(Debug, Clone, serde::Serialize)]
pub struct SynthSummary {
    pub leads: u64,
    pub deals: u64,
    pub activities: u64,
    pub spend_rows: u64,
    pub customers: u64,
    pub malformed: std::collections::BTreeMap<String, u64>,
}
pub fn generate(_params: &SynthParams, _out: &std::path::Path) -> std::io::Result<SynthSummary> {
    Err(std::io::Error::other("not yet"))
}
