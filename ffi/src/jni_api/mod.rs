//! The JNI bridge for `group_redis.*` Java classes. Filled in by the Java binding work.
