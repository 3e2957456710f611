//! Every operation on a connector, each defined once (see [`crate::bridge`]); the C and
//! JNI exports come from these definitions. Laid out as the core is: the connector's own
//! state, membership, locks, data, subscriptions, recipes.

pub mod data;
pub mod discovery;
pub mod locks;
pub mod membership;
pub mod messages;
pub mod options;
pub mod recipes;
pub mod session;
pub mod subscriptions;

/// Every operation, in header order.
#[cfg(test)]
pub(crate) fn declarations() -> impl Iterator<Item = &'static crate::bridge::Declaration> {
    [
        options::DECLARATIONS,
        session::DECLARATIONS,
        membership::DECLARATIONS,
        locks::DECLARATIONS,
        data::DECLARATIONS,
        subscriptions::DECLARATIONS,
        messages::DECLARATIONS,
        recipes::DECLARATIONS,
        discovery::DECLARATIONS,
    ]
    .into_iter()
    .flatten()
}
