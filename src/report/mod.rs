//! Tables for people and machines. Aggregates only: no lead's name, email or company.

pub mod points_table;
pub mod traits_table;
