//! Native objects handed to Java as `long` handles: a boxed value whose address Java keeps
//! until it frees it exactly once (the Java side guarantees no call is running then).

use grcore::Error;

use super::errors::BridgeResult;

/// Moves `value` to the heap and returns its address for Java.
pub(crate) fn into_handle<T>(value: T) -> i64 {
    Box::into_raw(Box::new(value)) as i64
}

/// Borrows the object behind `handle`. A zero handle means the Java object was closed.
///
/// # Safety
/// `handle` must be zero or come from [`into_handle`] with the same `T`, and not have been
/// passed to [`free_handle`] yet (the Java side's call counting ensures both).
pub(crate) unsafe fn borrow<'a, T>(handle: i64) -> BridgeResult<&'a T> {
    if handle == 0 {
        return Err(Error::Closed.into());
    }
    // SAFETY: see the function's contract.
    Ok(unsafe { &*(handle as *const T) })
}

/// Drops the object behind `handle` (zero is ignored).
///
/// # Safety
/// As for [`borrow`]; afterwards the handle must never be used again.
pub(crate) unsafe fn free_handle<T>(handle: i64) {
    if handle != 0 {
        // SAFETY: see the function's contract.
        drop(unsafe { Box::from_raw(handle as *mut T) });
    }
}
