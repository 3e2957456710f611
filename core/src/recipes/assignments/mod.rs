//! Controlled assignments: distributing a set of ids among live members, balanced and
//! sticky. [`plan`] computes the assignment (a pure function, property-tested; public as
//! `group_redis::assignment_plan`); the
//! leader-driven distribution over Redis (revoke before assign, per-id fencing tokens) is
//! not built yet (issue 17).

pub mod plan;
