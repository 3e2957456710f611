//! Recipe handles: objects a recipe opener returns, used as the first argument of bridged
//! definitions (ffi/src/ops/recipes.rs) like the connector and the subscription, with
//! their events through the one [`gr_subscription`](crate::subscription::gr_subscription).
//! Freeing is written here, once per language.

use grcore::blocking::{Assignment, Leadership, ServiceProvider};
use jni::objects::JClass;
use jni::sys::jlong;
use jni::EnvUnowned;

use crate::bridge::handle::Handle;
use crate::c_api::status::{FfiError, FfiResult};
use crate::jni_api::errors::{BridgeResult, ThrowGroupRedis};
use crate::jni_api::handles::{borrow, free_handle};

/// A campaign for leadership of one name (`gr_elect`): ask `gr_leadership_is_leader`,
/// follow it with `gr_leadership_subscribe`, give it up with `gr_leadership_resign`, free
/// it with `gr_leadership_free` (which resigns first).
#[allow(non_camel_case_types)]
pub struct gr_leadership {
    pub(crate) inner: Leadership,
}

impl Drop for gr_leadership {
    fn drop(&mut self) {
        // Resigned before the handle goes, so the next leader is elected when free returns.
        if let Err(err) = self.inner.resign() {
            tracing::debug!(error = %err, "resigning a freed leadership");
        }
    }
}

/// A leadership just opened: the bridges hand it out as a handle (C pointer, Java long).
pub(crate) struct NewLeadership(pub Box<gr_leadership>);

impl Handle for gr_leadership {
    type Target = Leadership;
    type C = gr_leadership;
    const C_TYPE: &'static str = "const struct gr_leadership *";

    unsafe fn from_c<'a>(raw: *const gr_leadership) -> FfiResult<&'a Leadership> {
        raw.as_ref()
            .map(|l| &l.inner)
            .ok_or_else(|| FfiError::null("leadership"))
    }

    unsafe fn from_jni<'a>(raw: jlong) -> BridgeResult<&'a Leadership> {
        borrow::<gr_leadership>(raw).map(|l| &l.inner)
    }
}

/// Resigns (the lock is released, so the next leader is elected without waiting for a
/// lease) and frees the handle. Subscriptions opened from it end after their final
/// {"state":"FOLLOWER"} and are still freed with `gr_subscription_free`. NULL is ignored.
///
/// # Safety
/// `leadership` is NULL or a live handle from `gr_elect`, not freed before.
#[no_mangle]
pub unsafe extern "C" fn gr_leadership_free(leadership: *mut gr_leadership) {
    crate::c_api::status::free_handle(leadership);
}

/// Resigns and frees a leadership (see `gr_leadership_free`).
#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_leadershipFree<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    leadership: jlong,
) {
    unowned
        .with_env(|_env| -> BridgeResult<()> {
            // SAFETY: called once per leadership by its Java owner (which zeroes its copy).
            unsafe { free_handle::<gr_leadership>(leadership) };
            Ok(())
        })
        .resolve::<ThrowGroupRedis>()
}

/// Taking part in an assignment topic (`gr_assignments`): read the share with
/// `gr_assignment_share`, follow it with `gr_assignment_subscribe`, leave with
/// `gr_assignment_free`.
#[allow(non_camel_case_types)]
pub struct gr_assignment {
    pub(crate) inner: Assignment,
}

impl Drop for gr_assignment {
    fn drop(&mut self) {
        // Left before the handle goes, so the ids have moved on when free returns.
        if let Err(err) = self.inner.close() {
            tracing::debug!(error = %err, "leaving a freed assignment");
        }
    }
}

/// An assignment just opened: the bridges hand it out as a handle (C pointer, Java long).
pub(crate) struct NewAssignment(pub Box<gr_assignment>);

impl Handle for gr_assignment {
    type Target = Assignment;
    type C = gr_assignment;
    const C_TYPE: &'static str = "const struct gr_assignment *";

    unsafe fn from_c<'a>(raw: *const gr_assignment) -> FfiResult<&'a Assignment> {
        raw.as_ref()
            .map(|a| &a.inner)
            .ok_or_else(|| FfiError::null("assignment"))
    }

    unsafe fn from_jni<'a>(raw: jlong) -> BridgeResult<&'a Assignment> {
        borrow::<gr_assignment>(raw).map(|a| &a.inner)
    }
}

/// Leaves the topic (the share is dropped and its ids move to the others) and frees the
/// handle. Subscriptions opened from it end and are still freed with
/// `gr_subscription_free`. NULL is ignored.
///
/// # Safety
/// `assignment` is NULL or a live handle from `gr_assignments`, not freed before.
#[no_mangle]
pub unsafe extern "C" fn gr_assignment_free(assignment: *mut gr_assignment) {
    crate::c_api::status::free_handle(assignment);
}

/// Leaves and frees an assignment (see `gr_assignment_free`).
#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_assignmentFree<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    assignment: jlong,
) {
    unowned
        .with_env(|_env| -> BridgeResult<()> {
            // SAFETY: called once per assignment by its Java owner (which zeroes its copy).
            unsafe { free_handle::<gr_assignment>(assignment) };
            Ok(())
        })
        .resolve::<ThrowGroupRedis>()
}

/// A service provider (`gr_service_provider`): pick an instance with
/// `gr_provider_instance`, list them with `gr_provider_instances`, report a failed call with
/// `gr_provider_note_error`, follow the instances with `gr_provider_subscribe`, stop it with
/// `gr_provider_free`.
#[allow(non_camel_case_types)]
pub struct gr_provider {
    pub(crate) inner: ServiceProvider,
}

/// A provider just opened: the bridges hand it out as a handle (C pointer, Java long).
pub(crate) struct NewProvider(pub Box<gr_provider>);

impl Handle for gr_provider {
    type Target = ServiceProvider;
    type C = gr_provider;
    const C_TYPE: &'static str = "const struct gr_provider *";

    unsafe fn from_c<'a>(raw: *const gr_provider) -> FfiResult<&'a ServiceProvider> {
        raw.as_ref()
            .map(|p| &p.inner)
            .ok_or_else(|| FfiError::null("provider"))
    }

    unsafe fn from_jni<'a>(raw: jlong) -> BridgeResult<&'a ServiceProvider> {
        borrow::<gr_provider>(raw).map(|p| &p.inner)
    }
}

/// Stops the provider's cache and frees the handle. Subscriptions opened from it end and are
/// still freed with `gr_subscription_free`. NULL is ignored.
///
/// # Safety
/// `provider` is NULL or a live handle from `gr_service_provider`, not freed before.
#[no_mangle]
pub unsafe extern "C" fn gr_provider_free(provider: *mut gr_provider) {
    crate::c_api::status::free_handle(provider);
}

/// Stops and frees a provider (see `gr_provider_free`).
#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_providerFree<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    provider: jlong,
) {
    unowned
        .with_env(|_env| -> BridgeResult<()> {
            // SAFETY: called once per provider by its Java owner (which zeroes its copy).
            unsafe { free_handle::<gr_provider>(provider) };
            Ok(())
        })
        .resolve::<ThrowGroupRedis>()
}
