//! The first argument of a bridged definition: a handle of any opaque type (the connector,
//! a subscription, later a recipe object). One `impl` per handle kind says how both
//! bridges find the object behind the handle and refuse a NULL, freed or closed one.

use grcore::blocking::Connector;
use grcore::Error;
use jni::sys::jlong;

use super::values::{Any, Open};
use crate::c_api::connector::gr_connector;
use crate::c_api::options::gr_options;
use crate::c_api::status::{FfiError, FfiResult};
use crate::jni_api::errors::BridgeResult;
use crate::jni_api::handles::borrow;
use crate::subscription::gr_subscription;

/// How a handle argument is read by the C and the JNI export, and how the outcome of a
/// call on it is reported.
pub(crate) trait Handle {
    /// What the definition's body gets a reference to.
    type Target;
    /// The C struct the handle points to (opaque in the header).
    type C;
    /// Its C parameter type as the header spells it.
    #[cfg_attr(not(test), allow(dead_code))] // read by the declarations tests
    const C_TYPE: &'static str;

    /// # Safety
    /// `raw` is NULL or a live handle of this kind.
    unsafe fn from_c<'a>(raw: *const Self::C) -> FfiResult<&'a Self::Target>;

    /// # Safety
    /// `raw` is 0 or a live handle of this kind from the Java side.
    unsafe fn from_jni<'a>(raw: jlong) -> BridgeResult<&'a Self::Target>;

    /// How a call's outcome is reported, given the object it ran on.
    fn settle<T>(_target: &Self::Target, result: grcore::Result<T>) -> grcore::Result<T> {
        result
    }
}

/// A connector in any state (close, state): reports what happened, closed or not.
impl Handle for Any {
    type Target = Connector;
    type C = gr_connector;
    const C_TYPE: &'static str = "const struct gr_connector *";

    unsafe fn from_c<'a>(raw: *const gr_connector) -> FfiResult<&'a Connector> {
        raw.as_ref()
            .map(|c| &c.inner)
            .ok_or_else(|| FfiError::null("connector"))
    }

    unsafe fn from_jni<'a>(raw: jlong) -> BridgeResult<&'a Connector> {
        borrow(raw)
    }
}

/// A connector that must be open: a closed one is refused (GR_CLOSED,
/// `ConnectorClosedException`).
impl Handle for Open {
    type Target = Connector;
    type C = gr_connector;
    const C_TYPE: &'static str = "const struct gr_connector *";

    unsafe fn from_c<'a>(raw: *const gr_connector) -> FfiResult<&'a Connector> {
        let connector = Any::from_c(raw)?;
        if connector.is_closed() {
            return Err(Error::Closed.into());
        }
        Ok(connector)
    }

    unsafe fn from_jni<'a>(raw: jlong) -> BridgeResult<&'a Connector> {
        let connector = Any::from_jni(raw)?;
        if connector.is_closed() {
            return Err(Error::Closed.into());
        }
        Ok(connector)
    }

    /// A call that fails because the connector was closed while it ran (the close ended
    /// the session under it, so the core reports e.g. an expired session) is reported as
    /// closed, as it would have been had it started a moment later. Refusals of the
    /// caller's own arguments stay what they are.
    fn settle<T>(connector: &Connector, result: grcore::Result<T>) -> grcore::Result<T> {
        match result {
            Err(err @ (Error::InvalidArgument(_) | Error::InvalidJson(_))) => Err(err),
            Err(_) if connector.is_closed() => Err(Error::Closed),
            other => other,
        }
    }
}

/// A handle that is its own target: NULL is refused (`what` names it); Java passes 0 once
/// its object was closed, which reads as closed.
macro_rules! plain_handle {
    ($($ty:ident as $c:literal, $what:literal;)*) => {$(
        impl Handle for $ty {
            type Target = $ty;
            type C = $ty;
            const C_TYPE: &'static str = $c;

            unsafe fn from_c<'a>(raw: *const $ty) -> FfiResult<&'a $ty> {
                raw.as_ref().ok_or_else(|| FfiError::null($what))
            }

            unsafe fn from_jni<'a>(raw: jlong) -> BridgeResult<&'a $ty> {
                borrow(raw)
            }
        }
    )*};
}

plain_handle! {
    // A subscription of any kind.
    gr_subscription as "const struct gr_subscription *", "subscription";
    // Connect options (C only; Java sends its options as JSON).
    gr_options as "struct gr_options *", "options";
}
