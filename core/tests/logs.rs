//! The records the library logs: an unreadable stored record is skipped with a WARN, inside
//! the span of the operation that met it, whose fields name the group.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// One record as the test sees it: level, target, message, and the spans it ran in
/// ("name{field=value ...}", outermost first).
#[derive(Debug, Clone)]
struct Record {
    level: Level,
    target: String,
    message: String,
    spans: Vec<String>,
}

#[derive(Default)]
struct Text(String);

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        if field.name() == "message" {
            self.0.push_str(&format!("{value:?}"));
        } else {
            self.0.push_str(&format!("{}={value:?}", field.name()));
        }
    }
}

struct Collect(Arc<Mutex<Vec<Record>>>);

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Collect {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Text::default();
        attrs.record(&mut fields);
        let span = ctx.span(id).unwrap();
        let text = format!("{}{{{}}}", span.name(), fields.0);
        span.extensions_mut().insert(text);
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut message = Text::default();
        event.record(&mut message);
        let spans = ctx
            .event_scope(event)
            .map(|scope| {
                scope
                    .from_root()
                    .map(|span| span.extensions().get::<String>().cloned().unwrap())
                    .collect()
            })
            .unwrap_or_default();
        self.0.lock().unwrap().push(Record {
            level: *event.metadata().level(),
            target: event.metadata().target().to_string(),
            message: message.0,
            spans,
        });
    }
}

#[test]
fn an_unreadable_member_record_is_skipped_with_a_warning_in_the_members_span() {
    let records = Arc::new(Mutex::new(Vec::new()));
    let subscriber = tracing_subscriber::registry().with(Collect(Arc::clone(&records)));
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let server = RedisServer::start();
    let group = unique_group("logs");
    let conn = group_redis::blocking::Connector::connect(config(&server, &group, "good")).unwrap();
    conn.join(None, None).unwrap();
    let members_key = format!("gr:{{{group}}}:members");
    let _: i64 = raw_command(&server, &["HSET", &members_key, "garbage", "{not json"]);

    let ids: Vec<String> = conn.members().unwrap().into_iter().map(|m| m.id).collect();
    assert_eq!(ids, ["good"]);

    let records = records.lock().unwrap().clone();
    let warning = records
        .iter()
        .find(|r| r.message.contains("skipping a member record"))
        .unwrap_or_else(|| panic!("no warning about the record among {records:#?}"));
    assert_eq!(warning.level, Level::WARN);
    assert_eq!(warning.target, "group_redis::connector");
    assert!(warning.message.contains("{not json"), "{warning:?}");
    assert_eq!(
        warning.spans,
        [format!("members{{group={group:?}}}")],
        "{warning:?}"
    );
    conn.close().unwrap();
}
