//! Validation of every name that becomes part of a Redis key or a member record.

use crate::error::{Error, Result};

/// The longest name accepted (bytes). Keys stay small and a typo'd blob is caught early.
pub const MAX_NAME_BYTES: usize = 1024;

/// Checks a member id, lock name, data path, sub-group or key: non-empty, at most
/// [`MAX_NAME_BYTES`], no NUL byte.
pub fn check_name(kind: &str, name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::InvalidArgument(format!("{kind} must not be empty")));
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(Error::InvalidArgument(format!(
            "{kind} is {} bytes, more than {MAX_NAME_BYTES}",
            name.len()
        )));
    }
    if name.contains('\0') {
        return Err(Error::InvalidArgument(format!(
            "{kind} contains a NUL byte"
        )));
    }
    Ok(())
}

/// Checks a prefix for listing: like a name, but may be empty (everything).
pub fn check_prefix(prefix: &str) -> Result<()> {
    if prefix.is_empty() {
        return Ok(());
    }
    check_name("prefix", prefix)
}

/// Checks a group name: a name that also may not contain `{` or `}`, since it forms the
/// hash tag that keeps a group's keys on one Redis Cluster slot.
pub fn check_group(group: &str) -> Result<()> {
    check_name("group name", group)?;
    if group.contains(['{', '}']) {
        return Err(Error::InvalidArgument(
            "group name must not contain '{' or '}'".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(check_name("lock name", "a").is_ok());
        assert!(check_name("lock name", "").is_err());
        assert!(check_name("lock name", "a\0b").is_err());
        assert!(check_name("lock name", &"x".repeat(MAX_NAME_BYTES)).is_ok());
        assert!(check_name("lock name", &"x".repeat(MAX_NAME_BYTES + 1)).is_err());
        assert!(check_group("g{1}").is_err());
        assert!(check_group("g1").is_ok());
        assert!(check_prefix("").is_ok());
    }
}
