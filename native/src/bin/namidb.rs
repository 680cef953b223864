//! `namidb`: query a namespace by URI from the command line.
//!
//! ```text
//! namidb query URI 'CYPHER' [--param NAME=VALUE]... [--json]
//! namidb shell URI        interactive; statements end with `;`, history in ~/.namidb_history
//! namidb info URI         version, writer epoch, tables, objects and bytes
//! ```
//! A `--param` value is JSON when it parses as JSON (`--param min=18`, `--param tags='["a"]'`),
//! else a string (`--param name=Alice`). Exit status: 0 success, 1 the query failed, 2 usage.
use engine::api::json::{self, Json};
use engine::error::Error;
use namidb::Session;
use std::process::ExitCode;

const USAGE: &str = "usage:
  namidb query URI 'CYPHER' [--param NAME=VALUE]... [--json]
  namidb shell URI
  namidb info URI
URI: s3://bucket[/prefix]?ns=NAME[&region=R][&endpoint=URL] | file:///dir?ns=NAME | memory://NAME";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("query") if args.len() >= 3 => query(&args[1], &args[2], &args[3..]),
        Some("shell") if args.len() == 2 => shell(&args[1]),
        Some("info") if args.len() == 2 => info(&args[1]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => Err(Failure::Usage(USAGE.to_string())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(m)) => {
            eprintln!("{m}");
            ExitCode::from(2)
        }
        Err(Failure::Query(e)) => {
            eprintln!("{}", describe(&e));
            ExitCode::from(1)
        }
    }
}

enum Failure {
    Usage(String),
    Query(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Query(e)
    }
}

fn describe(e: &Error) -> String {
    let mut out = format!("{:?}: {}", e.code, e.message);
    if let Some(p) = &e.position {
        out.push_str(&format!(" (line {}, column {})", p.line, p.column));
    }
    out
}

/// The request body for `query` with `--param NAME=VALUE` pairs.
fn request_body(query: &str, params: &[(String, String)]) -> String {
    let mut body = String::from("{\"query\":");
    json::write_str(&mut body, query);
    body.push_str(",\"params\":{");
    for (i, (name, value)) in params.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        json::write_str(&mut body, name);
        body.push(':');
        if json::parse(value).is_ok() {
            body.push_str(value);
        } else {
            json::write_str(&mut body, value);
        }
    }
    body.push_str("}}");
    body
}

fn query(uri: &str, cypher: &str, rest: &[String]) -> Result<(), Failure> {
    let (mut params, mut as_json) = (Vec::new(), false);
    let mut it = rest.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--json" => as_json = true,
            "--param" => {
                let pair = it.next().ok_or_else(|| Failure::Usage("--param needs NAME=VALUE".into()))?;
                let (k, v) =
                    pair.split_once('=').ok_or_else(|| Failure::Usage(format!("--param {pair:?}: use NAME=VALUE")))?;
                params.push((k.to_string(), v.to_string()));
            }
            other => return Err(Failure::Usage(format!("unknown option {other:?}\n{USAGE}"))),
        }
    }
    let session = Session::open(uri)?;
    let body = session.request(request_body(cypher, &params).as_bytes())?;
    if as_json {
        println!("{body}");
    } else {
        print!("{}", table(&body));
    }
    Ok(())
}

/// A response body as an aligned text table followed by the statistics that are not zero.
fn table(body: &str) -> String {
    let Ok(Json::Object(fields)) = json::parse(body) else { return format!("{body}\n") };
    let strings = |v: Option<&Json>| match v {
        Some(Json::Array(items)) => items.iter().map(cell).collect::<Vec<_>>(),
        _ => Vec::new(),
    };
    let columns = strings(fields.get("columns"));
    let rows: Vec<Vec<String>> = match fields.get("rows") {
        Some(Json::Array(rows)) => rows.iter().map(|r| strings(Some(r))).collect(),
        _ => Vec::new(),
    };
    let mut widths: Vec<usize> = columns.iter().map(|c| c.chars().count()).collect();
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        format!("| {} |\n", padded.join(" | "))
    };
    let mut out = String::new();
    if !columns.is_empty() {
        out.push_str(&line(&columns));
        out.push_str(&format!("|{}|\n", widths.iter().map(|w| "-".repeat(w + 2)).collect::<Vec<_>>().join("|")));
        rows.iter().for_each(|r| out.push_str(&line(r)));
    }
    out.push_str(&format!("({} row{})", rows.len(), if rows.len() == 1 { "" } else { "s" }));
    if let Some(Json::Object(stats)) = fields.get("stats") {
        for (k, v) in stats {
            if !matches!(v, Json::Int(0)) {
                out.push_str(&format!(", {}: {}", k.replace('_', " "), cell(v)));
            }
        }
    }
    out.push('\n');
    out
}

/// One value as text: strings bare, everything else as compact JSON.
fn cell(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => compact(other),
    }
}

fn compact(v: &Json) -> String {
    match v {
        Json::Null => "null".into(),
        Json::Bool(b) => b.to_string(),
        Json::Int(i) => i.to_string(),
        Json::Float(f) => format!("{f:?}"),
        Json::String(s) => {
            let mut out = String::new();
            json::write_str(&mut out, s);
            out
        }
        Json::Array(items) => format!("[{}]", items.iter().map(compact).collect::<Vec<_>>().join(",")),
        Json::Object(m) => {
            let fields: Vec<String> =
                m.iter().map(|(k, v)| format!("{}:{}", compact(&Json::String(k.clone())), compact(v))).collect();
            format!("{{{}}}", fields.join(","))
        }
    }
}

fn info(uri: &str) -> Result<(), Failure> {
    let info = Session::open(uri)?.info()?;
    println!("namespace {}", info.namespace);
    println!("version   {}", info.version);
    println!("epoch     {}", info.epoch);
    println!("tables    {} in level 0, {} in level 1", info.tables.0, info.tables.1);
    for (kind, count, bytes) in &info.objects {
        println!("{kind:<9} {count} object{}, {bytes} bytes", if *count == 1 { "" } else { "s" });
    }
    Ok(())
}

fn shell(uri: &str) -> Result<(), Failure> {
    let session = Session::open(uri)?;
    let mut editor = rustyline::DefaultEditor::new().map_err(|e| Failure::Usage(format!("no terminal: {e}")))?;
    let history = std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".namidb_history"));
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    println!("namidb shell on {uri}: statements end with `;`, :quit leaves");
    let mut statement = String::new();
    loop {
        let prompt = if statement.is_empty() { "namidb> " } else { "   ...> " };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(rustyline::error::ReadlineError::Interrupted) => {
                statement.clear();
                continue;
            }
            Err(_) => break,
        };
        if statement.is_empty() && matches!(line.trim(), ":quit" | ":q" | ":exit") {
            break;
        }
        statement.push_str(&line);
        statement.push('\n');
        let text = statement.trim();
        if !text.ends_with(';') {
            continue;
        }
        let _ = editor.add_history_entry(text);
        match session.request(request_body(text.trim_end_matches(';'), &[]).as_bytes()) {
            Ok(body) => print!("{}", table(&body)),
            Err(e) => eprintln!("{}", describe(&e)),
        }
        statement.clear();
    }
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
    Ok(())
}
