//! The openCypher TCK as a parser corpus, read at test time from `shared/opencypher-tck` beside
//! the workspace (skipped when absent; never copied into the repository).
//!
//! Every query the TCK runs, or expects to fail for semantic reasons, must parse, print to text
//! that parses to the same tree, and print to a fixed point; every query it expects to fail with
//! a purely syntactic `SyntaxError` at compile time must be rejected, with the TCK's detail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::tests::shape;
use super::{parse, print};

/// Compile-time `SyntaxError` details that a parser can detect; the rest need semantics.
const SYNTACTIC: [&str; 7] = [
    "UnexpectedSyntax",
    "IntegerOverflow",
    "FloatingPointOverflow",
    "InvalidNumberLiteral",
    "InvalidUnicodeLiteral",
    "InvalidUnicodeCharacter",
    "InvalidRelationshipPattern",
];

#[derive(Debug)]
struct Case {
    /// Feature file path under `features/`, and scenario name.
    origin: String,
    query: String,
    /// Whether this is the scenario's `When executing query:` (not a setup or control query).
    main: bool,
    /// The `SyntaxError` detail expected at compile time, if any.
    syntax_error: Option<String>,
}

impl Case {
    /// The feature directory, e.g. `clauses/match`.
    fn category(&self) -> &str {
        self.origin.rsplit_once('/').map_or("", |(dir, _)| dir)
    }

    fn must_be_rejected(&self) -> bool {
        self.syntax_error.as_deref().is_some_and(|d| SYNTACTIC.contains(&d))
    }
}

fn features_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/opencypher-tck/features");
    dir.is_dir().then_some(dir)
}

fn feature_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            feature_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "feature") {
            out.push(path);
        }
    }
}

/// One scenario's queries (with `<placeholders>` unexpanded) and its example rows.
#[derive(Default)]
struct Scenario {
    name: String,
    /// (query, is the scenario's main `When executing query:`).
    queries: Vec<(String, bool)>,
    syntax_error: Option<String>,
    examples: Vec<BTreeMap<String, String>>,
}

/// Splits a Gherkin feature into scenarios: steps, doc strings and example tables.
fn scenarios(text: &str) -> Vec<Scenario> {
    let mut all: Vec<Scenario> = Vec::new();
    let mut lines = text.lines().peekable();
    let mut last_step = String::new();
    let mut header: Option<Vec<String>> = None;
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || trimmed.is_empty() {
            continue;
        }
        if let Some(name) = trimmed.strip_prefix("Scenario:").or_else(|| trimmed.strip_prefix("Scenario Outline:")) {
            all.push(Scenario { name: name.trim().to_string(), ..Scenario::default() });
            header = None;
            continue;
        }
        let Some(scenario) = all.last_mut() else {
            continue;
        };
        if trimmed.starts_with("\"\"\"") {
            let indent = line.len() - line.trim_start().len();
            let mut body = Vec::new();
            for l in lines.by_ref() {
                if l.trim() == "\"\"\"" {
                    break;
                }
                let strip = l.len() - l.trim_start().len();
                body.push(l.get(strip.min(indent)..).unwrap_or(""));
            }
            if last_step.ends_with("executing query:")
                || last_step.ends_with("having executed:")
                || last_step.ends_with("executing control query:")
            {
                scenario.queries.push((body.join("\n"), last_step.ends_with("When executing query:")));
            }
        } else if trimmed.starts_with("Examples:") {
            last_step = trimmed.to_string();
            header = None;
        } else if trimmed.starts_with('|') {
            if last_step != "Examples:" {
                continue; // a step's data table
            }
            let cells: Vec<String> = trimmed.trim_matches('|').split('|').map(|c| c.trim().to_string()).collect();
            match &header {
                None => header = Some(cells),
                Some(h) => scenario.examples.push(h.iter().cloned().zip(cells).collect()),
            }
        } else {
            last_step = trimmed.to_string();
            let compile_error = trimmed.strip_prefix("Then a SyntaxError should be raised at compile time:");
            if let Some(detail) = compile_error {
                scenario.syntax_error = Some(detail.trim().to_string());
            }
        }
    }
    all
}

fn cases() -> Option<Vec<Case>> {
    let dir = features_dir()?;
    let mut files = Vec::new();
    feature_files(&dir, &mut files);
    let mut cases = Vec::new();
    for file in files {
        let origin = file.strip_prefix(&dir).unwrap().display().to_string();
        for scenario in scenarios(&fs::read_to_string(&file).unwrap()) {
            let rows = if scenario.examples.is_empty() { vec![BTreeMap::new()] } else { scenario.examples.clone() };
            for (query, main) in &scenario.queries {
                for row in &rows {
                    let query = row.iter().fold(query.clone(), |q, (k, v)| q.replace(&format!("<{k}>"), v));
                    let syntax_error = scenario.syntax_error.clone().filter(|_| *main);
                    let origin = format!("{origin}: {}", scenario.name);
                    cases.push(Case { origin, query, main: *main, syntax_error });
                }
            }
        }
    }
    Some(cases)
}

#[test]
fn tck_queries_parse_and_round_trip() {
    let Some(cases) = cases() else {
        eprintln!("openCypher TCK not found; skipping");
        return;
    };
    let valid: Vec<&Case> = cases.iter().filter(|c| !c.must_be_rejected()).collect();
    let mut failures: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for case in &valid {
        match parse(&case.query) {
            Ok(stmt) => {
                let printed = print(&stmt);
                let context = format!("{}\n{}\n=> {printed}", case.origin, case.query);
                let reparsed =
                    parse(&printed).unwrap_or_else(|e| panic!("printed query does not parse: {e}\n{context}"));
                assert_eq!(shape(&reparsed), shape(&stmt), "printing changed the tree: {context}");
                assert_eq!(print(&reparsed), printed, "printing is not a fixed point: {context}");
            }
            Err(e) => {
                failures.entry(case.category()).or_default().push(format!("{}: {e}\n{}", case.origin, case.query))
            }
        }
    }
    let count = |f: fn(&&&Case) -> bool| valid.iter().filter(f).count();
    let failed: usize = failures.values().map(Vec::len).sum();
    eprintln!(
        "TCK: {} of {} queries parse and round-trip: {} `When executing query:` queries without a compile-time SyntaxError, \
         {} setup and control queries, {} expected to fail only semantically",
        valid.len() - failed,
        valid.len(),
        count(|c| c.main && c.syntax_error.is_none()),
        count(|c| !c.main),
        count(|c| c.syntax_error.is_some()),
    );
    for (category, list) in &failures {
        eprintln!("  {category}: {} fail", list.len());
        for f in list {
            eprintln!("    {f}");
        }
    }
    assert!(failures.is_empty(), "{failed} TCK queries fail to parse");
}

#[test]
fn tck_syntax_errors_are_rejected() {
    let Some(cases) = cases() else { return };
    let syntactic: Vec<&Case> = cases.iter().filter(|c| c.must_be_rejected()).collect();
    for case in &syntactic {
        let expected = case.syntax_error.as_deref().unwrap_or_default();
        match parse(&case.query) {
            Ok(_) => panic!("{}: accepted, but the TCK expects {expected}\n{}", case.origin, case.query),
            Err(e) => assert_eq!(e.detail, expected, "{}: {e}\n{}", case.origin, case.query),
        }
    }
    eprintln!("TCK: all {} purely syntactic SyntaxErrors rejected, with the TCK's detail", syntactic.len());
}
