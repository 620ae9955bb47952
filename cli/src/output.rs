//! What people see: aligned tables (colour only on a terminal and never with `NO_COLOR`, times
//! relative to now) and a progress line on stderr; scripts get the API's JSON unchanged with
//! `--json`, or what a jq path picks from it with `--jq`. Every line goes through [`line`]: a
//! reader that stops early (`orgs members | head`) ends the command quietly, as Unix tools do.

use crate::api::Endpoint;
use serde_json::Value;
use std::io::{IsTerminal, Write};

/// `println!` that ends the process with 0 when stdout's reader is gone (a closed pipe), and with
/// a message when stdout cannot be written for any other reason.
#[macro_export]
macro_rules! outln {
    () => { $crate::output::line(format_args!("")) };
    ($($arg:tt)*) => { $crate::output::line(format_args!($($arg)*)) };
}

/// stdout as a writer with [`line`]'s rule (for what writes through `io::Write`: completions).
pub struct Lines;

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_all(buf).map(|()| buf.len())
    }
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Err(e) = std::io::stdout().lock().write_all(buf) {
            quit(e);
        }
        Ok(())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        if let Err(e) = std::io::stdout().lock().flush() {
            quit(e);
        }
        Ok(())
    }
}

fn quit(e: std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("error: cannot write the output: {e}");
    std::process::exit(1);
}

pub fn line(args: std::fmt::Arguments) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.write_all(b"\n")) {
        quit(e);
    }
}

/// A table of an endpoint's items: (header, field) columns, a field being a dotted path into the
/// item. The drift test checks every field against the endpoint's response schema in `openapi.yaml`.
pub struct View {
    pub endpoint: Endpoint,
    pub columns: &'static [(&'static str, &'static str)],
}

