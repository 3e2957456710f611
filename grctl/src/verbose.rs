//! `--verbose`: what grctl is doing and how long it took, one timestamped line per step on
//! stderr, so stdout stays the JSON lines a script reads.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

static ON: AtomicBool = AtomicBool::new(false);

/// Turns the step lines on for the rest of the process.
pub fn enable() {
    ON.store(true, Ordering::Relaxed);
}

/// Prints `2024-05-01T12:00:00.123Z grctl: <what>` on stderr when `--verbose` is on.
pub fn log(what: fmt::Arguments<'_>) {
    if ON.load(Ordering::Relaxed) {
        let now = humantime::format_rfc3339_millis(SystemTime::now());
        eprintln!("{now} grctl: {what}");
    }
}

/// `verbose!("format", args...)`: a step line, only with `--verbose`.
macro_rules! verbose {
    ($($arg:tt)*) => {
        $crate::verbose::log(format_args!($($arg)*))
    };
}
pub(crate) use verbose;
