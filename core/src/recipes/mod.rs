//! Recipes built on the core primitives, each a handle whose events go through the one
//! subscription mechanism ([`crate::Subscription`]).

pub mod discovery;
