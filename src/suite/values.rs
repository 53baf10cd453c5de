//! Stage-2 parsers for single values (durations, codes, templates, escapes,
//! ids, addresses, regexes). Pure functions; the reason is returned as a
//! `String` and placed at the node's position by the caller.

use std::net::IpAddr;
use std::time::Duration;

use regex::Regex;

use super::raw::{RawCode, RawDuration};
use crate::script::{Capability, CodeMatch, Template, TemplatePart};

/// The longest duration a suite may ask for (every wait is bounded).
pub const MAX_DURATION: Duration = Duration::from_secs(600);

pub fn duration(raw: &RawDuration) -> Result<Duration, String> {
    let secs = match raw {
        RawDuration::Secs(s) => *s,
        RawDuration::Text(t) => duration_text(t)?,
    };
    if !secs.is_finite() || secs < 0.0 {
        return Err(format!("bad duration {secs}: must be a positive number"));
    }
    let d = Duration::from_secs_f64(secs.min(MAX_DURATION.as_secs_f64() + 1.0));
    if d > MAX_DURATION {
        return Err(format!(
            "duration {secs}s is longer than the maximum of 10m"
        ));
    }
    Ok(d)
}

/// `5s`, `500ms`, `2m`, `1.5` as seconds.
fn duration_text(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let bad = || format!("bad duration `{text}`: use 5s, 500ms, 2m or a number of seconds");
    let (num, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else {
        (t, 1.0)
    };
    let num = num.trim();
    if num.is_empty() || !num.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(bad());
    }
    num.parse::<f64>().map(|n| n * scale).map_err(|_| bad())
}

/// A reply code as a number: 100 to 599.
pub fn reply_code(n: i64) -> Result<u16, String> {
    match u16::try_from(n) {
        Ok(c) if (100..=599).contains(&c) => Ok(c),
        _ => Err(format!("reply code {n} out of range: codes are 100 to 599")),
    }
}

/// `226`, `"226"`, `"2xx"` (class) or `"25x"` (group).
pub fn code(raw: &RawCode) -> Result<CodeMatch, String> {
    match raw {
        RawCode::Num(n) => reply_code(*n).map(CodeMatch::Exact),
        RawCode::Text(t) => code_text(t),
    }
}

fn code_text(text: &str) -> Result<CodeMatch, String> {
    let bad =
        || format!("bad reply code `{text}`: use 226, \"2xx\" or \"25x\" (classes 1xx to 5xx)");
    let b = text.as_bytes();
    if b.len() != 3 || !(b'1'..=b'5').contains(&b[0]) {
        return Err(bad());
    }
    let first = b[0] - b'0';
    match (b[1], b[2]) {
        (b'x' | b'X', b'x' | b'X') => Ok(CodeMatch::Class(first)),
        (d @ b'0'..=b'9', b'x' | b'X') => Ok(CodeMatch::Group(first, d - b'0')),
        (b'0'..=b'9', b'0'..=b'9') => text
            .parse::<i64>()
            .map_err(|_| bad())
            .and_then(reply_code)
            .map(CodeMatch::Exact),
        _ => Err(bad()),
    }
}

/// A `${name}` template. A `$` not followed by `{` is literal.
pub fn template(text: &str) -> Result<Template, String> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        if start > 0 {
            parts.push(TemplatePart::Lit(rest[..start].to_string()));
        }
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("unclosed `${{` in `{text}`"))?;
        let name = &after[..end];
        var_name(name)?;
        parts.push(TemplatePart::Var(name.to_string()));
        rest = &after[end + 1..];
    }
    if !rest.is_empty() {
        parts.push(TemplatePart::Lit(rest.to_string()));
    }
    Ok(Template { parts })
}

/// Variable names: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn var_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let ok_first = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if ok_first && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(())
    } else {
        Err(format!(
            "bad variable name `{name}`: use letters, digits and _"
        ))
    }
}

/// Raw bytes: the text with `\r \n \t \\ \xNN` escapes resolved.
pub fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next() {
            Some('r') => out.push(b'\r'),
            Some('n') => out.push(b'\n'),
            Some('t') => out.push(b'\t'),
            Some('\\') => out.push(b'\\'),
            Some('x') => out.push(hex_byte(chars.next(), chars.next())?),
            other => {
                let seen = other.map(String::from).unwrap_or_default();
                return Err(format!(
                    "bad escape `\\{seen}`: use \\r \\n \\t \\\\ or \\xNN"
                ));
            }
        }
    }
    Ok(out)
}

fn hex_byte(hi: Option<char>, lo: Option<char>) -> Result<u8, String> {
    let digit = |c: Option<char>| c.and_then(|c| c.to_digit(16));
    match (digit(hi), digit(lo)) {
        (Some(h), Some(l)) => Ok((h * 16 + l) as u8),
        _ => Err("bad escape: \\x needs two hex digits".to_string()),
    }
}

/// Case and rule ids: `[a-z0-9][a-z0-9-]*`.
pub fn case_id(id: &str) -> Result<(), String> {
    let first_ok = id
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let rest_ok = id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if first_ok && rest_ok {
        Ok(())
    } else {
        Err(format!(
            "bad id `{id}`: use lower-case letters, digits and -, starting with a letter or digit"
        ))
    }
}

/// A requirement id of the map: `rfc<number>-` then lower-case letters,
/// digits, dots and dashes (`rfc959-4.1.1-pass`).
pub fn requirement_id(id: &str) -> Result<(), String> {
    let rest = id.strip_prefix("rfc").unwrap_or("");
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    let tail = &rest[digits..];
    let ok = digits > 0
        && tail.len() > 1
        && tail.starts_with('-')
        && tail
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "bad requirement id `{id}`: write rfc<number>- then lower-case letters, digits, . and - (rfc959-4.1.1-pass)"
        ))
    }
}

