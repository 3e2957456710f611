//! The records the library logs: an unreadable stored record is skipped with a WARN, inside
//! the span of the operation that met it, whose fields name the group; no span or record
//! carries the password.

mod common;

use std::sync::{Arc, Mutex, OnceLock};

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

#[derive(Default)]
struct Collected {
    records: Vec<Record>,
    /// Every span opened, as "name{fields}".
    spans: Vec<String>,
}

struct Collect(Arc<Mutex<Collected>>);

/// The process-wide collector (installed once for every test in this file).
fn collected() -> Arc<Mutex<Collected>> {
    static COLLECTED: OnceLock<Arc<Mutex<Collected>>> = OnceLock::new();
    Arc::clone(COLLECTED.get_or_init(|| {
        let collected = Arc::new(Mutex::new(Collected::default()));
        let subscriber = tracing_subscriber::registry().with(Collect(Arc::clone(&collected)));
        tracing::subscriber::set_global_default(subscriber).unwrap();
        collected
    }))
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Collect {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Text::default();
        attrs.record(&mut fields);
        let span = ctx.span(id).unwrap();
        let text = format!("{}{{{}}}", span.name(), fields.0);
        self.0.lock().unwrap().spans.push(text.clone());
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
        self.0.lock().unwrap().records.push(Record {
            level: *event.metadata().level(),
            target: event.metadata().target().to_string(),
            message: message.0,
            spans,
        });
    }
}

#[test]
fn an_unreadable_member_record_is_skipped_with_a_warning_in_the_members_span() {
    let collected = collected();
    let server = RedisServer::start();
    let group = unique_group("logs");
    let conn = group_redis::blocking::Connector::connect(config(&server, &group, "good")).unwrap();
    conn.join(None, None).unwrap();
    let members_key = group_redis::keys::Keys::new(&group).members();
    let _: i64 = raw_command(&server, &["HSET", &members_key, "garbage", "{not json"]);

    let ids: Vec<String> = conn.members().unwrap().into_iter().map(|m| m.id).collect();
    assert_eq!(ids, ["good"]);

    let records = collected.lock().unwrap().records.clone();
    let warning = records
        .iter()
        .find(|r| {
            r.message.contains("skipping a member record")
                && r.spans.iter().any(|span| span.contains(&group))
        })
        .unwrap_or_else(|| panic!("no warning about the record among {records:#?}"));
    assert_eq!(warning.level, Level::WARN);
    assert_eq!(warning.target, "group_redis::membership::member");
    assert!(warning.message.contains("{not json"), "{warning:?}");
    assert_eq!(
        warning.spans,
        [format!("members{{group={group:?}}}")],
        "{warning:?}"
    );
    conn.close().unwrap();
}

#[test]
fn no_span_or_record_carries_the_password() {
    let collected = collected();
    let server = RedisServer::start();
    let _: String = raw_command(&server, &["CONFIG", "SET", "requirepass", "s3cret-pw"]);
    let group = unique_group("logs-password");
    let url = server.url().replace("redis://", "redis://:s3cret-pw@");
    let conn = group_redis::blocking::Connector::connect(
        group_redis::Config::new(url)
            .with_group(&group)
            .with_member_id("m"),
    )
    .unwrap();
    conn.join(None, None).unwrap();
    conn.members().unwrap();
    conn.close().unwrap();

    let collected = collected.lock().unwrap();
    let connect = collected
        .spans
        .iter()
        .find(|span| span.starts_with("connect{") && span.contains(&group))
        .expect("a connect span");
    assert!(connect.contains(":***@127.0.0.1"), "{connect}");
    for text in collected
        .spans
        .iter()
        .chain(collected.records.iter().map(|r| &r.message))
    {
        assert!(!text.contains("s3cret-pw"), "{text}");
    }
}
