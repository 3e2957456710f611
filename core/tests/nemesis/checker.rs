//! The history of a nemesis run and the checker that reads it afterwards. Times are
//! microseconds since the Unix epoch, one clock for the test and its contender processes
//! (one host, one kernel clock). Every event records the moment before and after the call,
//! so a contender frozen between a call and its note cannot make the checker see an order
//! that did not happen: a finding needs one event to have ended before the other began.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in microseconds since the Unix epoch.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_micros() as u64
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// `try_lock` was called at `asked` and returned `token` at `got`.
    Acquired {
        member: usize,
        token: u64,
        asked: u64,
        got: u64,
    },
    /// `held_token` was called at `from` and said `token` is held at `to` (the write).
    Wrote {
        member: usize,
        token: u64,
        from: u64,
        to: u64,
    },
    Fault {
        what: String,
        at: u64,
    },
}

impl Event {
    /// One line of a contender's report (`GRN ...`), as [`Event::parse`] reads it.
    pub fn line(&self) -> String {
        match self {
            Event::Acquired {
                member,
                token,
                asked,
                got,
            } => format!("GRN acquired {member} {token} {asked} {got}"),
            Event::Wrote {
                member,
                token,
                from,
                to,
            } => format!("GRN wrote {member} {token} {from} {to}"),
            Event::Fault { what, at } => format!("GRN fault {at} {what}"),
        }
    }

    /// The event a contender's report line carries, `None` for any other output (the
    /// test harness may have written its own text before it on the same line).
    pub fn parse(line: &str) -> Option<Event> {
        let mut words = line[line.find("GRN ")? + 4..].split(' ');
        let kind = words.next()?;
        let mut number = || words.next()?.parse::<u64>().ok();
        match kind {
            "acquired" => Some(Event::Acquired {
                member: number()? as usize,
                token: number()?,
                asked: number()?,
                got: number()?,
            }),
            "wrote" => Some(Event::Wrote {
                member: number()? as usize,
                token: number()?,
                from: number()?,
                to: number()?,
            }),
            _ => None,
        }
    }
}

/// What the checker found.
#[derive(Debug, Default)]
pub struct Findings {
    /// Writes whose check began after another acquisition of a larger token had ended.
    pub unsafe_writes: Vec<String>,
    /// Tokens granted twice, or a smaller token granted after a larger one was.
    pub regressions: Vec<String>,
    /// Per fault: how long until the lock was used again.
    pub unavailability: Vec<Unavailability>,
}

/// How long after a fault the lock was next used, in µs (`None`: not before the end).
#[derive(Debug, PartialEq)]
pub struct Unavailability {
    pub fault: String,
    /// The next write or acquisition (a holder that kept its lease may go on writing).
    pub used: Option<u64>,
    /// The next acquisition.
    pub acquired: Option<u64>,
}

pub fn check(history: &[Event]) -> Findings {
    let mut findings = Findings::default();
    let acquisitions: Vec<(usize, u64, u64, u64)> = history
        .iter()
        .filter_map(|e| match e {
            Event::Acquired {
                member,
                token,
                asked,
                got,
            } => Some((*member, *token, *asked, *got)),
            _ => None,
        })
        .collect();
    for (i, (m1, t1, _, got1)) in acquisitions.iter().enumerate() {
        for (m2, t2, _, _) in &acquisitions[i + 1..] {
            if t1 == t2 {
                findings.regressions.push(format!(
                    "members {m1} and {m2} were both granted token {t1}"
                ));
            }
        }
        for (m2, t2, asked2, _) in &acquisitions {
            // Member 2 asked after member 1's larger token had been granted, and got less.
            if t2 < t1 && asked2 > got1 {
                findings.regressions.push(format!(
                    "member {m2} asked {} µs after member {m1} got token {t1}, and got {t2}",
                    asked2 - got1
                ));
            }
        }
    }
    for event in history {
        if let Event::Wrote {
            member,
            token,
            from,
            ..
        } = event
        {
            let overtaken = acquisitions
                .iter()
                .filter(|(_, t, _, got)| t > token && got < from)
                .min_by_key(|(_, _, _, got)| *got);
            if let Some((other, newer, _, got)) = overtaken {
                findings.unsafe_writes.push(format!(
                    "member {member} wrote with token {token} {} µs after member {other} \
                     had acquired token {newer}",
                    from - got
                ));
            }
        }
    }
    let uses: Vec<u64> = history
        .iter()
        .filter_map(|e| match e {
            Event::Acquired { got, .. } => Some(*got),
            Event::Wrote { to, .. } => Some(*to),
            Event::Fault { .. } => None,
        })
        .collect();
    let after = |times: &mut dyn Iterator<Item = u64>, at: u64| {
        times.filter(|t| *t > at).min().map(|t| t - at)
    };
    for event in history {
        if let Event::Fault { what, at } = event {
            findings.unavailability.push(Unavailability {
                fault: what.clone(),
                used: after(&mut uses.iter().copied(), *at),
                acquired: after(&mut acquisitions.iter().map(|a| a.3), *at),
            });
        }
    }
    findings
}

#[test]
fn the_checker_finds_an_unsafe_write_and_a_repeated_or_backward_token() {
    let acquired = |member, token, asked, got| Event::Acquired {
        member,
        token,
        asked,
        got,
    };
    let wrote = |member, token, from| Event::Wrote {
        member,
        token,
        from,
        to: from + 1,
    };
    let history = vec![
        acquired(0, 5, 0, 1000),
        wrote(0, 5, 1100),
        Event::Fault {
            what: "freeze member 0".into(),
            at: 2000,
        },
        acquired(1, 6, 2500, 3000),
        // Member 0 still believes it holds token 5 after member 1 acquired token 6.
        wrote(0, 5, 4000),
        // Its check began before member 1's grant returned: not proof of an overlap.
        wrote(0, 5, 2900),
        acquired(2, 6, 5000, 6000),
        // Asked after token 6 was granted, got a smaller one.
        acquired(3, 4, 7000, 8000),
        // Overlapping calls: either order is possible.
        acquired(0, 7, 9000, 9500),
        acquired(1, 8, 8900, 9600),
    ];
    let findings = check(&history);
    assert_eq!(findings.unsafe_writes.len(), 1, "{findings:?}");
    assert!(findings.unsafe_writes[0].contains("1000 µs after member 1"));
    // Token 6 twice; token 4 after 5 and after 6 (twice).
    assert_eq!(findings.regressions.len(), 4, "{findings:?}");
    assert_eq!(
        findings.unavailability,
        vec![Unavailability {
            fault: "freeze member 0".to_string(),
            used: Some(901),
            acquired: Some(1000)
        }]
    );
    for event in &history[..2] {
        assert_eq!(Event::parse(&event.line()).as_ref(), Some(event));
    }
    assert_eq!(Event::parse("test contender_process ... ok"), None);
    assert_eq!(
        Event::parse(&format!("test contender_process ... {}", history[0].line())).as_ref(),
        Some(&history[0])
    );
}
