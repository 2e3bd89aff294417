//! The fit: on the one validation split ([`split`]), a weighted logistic regression on the
//! leads' bin patterns ([`model`], solved by [`logit`]), turned into integer points
//! ([`scorecard`]) and hot/warm/cold tiers ([`tiers`]); [`tune`] chooses the settings and
//! fits the model, [`queues`] fits one scorecard per queue.

pub mod logit;
pub mod model;
pub mod queues;
pub mod scorecard;
pub mod select;
pub mod split;
pub mod tiers;
pub mod tune;
