//! What people see: aligned tables (colour only on a terminal and never with `NO_COLOR`) and a
//! progress line on stderr; scripts get the API's JSON unchanged with `--json`.

use crate::api::Endpoint;
use serde_json::Value;
use std::io::IsTerminal;

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

/// The value at a dotted path, as table text (`-` for nothing).
pub fn field(item: &Value, path: &str) -> String {
    let mut v = item;
    for part in path.split('.') {
        v = &v[part];
    }
    match v {
        Value::Null => "-".to_string(),
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    }
}

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
    println!("{}", bold(&header));
    for row in rows {
        println!("{}", line(row.clone()));
    }
}

/// Prints a view's items as a table (or a note when there are none).
pub fn items(view: &View, items: &[Value], more: Option<&str>) {
    if items.is_empty() {
        println!("{}", dim("(none)"));
    } else {
        let headers: Vec<&str> = view.columns.iter().map(|(h, _)| *h).collect();
        let rows: Vec<Vec<String>> = items
            .iter()
            .map(|it| view.columns.iter().map(|(_, f)| field(it, f)).collect())
            .collect();
        table(&headers, &rows);
    }
    if more.is_some() {
        eprintln!("{}", dim("more follow: --all lists every page"));
    }
}

/// Prints an object's fields as `key  value` lines.
pub fn record(pairs: &[(&str, String)]) {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in pairs {
        println!("{}  {v}", bold(&format!("{k:width$}")));
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
    println!("{}", serde_json::to_string_pretty(v).expect("JSON prints"));
}
