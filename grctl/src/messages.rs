//! The message and topic commands: broadcast, send, request, listen, topic ...

use std::time::Duration;

use group_redis::{json, Config};

use crate::cli::TopicCommand;
use crate::commands::{connect, failure, interrupted, print_json, CmdResult};
use crate::exit::Failure;
use crate::json_arg;
use crate::verbose::verbose;

/// How long one wait of `topic tail` lasts before it checks for an interrupt.
const TAIL_SLICE: Duration = Duration::from_millis(500);

pub fn broadcast(config: Config, json: &str, sub_group: Option<&str>) -> CmdResult {
    let payload = json_arg::parse("the message", json)?;
    let c = connect(config)?;
    let recipients = c
        .broadcast(&payload, sub_group)
        .map_err(|e| failure(&c, e))?;
    verbose!("broadcast to {recipients} member(s)");
    print_json(&json!({"recipients": recipients}));
    close(&c)
}

pub fn send(config: Config, member: &str, json: &str) -> CmdResult {
    let payload = json_arg::parse("the message", json)?;
    let c = connect(config)?;
    c.send(member, &payload).map_err(|e| failure(&c, e))?;
    print_json(&json!({"sent": member}));
    close(&c)
}

pub fn request(config: Config, member: &str, json: &str, timeout_ms: u64) -> CmdResult {
    let payload = json_arg::parse("the request", json)?;
    let c = connect(config)?;
    let reply = c
        .request(member, &payload, Duration::from_millis(timeout_ms))
        .map_err(|e| failure(&c, e))?;
    print_json(&json!({"reply": reply}));
    close(&c)
}

pub fn listen(config: Config, id: &str, sub_groups: Vec<String>, reply: Option<&str>) -> CmdResult {
    let reply = reply
        .map(|text| json_arg::parse("--reply", text))
        .transpose()?;
    let mut config = config.with_member_id(id);
    if !sub_groups.is_empty() {
        config = config.with_sub_groups(sub_groups);
    }
    let stop = interrupted()?;
    let c = std::sync::Arc::new(connect(config)?);
    let member = c.join(None, None).map_err(|e| failure(&c, e))?;
    let subscription = c.listen(None).map_err(|e| failure(&c, e))?;
    print_json(&json!({"listening": member.id, "session": member.session}));
    let responder = std::sync::Arc::clone(&c);
    let _handle = subscription.into_callback("grctl-listen", move |message| {
        print_json(&json!(message));
        if let (Some(reply), true) = (&reply, message.is_request()) {
            if let Err(err) = responder.reply(&message, reply) {
                eprintln!("grctl: reply to {} failed: {err}", message.from);
            }
        }
    });
    let _ = stop.recv();
    close(&c)
}

pub fn topic(config: Config, command: TopicCommand) -> CmdResult {
    let c = connect(config)?;
    match command {
        TopicCommand::Send { topic, json } => {
            let messages = json
                .iter()
                .enumerate()
                .map(|(i, text)| json_arg::parse(&format!("message {}", i + 1), text))
                .collect::<Result<Vec<_>, Failure>>()?;
            let indexes = c
                .topic_send(&topic, &messages)
                .map_err(|e| failure(&c, e))?;
            print_json(&json!({"indexes": indexes}));
        }
        TopicCommand::Read {
            topic,
            from,
            max,
            wait,
        } => {
            let batch = c
                .topic_read(&topic, from, max, wait.map(Duration::from_millis))
                .map_err(|e| failure(&c, e))?;
            for message in &batch.messages {
                print_json(&json!(message));
            }
            print_json(&json!({"next_index": batch.next_index}));
        }
        TopicCommand::Tail { topic, from } => {
            let stop = interrupted()?;
            let mut next = match from {
                Some(from) => from,
                None => {
                    let info = c.topic_info(&topic).map_err(|e| failure(&c, e))?;
                    info.last_index.map_or(0, |last| last + 1)
                }
            };
            verbose!("tailing {topic:?} from index {next}");
            while stop.try_recv().is_err() {
                let batch = c
                    .topic_read(&topic, next, 1000, Some(TAIL_SLICE))
                    .map_err(|e| failure(&c, e))?;
                for message in &batch.messages {
                    print_json(&json!(message));
                }
                next = batch.next_index;
            }
        }
        TopicCommand::Consume {
            topic,
            consumer_group: group,
            max,
            once,
        } => {
            let stop = interrupted()?;
            while stop.try_recv().is_err() {
                let messages = c
                    .topic_consume(&topic, &group, max, Some(TAIL_SLICE))
                    .map_err(|e| failure(&c, e))?;
                for message in &messages {
                    let acked = c
                        .topic_ack(&topic, &group, &[message.index])
                        .map_err(|e| failure(&c, e))?;
                    let mut line = json!(message);
                    line["acked"] = json!(acked == [true]);
                    print_json(&line);
                }
                if once {
                    break;
                }
            }
        }
        TopicCommand::Info { topic } => {
            let info = c.topic_info(&topic).map_err(|e| failure(&c, e))?;
            print_json(&json!(info));
        }
        TopicCommand::Retain {
            topic,
            max_len,
            max_age,
        } => {
            let removed = c
                .topic_set_retention(&topic, max_len, Duration::from_millis(max_age))
                .map_err(|e| failure(&c, e))?;
            print_json(&json!({"removed": removed}));
        }
    }
    close(&c)
}

fn close(c: &group_redis::blocking::Connector) -> CmdResult {
    c.close().map_err(|e| failure(c, e))
}
