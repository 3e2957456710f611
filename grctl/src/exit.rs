//! grctl's exit codes: one per outcome a script may want to branch on, and the one place
//! that turns a library error into a code and a message a person can act on.

use std::fmt;

use group_redis::Error;

/// How grctl ended. The numbers are part of grctl's interface: never renumber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Any other failure: Redis answered with an error, or with data grctl did not expect.
    Failed = 1,
    /// Bad arguments or input: an unknown command or option, JSON that does not parse, a
    /// name the library refuses.
    Usage = 2,
    /// `get` / `ephemeral get` of a key that does not exist; `release` or `holder` of a
    /// lock nobody holds.
    NotFound = 3,
    /// `lock` did not get the lock within `--wait`.
    NotAcquired = 4,
    /// Redis could not be reached (refused, unknown host, TLS failure) or did not answer
    /// in time.
    Unreachable = 5,
    /// Redis refused the credentials: wrong user or password (WRONGPASS), a password is
    /// needed (NOAUTH), or the ACL user may not run grctl's commands (NOPERM).
    AuthFailed = 6,
}

/// The exit-code table `--help` prints (kept next to the enum so the two agree).
pub const HELP: &str = "\
Exit codes:
  0  success
  1  other failure (Redis answered with an error)
  2  bad arguments or input (usage, JSON that does not parse, invalid name)
  3  not found (get / ephemeral get of a missing key, release / holder of a free lock)
  4  lock not acquired within --wait
  5  Redis unreachable (connection refused, unknown host, timeout)
  6  Redis refused the credentials (WRONGPASS, NOAUTH, NOPERM)";

/// A failed command: the code to exit with and the text for stderr.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
}

impl Failure {
    pub fn new(exit: Exit, message: impl Into<String>) -> Failure {
        Failure {
            exit,
            message: message.into(),
        }
    }

    /// A library error, with `redis` (the redacted URL) named when the error is about
    /// reaching or logging in to Redis.
    pub fn from_core(err: Error, redis: &str) -> Failure {
        let exit = classify(&err);
        let message = match exit {
            Exit::AuthFailed => auth_message(&err, redis),
            Exit::Unreachable => format!("cannot reach Redis at {redis}: {err}"),
            _ => err.to_string(),
        };
        Failure { exit, message }
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure::new(Exit::Failed, message)
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Failure {
        Failure::new(Exit::Failed, message)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The library's error variants are coarse on purpose (every binding maps them), so a
/// refused login arrives as a connection error (the driver's `AuthenticationFailed`, from
/// Redis's WRONGPASS) or a Redis error (NOAUTH; Redis 7 answers "unauthenticated multibulk
/// length" instead when the first command is large, as grctl's first script call is). The
/// texts come from the pinned driver and Redis; grctl's tests pin them against a real
/// password-protected redis-server.
fn classify(err: &Error) -> Exit {
    match err {
        Error::InvalidArgument(_) | Error::InvalidJson(_) => Exit::Usage,
        Error::Connection(text) | Error::Redis(text) if is_auth_refusal(text) => Exit::AuthFailed,
        Error::Connection(_) | Error::Timeout(_) => Exit::Unreachable,
        _ => Exit::Failed,
    }
}

fn is_auth_refusal(text: &str) -> bool {
    [
        "WRONGPASS",
        "AuthenticationFailed",
        "NOAUTH",
        "unauthenticated",
        "NOPERM",
    ]
    .iter()
    .any(|marker| text.contains(marker))
}

fn auth_message(err: &Error, redis: &str) -> String {
    let text = err.to_string();
    if text.contains("NOPERM") {
        format!(
            "Redis at {redis} does not let this user run grctl's commands (NOPERM): {err}; \
             the ACL user needs the commands and keys of the group"
        )
    } else if text.contains("NOAUTH") || text.contains("unauthenticated") {
        format!(
            "Redis at {redis} needs a password (NOAUTH): put it in the URL, \
             redis://:PASSWORD@host:port or redis://USER:PASSWORD@host:port"
        )
    } else {
        format!(
            "Redis at {redis} refused the user or password (WRONGPASS): check the \
             credentials in --url or REDIS_URL"
        )
    }
}
