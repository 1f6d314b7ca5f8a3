//! Numbers as the schema holds them: 64-bit floating point. A number written
//! with more precision than that holds, or beyond its range, is not read
//! as a nearby number but rejected; and a key that is a number is shown
//! and compared in one canonical form.

use serde_json::Value as Json;

/// Why a number's text is not read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Unfit {
    /// Beyond the range of a number (such as `1e400`).
    OutOfRange,
    /// In range, but held only as the nearest number, which is shown.
    Inexact(f64),
}

impl Unfit {
    /// The field error's message for the number written `text`.
    pub(crate) fn message(self, text: &str) -> String {
        match self {
            Unfit::OutOfRange => format!("number {text} is out of range"),
            Unfit::Inexact(near) => format!(
                "number {text} cannot be held exactly: it would be read as {}",
                canonical(near)
            ),
        }
    }

    pub(crate) fn hint(self) -> Option<String> {
        match self {
            Unfit::OutOfRange => None,
            Unfit::Inexact(_) => Some(
                "a number holds 15 significant digits; an identifier this long is text".to_string(),
            ),
        }
    }
}

/// Checks the decimal number `text` (as Rust's `f64` parser reads it)
/// against the number it gives: `Ok` with that number when it is exactly
/// the number written.
pub(crate) fn check(text: &str) -> Result<Option<f64>, Unfit> {
    let Ok(value) = text.parse::<f64>() else {
        return Ok(None);
    };
    if !value.is_finite() {
        return Err(Unfit::OutOfRange);
    }
    if quick_exact(text) || decimal(text) == decimal(&format!("{value:e}")) {
        Ok(Some(value))
    } else {
        Err(Unfit::Inexact(value))
    }
}

/// Whether a JSON number is exactly the number the schema holds; for one
/// parsed as a float, `written` gives its text when it was not exact.
pub(crate) fn check_json(
    number: &serde_json::Number,
    written: impl Fn(f64) -> Option<String>,
) -> Result<(), (String, Unfit)> {
    let Some(value) = number.as_f64() else {
        return Err((number.to_string(), Unfit::OutOfRange));
    };
    if number.is_f64() {
        return match written(value) {
            Some(text) => match check(&text) {
                Err(unfit) => Err((text, unfit)),
                Ok(_) => Ok(()),
            },
            None => Ok(()),
        };
    }
    // A whole number, read exactly by the JSON parser.
    let text = number.to_string();
    match check(&text) {
        Err(unfit) => Err((text, unfit)),
        Ok(_) => Ok(()),
    }
}

/// A number as a key shows it: without a fraction when it is whole (`42`
/// for `0042`, `42.0`, `4.2e1`), never with an exponent, `0` for `-0`.
pub(crate) fn canonical(value: f64) -> String {
    if value == 0.0 {
        return "0".to_string();
    }
    format!("{value}")
}

/// The canonical key of a JSON number (see [`canonical`]).
pub(crate) fn json_key(value: &Json) -> Option<String> {
    match value {
        Json::Number(number) => number.as_f64().filter(|v| v.is_finite()).map(canonical),
        _ => None,
    }
}

/// Text of at most 15 digits and no exponent is always exact.
fn quick_exact(text: &str) -> bool {
    !text.bytes().any(|b| matches!(b, b'e' | b'E'))
        && text.bytes().filter(u8::is_ascii_digit).count() <= 15
}

/// A decimal number as (negative, significant digits without leading and
/// trailing zeros, exponent): the number is `0.DIGITS × 10^exponent`.
/// Zero is `(false, "", 0)`. `None` when the exponent is beyond any
/// number's.
fn decimal(text: &str) -> Option<(bool, String, i64)> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(at) => (
            rest.get(..at).unwrap_or(""),
            rest.get(at + 1..).unwrap_or(""),
        ),
        None => (rest, "0"),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: String = whole.chars().chain(fraction.chars()).collect();
    let leading = digits.bytes().take_while(|b| *b == b'0').count();
    let significant = digits
        .get(leading..)
        .unwrap_or("")
        .trim_end_matches('0')
        .to_string();
    if significant.is_empty() {
        return Some((false, String::new(), 0));
    }
    let exponent: i64 = exponent.parse().ok()?;
    let shift = i64::try_from(whole.len()).ok()? - i64::try_from(leading).ok()?;
    Some((negative, significant, exponent.checked_add(shift)?))
}

/// A number in a JSON record's text that does not fit: its bytes, its
/// text, why, and the names of the members it is in, outermost first.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) from: usize,
    pub(crate) to: usize,
    pub(crate) text: String,
    pub(crate) unfit: Unfit,
    pub(crate) path: Vec<String>,
}

