//! Tables for people and machines. Aggregates only: no lead's name, email or company.

pub mod traits_table;
