//! Controlled assignments: distributing a set of ids among the live participants of a
//! topic, balanced and sticky, leader-driven, revoke before assign, with a fencing token
//! per id. [`plan`] computes the balanced sticky assignment (a pure function,
//! property-tested; public as `group_redis::assignment_plan`); `step` is one leader step
//! (revocations wait for the old owner's acknowledgement or the end of its session);
//! `participant` runs both over the connector's public API (docs/PROTOCOL.md, "Controlled
//! assignments").

pub(crate) mod participant;
pub mod plan;
pub(crate) mod state;
pub(crate) mod step;

#[cfg(test)]
mod simulation;
