//! Controlled assignments: distributing a set of ids among the live participants of a
//! topic, balanced and sticky, leader-driven, revoke before assign, with a fencing token
//! per id. [`plan`] computes the balanced sticky assignment (a pure function,
//! property-tested; public as `group_redis::assignment_plan`); `step` is one leader step
//! (revocations wait for the old owner's acknowledgement or the end of its session);
//! `state` is the record and its layout in Redis (a head and one share per member);
//! `participant` follows its own share and `lead` runs the steps, over the connector's
//! API (docs/PROTOCOL.md, "Controlled assignments").

pub(crate) mod lead;
pub(crate) mod participant;
pub mod plan;
pub(crate) mod state;
pub(crate) mod step;

#[cfg(test)]
mod simulation;
