//! Forwards the core's `tracing` records to one sink installed by a binding: the C callback
//! (`gr_set_log_callback`, which Python uses too) or the Java `System.Logger` bridge.
//!
//! A tracing subscriber (the registry plus [`ForwardLayer`]) is made the process-wide
//! default the first time a sink is installed. Records at the sink's level or more severe
//! are formatted as tracing-subscriber's `fmt` does ("span{field=value}: message
//! field=value", spans outermost first) and handed over on the thread that logged them.
//! Spans (every operation's, at INFO) are filtered by the sink's level as events are, as
//! tracing-subscriber's own level filter does: at INFO and more verbose a record carries
//! its operation and fields; at WARN or ERROR it comes without them, and operations pay
//! nothing for spans (recording one costs about as much as the operation's own client-side
//! work, docs/PERFORMANCE.md).
//!
//! Guarantees the bindings document:
//! - once `install` returns, the previous sink is not running and is never called again
//!   (the sink sits behind a read-write lock held for each delivery);
//! - a record logged from inside a sink (the sink called back into the library) is
//!   dropped, and installing from inside a sink is refused, so neither recursion nor a
//!   self-deadlock is possible;
//! - nothing panics out of the layer: a panic while formatting or delivering is caught and
//!   the record dropped (a panic there would otherwise end the library task that logged).

use std::cell::Cell;
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{OnceLock, RwLock};

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// Where records go. Called on whichever thread logged (a library thread, or the caller's
/// thread inside a call), possibly from several threads at once.
pub(crate) trait LogSink: Send + Sync {
    fn deliver(&self, level: Level, target: &str, message: &str);
}

/// The installed sink and its level; `None` when logging is off.
static SINK: RwLock<Option<Box<dyn LogSink>>> = RwLock::new(None);
/// The most verbose level delivered (see [`level_number`]), 0 when no sink is installed.
/// Read on every record, so it lives outside the lock.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(0);
/// Whether the subscriber could be made the process-wide default (once).
static SUBSCRIBER: OnceLock<Result<(), String>> = OnceLock::new();

thread_local! {
    /// Set while this thread runs a sink.
    static IN_SINK: Cell<bool> = const { Cell::new(false) };
}

/// 1 = ERROR ... 5 = TRACE: the numbering of the C enum `gr_log_level` and of the Java
/// bridge.
pub(crate) fn level_number(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        Level::TRACE => 5,
    }
}

/// Installs `sink` (replacing any previous one) to receive records at `max_level` (1..=5,
/// see [`level_number`]) or more severe; `None` turns forwarding off. Returns once the
/// previous sink is no longer running.
pub(crate) fn install(sink: Option<Box<dyn LogSink>>, max_level: u8) -> Result<(), String> {
    if !(1..=5).contains(&max_level) {
        return Err(format!(
            "log level {max_level} is not one of 1 (ERROR) .. 5 (TRACE)"
        ));
    }
    if IN_SINK.with(Cell::get) {
        return Err("the log callback cannot be changed from inside the log callback".into());
    }
    SUBSCRIBER
        .get_or_init(|| {
            let subscriber = tracing_subscriber::registry().with(ForwardLayer);
            tracing::subscriber::set_global_default(subscriber)
                .map_err(|e| format!("cannot install the log forwarder: {e}"))
        })
        .clone()?;
    {
        let mut installed = SINK.write().unwrap_or_else(|p| p.into_inner());
        let level = if sink.is_some() { max_level } else { 0 };
        *installed = sink;
        MAX_LEVEL.store(level, Ordering::SeqCst);
    }
    // Callsites cache whether anyone listens; the level changed, so ask again.
    tracing::callsite::rebuild_interest_cache();
    Ok(())
}

/// The registry's layer that formats records and hands them to the sink.
struct ForwardLayer;

/// A span's fields, formatted once when it is created.
struct SpanFields(String);

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for ForwardLayer {
    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        let max = MAX_LEVEL.load(Ordering::Relaxed);
        max != 0 && level_number(metadata.level()) <= max
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(match MAX_LEVEL.load(Ordering::SeqCst) {
            0 => LevelFilter::OFF,
            1 => LevelFilter::ERROR,
            2 => LevelFilter::WARN,
            3 => LevelFilter::INFO,
            4 => LevelFilter::DEBUG,
            _ => LevelFilter::TRACE,
        })
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let _ = catch_unwind(AssertUnwindSafe(|| {
            let mut fields = FieldText::default();
            attrs.record(&mut fields);
            if let Some(span) = ctx.span(id) {
                span.extensions_mut().insert(SpanFields(fields.text));
            }
        }));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let _ = catch_unwind(AssertUnwindSafe(|| {
            let Some(span) = ctx.span(id) else { return };
            let mut extensions = span.extensions_mut();
            if let Some(SpanFields(text)) = extensions.get_mut::<SpanFields>() {
                let mut more = FieldText {
                    text: std::mem::take(text),
                    message: None,
                };
                values.record(&mut more);
                *text = more.text;
            }
        }));
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if IN_SINK.with(Cell::get) {
            return;
        }
        let _ = catch_unwind(AssertUnwindSafe(|| {
            let message = format_event(event, &ctx);
            let installed = SINK.read().unwrap_or_else(|p| p.into_inner());
            if let Some(sink) = installed.as_ref() {
                IN_SINK.with(|flag| flag.set(true));
                let metadata = event.metadata();
                sink.deliver(*metadata.level(), metadata.target(), &message);
                IN_SINK.with(|flag| flag.set(false));
            }
        }));
        // A panicking sink left the flag set; this thread is not in a sink any more.
        IN_SINK.with(|flag| flag.set(false));
    }
}