/// An open object or array of a JSON text being scanned.
struct Frame {
    object: bool,
    /// In an object, the text (quotes included) of the current member's
    /// name.
    name: Option<(usize, usize)>,
    /// In an object, whether a member's name comes next.
    expecting: bool,
}

/// The numbers of a JSON text that are out of range or not exact, found by
/// a scanner that follows strings, nesting and member names.
pub(crate) fn unfit_numbers(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut frames: Vec<Frame> = Vec::new();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'"' => {
                let from = at;
                at += 1;
                let mut escaped = false;
                while let Some(&b) = bytes.get(at) {
                    at += 1;
                    if escaped {
                        escaped = false;
                    } else if b == b'\\' {
                        escaped = true;
                    } else if b == b'"' {
                        break;
                    }
                }
                if let Some(frame) = frames.last_mut() {
                    if frame.object && frame.expecting {
                        frame.name = Some((from, at));
                        frame.expecting = false;
                    }
                }
                continue;
            }
            b'{' | b'[' => frames.push(Frame {
                object: byte == b'{',
                name: None,
                expecting: byte == b'{',
            }),
            b'}' | b']' => {
                frames.pop();
            }
            b',' => {
                if let Some(frame) = frames.last_mut() {
                    frame.expecting = frame.object;
                }
            }
            b'-' | b'0'..=b'9' => {
                let from = at;
                while bytes
                    .get(at)
                    .is_some_and(|b| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                {
                    at += 1;
                }
                let number = text.get(from..at).unwrap_or("");
                // Most numbers are short: exact without parsing them.
                let unfit = if quick_exact(number) {
                    None
                } else {
                    check(number).err()
                };
                if let Some(unfit) = unfit {
                    let path = frames
                        .iter()
                        .filter_map(|frame| {
                            let (from, to) = frame.name?;
                            serde_json::from_str::<String>(text.get(from..to)?).ok()
                        })
                        .collect();
                    out.push(Token {
                        from,
                        to: at,
                        text: number.to_string(),
                        unfit,
                        path,
                    });
                }
                continue;
            }
            _ => {}
        }
        at += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn numbers_that_are_held_exactly_and_those_that_are_not() {
        for exact in [
            "0",
            "-0",
            "0042",
            "42.0",
            "4.2e1",
            "+7",
            "0.1",
            "1.10",
            "-2.5",
            "1e300",
            "9007199254740992",
            "123456789012345.6",
            "1e-300",
            "0e999999999999999999999",
        ] {
            assert!(check(exact).is_ok(), "{exact}");
        }
        assert_eq!(
            check("12345678901234567890"),
            Err(Unfit::Inexact(1.2345678901234567e19))
        );
        assert_eq!(
            check("9007199254740993"),
            Err(Unfit::Inexact(9007199254740992.0))
        );
        assert_eq!(check("0.30000000000000001"), Err(Unfit::Inexact(0.3)));
        assert_eq!(check("1e-400"), Err(Unfit::Inexact(0.0)));
        assert_eq!(check("1e400"), Err(Unfit::OutOfRange));
        assert_eq!(check("-1e400"), Err(Unfit::OutOfRange));
        assert_eq!(check("seven"), Ok(None));
        assert_eq!(
            Unfit::Inexact(1.2345678901234567e19).message("12345678901234567890"),
            "number 12345678901234567890 cannot be held exactly: it would be read as 12345678901234567000"
        );
    }

    #[test]
    fn keys_in_canonical_form() {
        assert_eq!(canonical(42.0), "42");
        assert_eq!(canonical(-0.0), "0");
        assert_eq!(canonical(4.25), "4.25");
        assert_eq!(canonical(1e20), "100000000000000000000");
        assert_eq!(json_key(&serde_json::json!(42.0)).unwrap(), "42");
        assert_eq!(json_key(&serde_json::json!("42")), None);
    }

    #[test]
    fn unfit_numbers_of_a_json_text_with_their_members() {
        let text = r#"{"a": 1, "b\"": {"c": [12345678901234567890, "1e400"], "d": 1e400}, "e": -0.5e-400, "f": 2}"#;
        let found: Vec<(String, Vec<String>)> = unfit_numbers(text)
            .into_iter()
            .map(|t| (t.text, t.path))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "12345678901234567890".to_string(),
                    vec!["b\"".to_string(), "c".to_string()]
                ),
                (
                    "1e400".to_string(),
                    vec!["b\"".to_string(), "d".to_string()]
                ),
                ("-0.5e-400".to_string(), vec!["e".to_string()]),
            ]
        );
        let token = &unfit_numbers(r#"{"x": 1e400}"#)[0];
        assert_eq!((token.from, token.to), (6, 11));
    }
}