/// A capability name (`ipv6`, `epsv-all`).
pub fn capability(name: &str) -> Result<Capability, String> {
    Capability::from_name(name).ok_or_else(|| {
        let known: Vec<&str> = Capability::ALL.iter().map(|c| c.name()).collect();
        format!(
            "unknown capability `{name}`: use one of {}",
            known.join(", ")
        )
    })
}

/// An FTP verb, upper-cased: 1 to 8 ASCII letters.
pub fn verb(text: &str) -> Result<String, String> {
    if (1..=8).contains(&text.len()) && text.chars().all(|c| c.is_ascii_alphabetic()) {
        Ok(text.to_ascii_uppercase())
    } else {
        Err(format!(
            "bad verb `{text}`: an FTP command name is 1 to 8 letters"
        ))
    }
}

/// An address the harness may use: only loopback (127.0.0.0/8, ::1).
pub fn loopback(text: &str) -> Result<IpAddr, String> {
    let ip: IpAddr = text
        .trim()
        .parse()
        .map_err(|_| format!("bad IP address `{text}`"))?;
    if ip.is_loopback() {
        Ok(ip)
    } else {
        Err(format!(
            "address {ip} is not loopback: only 127.0.0.0/8 and ::1 are allowed (network safety)"
        ))
    }
}

pub fn regex(text: &str) -> Result<Regex, String> {
    Regex::new(text).map_err(|e| format!("bad regex `{text}`: {}", first_line(&e.to_string())))
}

fn first_line(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(t: &str) -> RawDuration {
        RawDuration::Text(t.to_string())
    }

    #[test]
    fn durations_accept_units_and_numbers() {
        assert_eq!(duration(&text("5s")), Ok(Duration::from_secs(5)));
        assert_eq!(duration(&text("500ms")), Ok(Duration::from_millis(500)));
        assert_eq!(duration(&text("2m")), Ok(Duration::from_secs(120)));
        assert_eq!(duration(&text("1.5")), Ok(Duration::from_millis(1500)));
        assert_eq!(
            duration(&RawDuration::Secs(0.25)),
            Ok(Duration::from_millis(250))
        );
    }

    #[test]
    fn durations_reject_nonsense() {
        for bad in ["5 parsecs", "ms", "-1s", "1h", "", "1e3s"] {
            assert!(duration(&text(bad)).is_err(), "{bad}");
        }
        assert!(duration(&RawDuration::Secs(-1.0)).is_err());
        assert!(duration(&RawDuration::Secs(f64::NAN)).is_err());
        assert!(duration(&text("11m")).unwrap_err().contains("maximum"));
    }

    #[test]
    fn codes_are_100_to_599_and_classes_1_to_5() {
        assert_eq!(code(&RawCode::Num(226)), Ok(CodeMatch::Exact(226)));
        assert_eq!(code(&RawCode::Text("2xx".into())), Ok(CodeMatch::Class(2)));
        assert_eq!(
            code(&RawCode::Text("25x".into())),
            Ok(CodeMatch::Group(2, 5))
        );
        assert_eq!(
            code(&RawCode::Text("331".into())),
            Ok(CodeMatch::Exact(331))
        );
        for bad in ["6xx", "0xx", "2x5", "22", "abc", "2xxx"] {
            assert!(code(&RawCode::Text(bad.into())).is_err(), "{bad}");
        }
        assert!(code(&RawCode::Num(999)).unwrap_err().contains("100 to 599"));
        assert!(code(&RawCode::Num(99)).is_err());
        assert!(code(&RawCode::Text("999".into())).is_err());
    }

    #[test]
    fn templates_split_vars_and_literals() {
        let t = template("USER ${user} $x").unwrap();
        assert_eq!(
            t.parts,
            vec![
                TemplatePart::Lit("USER ".into()),
                TemplatePart::Var("user".into()),
                TemplatePart::Lit(" $x".into())
            ]
        );
        assert!(template("PORT ${oops").unwrap_err().contains("unclosed"));
        assert!(template("X ${a-b}").unwrap_err().contains("bad variable"));
        assert!(template("X ${}").is_err());
    }

    #[test]
    fn escapes_resolve() {
        assert_eq!(unescape(r"NOOP\r\n\x00\\\t").unwrap(), b"NOOP\r\n\x00\\\t");
        assert_eq!(unescape("é").unwrap(), "é".as_bytes());
        assert!(unescape(r"\q").is_err());
        assert!(unescape(r"\x4").is_err());
        assert!(unescape("\\").is_err());
    }

    #[test]
    fn ids_verbs_and_vars() {
        assert!(case_id("user-pass-2").is_ok());
        for bad in ["-a", "A", "a_b", "", "a b"] {
            assert!(case_id(bad).is_err(), "{bad}");
        }
        assert_eq!(verb("pasv"), Ok("PASV".to_string()));
        assert!(verb("PA SV").is_err());
        assert!(var_name("pasv_2").is_ok());
        assert!(var_name("2x").is_err());
    }

    #[test]
    fn only_loopback_addresses_pass() {
        assert!(loopback("127.0.0.2").is_ok());
        assert!(loopback("::1").is_ok());
        assert!(loopback("10.0.0.1").unwrap_err().contains("not loopback"));
        assert!(loopback("::2").is_err());
        assert!(loopback("localhost").unwrap_err().contains("bad IP"));
    }

    #[test]
    fn regexes_report_errors_on_one_line() {
        assert!(regex(r"\d+").is_ok());
        let err = regex("(unclosed").unwrap_err();
        assert!(err.starts_with("bad regex"), "{err}");
        assert!(!err.contains('\n'));
    }
}