pub fn colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn paint(code: &str, text: &str) -> String {
    if colour() {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

pub fn bold(text: &str) -> String {
    paint("1", text)
}
pub fn green(text: &str) -> String {
    paint("32", text)
}
pub fn dim(text: &str) -> String {
    paint("2", text)
}

/// A cell of a table: the value at a dotted path, a time as how long ago (or from now) it is, a
/// list as its first entries and how many more.
pub fn cell(item: &Value, path: &str, now: i64) -> String {
    if let Some(list) = at(item, path).as_array().filter(|l| l.len() > CELL_LIST) {
        return format!(
            "{} +{} more",
            list_text(&list[..CELL_LIST]),
            list.len() - CELL_LIST
        );
    }
    let text = field(item, path);
    match parse_time(&text) {
        Some(t) => relative(t - now),
        None => text,
    }
}

/// Seconds since the epoch of an RFC 3339 UTC time as the API writes it
/// (`2026-12-03T12:00:00.123456Z`); `None` for anything else.
pub fn parse_time(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || !s.ends_with('Z') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// `3 minutes ago`, `in 6 days`, `just now`.
pub fn relative(delta: i64) -> String {
    let secs = delta.unsigned_abs();
    if secs < 45 {
        return "just now".into();
    }
    let (n, unit) = match secs {
        s if s < 2_700 => (s.div_ceil(60).max(1), "minute"),
        s if s < 129_600 => ((s + 1800) / 3600, "hour"),
        s if s < 86_400 * 45 => ((s + 43_200) / 86_400, "day"),
        s if s < 86_400 * 548 => ((s + 86_400 * 15) / (86_400 * 30), "month"),
        s => ((s + 86_400 * 182) / (86_400 * 365), "year"),
    };
    let unit = if n == 1 {
        unit.to_string()
    } else {
        format!("{unit}s")
    };
    if delta < 0 {
        format!("{n} {unit} ago")
    } else {
        format!("in {n} {unit}")
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The value at a dotted path, as table text (`-` for nothing).
pub fn field(item: &Value, path: &str) -> String {
    match at(item, path) {
        Value::Null => "-".to_string(),
        Value::String(s) => s.clone(),
        Value::Array(a) => list_text(a),
        other => other.to_string(),
    }
}

/// The value a dotted path names (`Null` where there is none).
fn at<'a>(item: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(item, |v, part| &v[part])
}

fn list_text(list: &[Value]) -> String {
    list.iter()
        .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
        .collect::<Vec<_>>()
        .join(",")
}

/// The entries of a list a table cell shows; the rest are counted (`--json` has them all), so a
/// row stays one line (a role's 64 permissions made rows of 600 characters).
const CELL_LIST: usize = 3;

/// Prints rows under headers, each column as wide as its widest cell.
pub fn table(headers: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let last = cells.len() - 1;
        cells
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                if i == last {
                    c
                } else {
                    let pad = widths[i] - c.chars().count();
                    format!("{c}{}", " ".repeat(pad))
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let header = line(headers.iter().map(|h| h.to_string()).collect());
    crate::outln!("{}", bold(&header));
    for row in rows {
        crate::outln!("{}", line(row.clone()));
    }
}

/// Prints a view's items as a table (or a note when there are none).
pub fn items(view: &View, items: &[Value], more: Option<&str>) {
    if items.is_empty() {
        crate::outln!("{}", dim("(none)"));
    } else {
        let headers: Vec<&str> = view.columns.iter().map(|(h, _)| *h).collect();
        let now = now();
        let rows: Vec<Vec<String>> = items
            .iter()
            .map(|it| view.columns.iter().map(|(_, f)| cell(it, f, now)).collect())
            .collect();
        table(&headers, &rows);
    }
    if more.is_some() {
        eprintln!(
            "{}",
            dim("more follow: --all lists every page, --limit N the first N")
        );
    }
}

/// Prints an object's fields as `key  value` lines.
pub fn record(pairs: &[(&str, String)]) {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in pairs {
        crate::outln!("{}  {v}", bold(&format!("{k:width$}")));
    }
}

/// A progress line on stderr while pages arrive (only on a terminal).
pub fn progress(n: usize) {
    if std::io::stderr().is_terminal() {
        eprint!("\r{} fetched", n);
    }
}

pub fn progress_done() {
    if std::io::stderr().is_terminal() {
        eprint!("\r\x1b[2K");
    }
}

pub fn json(v: &Value) {
    crate::outln!("{}", serde_json::to_string_pretty(v).expect("JSON prints"));
}

/// What a jq path picks from `v`: `.`, `.a.b`, `.items[0]`, `.items[].id`, `."odd key"`: one
/// value per line, strings unquoted (as `jq -r` and `gh --jq` print them). Anything else of jq is
/// refused with a hint to pipe `--json` into jq.
pub fn jq(v: &Value, path: &str) -> Result<Vec<String>, String> {
    let mut current = vec![v.clone()];
    let mut rest = path.trim();
    if !rest.starts_with('.') {
        return Err(format!(
            "`{path}`: a jq path starts with `.` (for more than paths, pipe --json into jq)"
        ));
    }
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("[]") {
            current = current
                .into_iter()
                .flat_map(|x| match x {
                    Value::Array(a) => a,
                    Value::Object(o) => o.into_iter().map(|(_, v)| v).collect(),
                    _ => Vec::new(),
                })
                .collect();
            rest = r;
        } else if let Some(r) = rest.strip_prefix('[') {
            let (n, r) = r
                .split_once(']')
                .ok_or_else(|| format!("`{path}`: a `[` without its `]`"))?;
            let n: i64 = n.trim().parse().map_err(|_| {
                format!("`{path}`: `[{n}]` is not an index (jq paths here take [N] and [])")
            })?;
            current = current
                .into_iter()
                .map(|x| {
                    let len = x.as_array().map_or(0, Vec::len) as i64;
                    let i = if n < 0 { len + n } else { n };
                    x.get(i.max(0) as usize).cloned().unwrap_or(Value::Null)
                })
                .collect();
            rest = r;
        } else if let Some(r) = rest.strip_prefix('.') {
            let (key, r) = if let Some(q) = r.strip_prefix('"') {
                let (k, r) = q
                    .split_once('"')
                    .ok_or_else(|| format!("`{path}`: an unclosed quote"))?;
                (k, r)
            } else {
                let end = r
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(r.len());
                (&r[..end], &r[end..])
            };
            if !key.is_empty() {
                current = current.into_iter().map(|x| x[key].clone()).collect();
            }
            rest = r;
        } else {
            return Err(format!(
                "`{path}`: only jq paths are understood here (.a.b, .items[0], .items[].id); for more, pipe --json into jq"
            ));
        }
    }
    Ok(current
        .into_iter()
        .map(|x| match x {
            Value::String(s) => s,
            other => other.to_string(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_long_list_in_a_cell_shows_its_first_entries_and_counts_the_rest() {
        let role = json!({ "permissions": ["a.read", "b.read", "c.read", "d.read", "e.read"], "few": ["x", "y"] });
        assert_eq!(
            cell(&role, "permissions", 0),
            "a.read,b.read,c.read +2 more"
        );
        assert_eq!(cell(&role, "few", 0), "x,y");
        assert_eq!(
            field(&role, "permissions"),
            "a.read,b.read,c.read,d.read,e.read"
        );
    }

    #[test]
    fn jq_paths_pick_what_jq_would() {
        let v =
            json!({ "items": [{ "id": "a", "n": 1 }, { "id": "b", "n": 2 }], "next cursor": null });
        assert_eq!(jq(&v, ".items[].id").unwrap(), ["a", "b"]);
        assert_eq!(jq(&v, ".items[1].n").unwrap(), ["2"]);
        assert_eq!(jq(&v, ".items[-1].id").unwrap(), ["b"]);
        assert_eq!(jq(&v, ".\"next cursor\"").unwrap(), ["null"]);
        assert_eq!(jq(&v, ".").unwrap().len(), 1);
        assert!(jq(&v, ".items | length")
            .unwrap_err()
            .contains("pipe --json into jq"));
        assert!(jq(&v, "items").is_err());
    }

    #[test]
    fn times_read_as_how_long_ago() {
        let t = parse_time("2026-12-03T12:00:00.123456Z").unwrap();
        assert_eq!(t, 1_796_299_200);
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_time("acme"), None);
        assert_eq!(relative(-10), "just now");
        assert_eq!(relative(-180), "3 minutes ago");
        assert_eq!(relative(-7200), "2 hours ago");
        assert_eq!(relative(6 * 86_400), "in 6 days");
        assert_eq!(relative(-86_400 * 730), "2 years ago");
        assert_eq!(relative(-86_400 * 100), "3 months ago");
        assert_eq!(
            cell(&json!({ "at": "2026-12-03T12:00:00Z" }), "at", t + 3600),
            "1 hour ago"
        );
    }
}