/// "outer{a=1}:inner{b=2}: message c=3"
fn format_event<S: Subscriber + for<'a> LookupSpan<'a>>(
    event: &Event<'_>,
    ctx: &Context<'_, S>,
) -> String {
    let mut out = String::new();
    if let Some(scope) = ctx.event_scope(event) {
        for span in scope.from_root() {
            out.push_str(span.name());
            if let Some(SpanFields(fields)) = span.extensions().get::<SpanFields>() {
                if !fields.is_empty() {
                    let _ = write!(out, "{{{fields}}}");
                }
            }
            out.push(':');
        }
        if !out.is_empty() {
            out.push(' ');
        }
    }
    let mut fields = FieldText::default();
    event.record(&mut fields);
    match (fields.message, fields.text.is_empty()) {
        (Some(message), true) => out.push_str(&message),
        (Some(message), false) => {
            let _ = write!(out, "{message} {}", fields.text);
        }
        (None, _) => out.push_str(&fields.text),
    }
    out
}

/// Formats fields as "a=1 b=text"; an event's `message` is kept apart.
#[derive(Default)]
struct FieldText {
    text: String,
    message: Option<String>,
}

impl Visit for FieldText {
    // Most span fields are strings (group, lock, member): written directly, since every
    // operation's span is formatted while a sink is installed and the formatting machinery
    // costs more than the copy.
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = Some(value.to_string());
            return;
        }
        if !self.text.is_empty() {
            self.text.push(' ');
        }
        self.text.push_str(field.name());
        self.text.push('=');
        self.text.push_str(value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = Some(format!("{value:?}"));
            return;
        }
        if !self.text.is_empty() {
            self.text.push(' ');
        }
        let _ = write!(self.text, "{}={value:?}", field.name());
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Collects what it is given.
    struct Collect(Arc<Mutex<Vec<(Level, String, String)>>>);

    impl LogSink for Collect {
        fn deliver(&self, level: Level, target: &str, message: &str) {
            self.0
                .lock()
                .unwrap()
                .push((level, target.to_string(), message.to_string()));
        }
    }

    /// A sink that logs from inside itself, then panics.
    struct Reentrant(Arc<Mutex<u32>>);

    impl LogSink for Reentrant {
        fn deliver(&self, _level: Level, _target: &str, _message: &str) {
            *self.0.lock().unwrap() += 1;
            tracing::warn!("logged from inside the sink");
            assert!(install(None, 2).is_err(), "install from inside a sink");
            panic!("deliberate panic in a sink");
        }
    }

    // One test: the forwarder is process-wide state.
    #[test]
    fn records_at_the_level_reach_the_sink_with_their_spans_and_nothing_escapes() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        install(Some(Box::new(Collect(Arc::clone(&seen)))), 2).unwrap();
        // At WARN the INFO span is not recorded: the warning comes without it.
        tracing::info_span!("members", group = "g0").in_scope(|| {
            tracing::warn!(error = %"bad record", "skipping a member record");
            tracing::info!("below the level");
        });
        assert_eq!(
            seen.lock().unwrap().pop().map(|(_, _, message)| message),
            Some("skipping a member record error=bad record".to_string())
        );
        // At INFO the span is recorded and names the operation.
        install(Some(Box::new(Collect(Arc::clone(&seen)))), 3).unwrap();
        tracing::info_span!("members", group = "g1").in_scope(|| {
            tracing::warn!(error = %"bad record", "skipping a member record");
        });
        install(Some(Box::new(Collect(Arc::clone(&seen)))), 2).unwrap();
        let text = "a \"quoted\" str";
        tracing::error!(text, "plain");
        assert_eq!(
            *seen.lock().unwrap(),
            [
                (
                    Level::WARN,
                    module_path!().to_string(),
                    "members{group=g1}: skipping a member record error=bad record".into()
                ),
                (
                    Level::ERROR,
                    module_path!().to_string(),
                    "plain text=a \"quoted\" str".into()
                ),
            ]
        );

        // Raising the level to DEBUG lets DEBUG through; TRACE stays out.
        seen.lock().unwrap().clear();
        install(Some(Box::new(Collect(Arc::clone(&seen)))), 4).unwrap();
        tracing::debug!("now visible");
        tracing::trace!("still hidden");
        assert_eq!(seen.lock().unwrap().len(), 1);

        // A sink that logs, installs and panics from inside: one delivery, no recursion,
        // and the panic stays inside the layer.
        let calls = Arc::new(Mutex::new(0));
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        install(Some(Box::new(Reentrant(Arc::clone(&calls)))), 2).unwrap();
        tracing::warn!("to the reentrant sink");
        std::panic::set_hook(hook);
        assert_eq!(*calls.lock().unwrap(), 1);

        // Off: nothing is delivered, and the level is checked.
        seen.lock().unwrap().clear();
        install(None, 2).unwrap();
        tracing::error!("nobody listens");
        assert!(seen.lock().unwrap().is_empty());
        assert!(install(None, 0).is_err());
        assert!(install(None, 6).is_err());
    }
}
