//! JSON given on the command line. Most mistakes are the shell's: it strips the double
//! quotes of `{"size":100}` unless the whole is in single quotes, and a JSON string needs
//! its own quotes (`'"text"'`). So the message shows what grctl received and where it
//! stopped making sense, with that hint.

use group_redis::Value;

use crate::exit::{Exit, Failure};

/// Lines longer than this are not echoed with a caret under the error.
const ECHO_LIMIT: usize = 120;

const HINT: &str = "hint: put JSON in single quotes so the shell keeps its double quotes, \
                    e.g. '{\"size\":100}'; a JSON string needs its own: '\"text\"'";

/// Parses `given`; `what` names it in the message (`--payload`, `the value for "cfg/a"`).
pub fn parse(what: &str, given: &str) -> Result<Value, Failure> {
    serde_json::from_str(given).map_err(|err| {
        let mut message = format!("{what} is not valid JSON: {err}");
        if given.trim().is_empty() {
            message.push_str(" (it is empty)");
        } else if let Some(echo) = echo_with_caret(given, err.line(), err.column()) {
            message.push('\n');
            message.push_str(&echo);
        }
        message.push('\n');
        message.push_str(HINT);
        Failure::new(Exit::Usage, message)
    })
}

/// The failing line, indented, and a caret under the failing column (serde_json counts
/// lines and columns from 1; column 0 means "before the first character").
fn echo_with_caret(given: &str, line: usize, column: usize) -> Option<String> {
    let text = given.lines().nth(line.checked_sub(1)?)?;
    if text.chars().count() > ECHO_LIMIT {
        return None;
    }
    let before = text
        .char_indices()
        .take_while(|(byte, _)| *byte + 1 < column)
        .count();
    Some(format!("  {text}\n  {}^", " ".repeat(before)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caret_points_at_the_failing_character() {
        let failure = parse("JSON", "{nope").unwrap_err();
        assert_eq!(failure.exit, Exit::Usage);
        let lines: Vec<&str> = failure.message.lines().collect();
        assert!(lines[0].contains("line 1 column 2"), "{lines:?}");
        assert_eq!(lines[1], "  {nope");
        assert_eq!(lines[2], "   ^");
        assert!(lines[3].starts_with("hint:"));
    }

    #[test]
    fn valid_json_parses() {
        assert_eq!(parse("JSON", "null").unwrap(), Value::Null);
        assert_eq!(parse("JSON", r#""a""#).unwrap(), Value::from("a"));
    }
}
