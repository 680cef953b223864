//! The benchmark's queries (one list for the engine and for Kuzu), and the report: timings,
//! store costs, Kuzu's timings and the ratio, written as `report.json` and `report.md`.
use crate::gen::Social;
use crate::{counts_json, mib, Ingest, MemCheck, Res};
use engine::api::json::{self, Json};
use engine::store::Counts;
use std::fmt::Write as _;
use std::path::Path;

pub struct Query {
    pub name: &'static str,
    pub cypher: String,
    /// Kuzu's text where its dialect differs.
    pub kuzu: Option<String>,
    pub note: &'static str,
    pub writes: bool,
    /// How many nodes its plan must find through an `id` index (checked with `EXPLAIN`).
    pub seeks: usize,
    /// The parameters of the `i`th call (writes vary them so each call creates something).
    pub params: Box<dyn Fn(usize) -> String>,
}

/// The persons the read queries start from: one at the 90th percentile of KNOWS out-degree
/// (busy, not the hub), and a rarely known one as the shortest-path target.
fn subjects(g: &Social) -> (usize, usize) {
    let mut degree = vec![0usize; g.persons.len()];
    for &(a, _, _) in &g.knows {
        degree[a] += 1;
    }
    let mut order: Vec<usize> = (0..degree.len()).collect();
    order.sort_by_key(|&i| (degree[i], i));
    let busy = order[order.len() * 9 / 10];
    (busy, g.persons.len() - 1)
}

pub fn queries(g: &Social) -> Vec<Query> {
    let (busy, far) = subjects(g);
    let n = g.persons.len();
    let fixed = |p: String| -> Box<dyn Fn(usize) -> String> { Box::new(move |_| p.clone()) };
    vec![
        Query {
            name: "point_lookup",
            cypher: "MATCH (p:Person {id: $id}) RETURN p.name AS name".into(),
            kuzu: None,
            note: "",
            writes: false,
            seeks: 1,
            params: fixed(format!("{{\"id\":{}}}", n / 2)),
        },
        Query {
            name: "one_hop_filter",
            cypher: "MATCH (p:Person {id: $id})-[:KNOWS]->(f:Person) WHERE f.age >= $age RETURN f.name AS name, f.age AS age".into(),
            kuzu: None,
            note: "",
            writes: false,
            seeks: 1,
            params: fixed(format!("{{\"id\":{busy},\"age\":40}}")),
        },
        Query {
            name: "two_hop_count_distinct",
            cypher: "MATCH (p:Person {id: $id})-[:KNOWS]->(:Person)-[:KNOWS]->(f:Person) WHERE f.id <> $id RETURN count(DISTINCT f.id) AS n".into(),
            kuzu: None,
            note: "",
            writes: false,
            seeks: 1,
            params: fixed(format!("{{\"id\":{busy}}}")),
        },
        Query {
            name: "aggregation_top10",
            cypher: "MATCH (m:Post)-[:HAS_TAG]->(t:Tag) WHERE m.length >= $len RETURN t.name AS tag, count(*) AS n ORDER BY n DESC, tag LIMIT 10".into(),
            kuzu: None,
            note: "",
            writes: false,
            seeks: 0,
            params: fixed("{\"len\":1000}".into()),
        },
        Query {
            name: "reach_3_hops",
            cypher: "MATCH (p:Person {id: $id})-[:KNOWS*1..3]->(f:Person) RETURN count(DISTINCT f.id) AS n".into(),
            kuzu: None,
            note: "same endpoints under Kuzu's walk and Cypher's trail semantics (a walk's shortest sub-walk is a trail)",
            writes: false,
            seeks: 1,
            params: fixed(format!("{{\"id\":{busy}}}")),
        },
        Query {
            name: "shortest_path",
            cypher: "MATCH (a:Person {id: $a}), (b:Person {id: $b}) MATCH p = shortestPath((a)-[:KNOWS*..6]->(b)) RETURN length(p) AS len".into(),
            kuzu: Some("MATCH p = (a:Person {id: $a})-[:KNOWS* SHORTEST 1..6]->(b:Person {id: $b}) RETURN length(p) AS len".into()),
            note: "Kuzu writes shortest paths as `[:KNOWS* SHORTEST 1..6]`",
            writes: false,
            seeks: 2,
            params: fixed(format!("{{\"a\":{busy},\"b\":{far}}}")),
        },
        Query {
            name: "create_node",
            cypher: "CREATE (:Person {id: $id, name: $name, age: $age, city: $city})".into(),
            kuzu: None,
            note: "",
            writes: true,
            seeks: 0,
            params: Box::new(move |i| format!("{{\"id\":{},\"name\":\"New {i}\",\"age\":33,\"city\":\"Oslo\"}}", n + i)),
        },
        Query {
            name: "merge_relationship",
            cypher: "MATCH (a:Person {id: $a}), (b:Person {id: $b}) MERGE (a)-[:KNOWS]->(b)".into(),
            kuzu: None,
            note: "",
            writes: true,
            seeks: 2,
            params: Box::new(move |i| format!("{{\"a\":{},\"b\":{}}}", i % n, (i * 7919 + 13) % n)),
        },
    ]
}

/// The query list for other databases: name, text, and the parameters of 200 calls in order
/// (a warm-up, then up to 199 timed calls).
pub fn queries_json(qs: &[Query]) -> String {
    let mut out = String::from("[");
    for (i, q) in qs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("\n{\"name\":");
        json::write_str(&mut out, q.name);
        out.push_str(",\"cypher\":");
        json::write_str(&mut out, q.kuzu.as_deref().unwrap_or(&q.cypher));
        let _ = write!(out, ",\"writes\":{},\"params\":[", q.writes);
        let params: Vec<String> = (1..=200).map(|c| (q.params)(c)).collect();
        out.push_str(&params.join(","));
        out.push_str("]}");
    }
    out.push_str("\n]\n");
    out
}

#[derive(Clone, Debug, Default)]
pub struct Timing {
    pub median: f64,
    pub p95: f64,
    pub runs: usize,
}

impl Timing {
    /// Median and nearest-rank 95th percentile, in ms.
    pub fn of(mut times: Vec<f64>) -> Timing {
        times.sort_by(f64::total_cmp);
        let n = times.len();
        if n == 0 {
            return Timing::default();
        }
        let median = if n % 2 == 1 { times[n / 2] } else { (times[n / 2 - 1] + times[n / 2]) / 2.0 };
        let p95 = times[((n as f64 * 0.95).ceil() as usize).clamp(1, n) - 1];
        Timing { median, p95, runs: n }
    }
    fn json(&self) -> String {
        format!("{{\"median_ms\":{:.4},\"p95_ms\":{:.4},\"runs\":{}}}", self.median, self.p95, self.runs)
    }
}

#[derive(Default)]
pub struct Measured {
    pub error: Option<String>,
    /// The first result's rows, as compact JSON.
    pub rows: String,
    pub warm: Timing,
    pub cold: Timing,
    pub store_warm: Counts,
    pub store_cold: Counts,
    pub latency_warm: Timing,
    pub latency_cold: Timing,
}

/// Compact JSON text, the same as Python's `json.dumps(v, separators=(",", ":"))` for the
/// integers and strings the benchmark returns.
fn text(j: &Json) -> String {
    match j {
        Json::Null => "null".into(),
        Json::Bool(b) => b.to_string(),
        Json::Int(i) => i.to_string(),
        Json::Float(f) => f.to_string(),
        Json::String(s) => {
            let mut o = String::new();
            json::write_str(&mut o, s);
            o
        }
        Json::Array(a) => format!("[{}]", a.iter().map(text).collect::<Vec<_>>().join(",")),
        Json::Object(m) => {
            let fields: Vec<String> =
                m.iter().map(|(k, v)| format!("{}:{}", text(&Json::String(k.clone())), text(v))).collect();
            format!("{{{}}}", fields.join(","))
        }
    }
}

fn field<'a>(j: &'a Json, key: &str) -> Option<&'a Json> {
    match j {
        Json::Object(m) => m.get(key),
        _ => None,
    }
}

fn num(j: Option<&Json>) -> Option<f64> {
    match j {
        Some(Json::Int(i)) => Some(*i as f64),
        Some(Json::Float(f)) => Some(*f),
        _ => None,
    }
}

/// The `rows` of a response body as compact JSON.
pub fn rows_text(body: &str) -> Res<String> {
    let j = json::parse(body).map_err(|e| e.message)?;
    field(&j, "rows").map(text).ok_or_else(|| format!("no rows in {body}"))
}

/// Rows compared as multisets: unordered results match in any order.
fn same_rows(a: &str, b: &str) -> bool {
    let rows = |t: &str| -> Option<Vec<String>> {
        match json::parse(t).ok()? {
            Json::Array(rs) => {
                let mut v: Vec<String> = rs.iter().map(text).collect();
                v.sort();
                Some(v)
            }
            _ => None,
        }
    };
    rows(a).is_some() && rows(a) == rows(b)
}

fn read_json(path: Option<&Path>) -> Option<Json> {
    json::parse(&std::fs::read_to_string(path?).ok()?).ok()
}

fn f(v: Option<f64>, digits: usize) -> String {
    v.map_or("–".into(), |x| format!("{x:.digits$}"))
}

/// What the report adds besides the engine's timings: Kuzu's and the Worker's results (files
/// their runs wrote), and the 2-hop memory check.
pub struct Out<'a> {
    pub kuzu: Option<&'a Path>,
    pub worker: Option<&'a Path>,
    pub mem: &'a MemCheck,
    /// The block cache of the loading and warm handles.
    pub cache_bytes: usize,
}

pub fn write(out: &Path, size: &str, g: &Social, ingest: &Ingest, qs: &[Query], ms: &[Measured], o: Out) -> Res<()> {
    let kuzu = read_json(o.kuzu);
    let worker = read_json(o.worker);
    let kq = |name: &str| kuzu.as_ref().and_then(|k| field(k, "queries")).and_then(|q| field(q, name));
    let date = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_string()))
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let rate = ingest.elements as f64 / ingest.seconds;

    let mut js = String::from("{");
    let _ = write!(
        js,
        "\"size\":\"{size}\",\"date\":\"{date}\",\"block_cache_bytes\":{},\"machine\":{{\"cpu\":",
        o.cache_bytes
    );
    json::write_str(&mut js, &cpu);
    let _ = write!(
        js,
        ",\"cores\":{cores}}},\"graph\":{{\"persons\":{},\"posts\":{},\"comments\":{},\"tags\":{},\"nodes\":{},\"relationships\":{}}},",
        g.persons.len(), g.posts.len(), g.comments.len(), g.tags.len(), g.nodes(), g.rels()
    );
    let _ = write!(
        js,
        "\"ingest\":{{\"elements\":{},\"batch_rows\":{},\"requests\":{},\"seconds\":{:.3},\"elements_per_second\":{:.0},\"slowest_request_s\":{:.3},\"peak_rss_mb\":{}",
        ingest.elements, ingest.batch, ingest.requests, ingest.seconds, rate, ingest.slowest_request_s, ingest.peak_rss_mb
    );
    js.push_str(",\"steps\":[");
    for (i, st) in ingest.steps.iter().enumerate() {
        if i > 0 {
            js.push(',');
        }
        js.push_str("{\"what\":");
        json::write_str(&mut js, st.what);
        let _ = write!(
            js,
            ",\"elements\":{},\"seconds\":{:.3},\"elements_per_second\":{:.0}}}",
            st.elements,
            st.seconds,
            st.rate()
        );
    }
    js.push_str("]},");
    js.push_str("\"queries\":[");
    let mut md = String::new();
    let _ = writeln!(md, "Size `{size}`: {} nodes, {} relationships ({} persons, {} posts, {} comments, {} tags). {date}, {cpu}, {cores} cores. Block cache of the loading and warm handles: {:.0} MiB.\n", g.nodes(), g.rels(), g.persons.len(), g.posts.len(), g.comments.len(), g.tags.len(), mib(o.cache_bytes));
    let _ = writeln!(md, "| query | ours warm median / p95 ms | ours cold median ms | Kuzu warm median / p95 ms | ours/Kuzu | round trips warm / cold | GET / PUT / LIST warm | GET / LIST cold, MB read cold | 20 ms/call: warm / cold ms | same result |");
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|---|");
    for (i, (q, m)) in qs.iter().zip(ms).enumerate() {
        let k = kq(q.name);
        let k_err =
            k.and_then(|k| field(k, "error"))
                .and_then(|e| if let Json::String(s) = e { Some(s.clone()) } else { None });
        let k_med = k.and_then(|k| num(field(k, "median_ms")));
        let k_p95 = k.and_then(|k| num(field(k, "p95_ms")));
        let k_rows = k.and_then(|k| field(k, "rows")).map(text);
        let ratio = match (m.error.is_none(), k_med) {
            (true, Some(km)) if km > 0.0 => Some(m.warm.median / km),
            _ => None,
        };
        let same = match (&m.error, &k_rows) {
            (None, Some(kr)) if !q.writes => Some(same_rows(&m.rows, kr)),
            _ => None,
        };
        if i > 0 {
            js.push(',');
        }
        js.push_str("\n{\"name\":");
        json::write_str(&mut js, q.name);
        js.push_str(",\"cypher\":");
        json::write_str(&mut js, &q.cypher);
        js.push_str(",\"kuzu_cypher\":");
        json::write_str(&mut js, q.kuzu.as_deref().unwrap_or(&q.cypher));
        js.push_str(",\"note\":");
        json::write_str(&mut js, q.note);
        js.push_str(",\"error\":");
        match &m.error {
            Some(e) => json::write_str(&mut js, e),
            None => js.push_str("null"),
        }
        js.push_str(",\"rows\":");
        json::write_str(&mut js, &m.rows);
        let _ = write!(
            js,
            ",\"warm\":{},\"cold\":{},\"store_warm\":{},\"store_cold\":{},\"latency_{LAT}ms_warm\":{},\"latency_{LAT}ms_cold\":{}",
            m.warm.json(), m.cold.json(), counts_json(&m.store_warm), counts_json(&m.store_cold), m.latency_warm.json(), m.latency_cold.json(),
            LAT = crate::LATENCY_MS
        );
        let _ = write!(
            js,
            ",\"kuzu\":{},\"ratio_ours_over_kuzu\":{},\"same_result\":{}}}",
            k.map_or("null".into(), text),
            ratio.map_or("null".into(), |r| format!("{r:.3}")),
            same.map_or("null".into(), |s| s.to_string())
        );

        let name = if q.note.is_empty() { q.name.to_string() } else { format!("{} ¹", q.name) };
        if let Some(e) = &m.error {
            let kuzu_cell = match (k_med, &k_err) {
                (Some(km), _) => format!("{km:.3} / {}", f(k_p95, 3)),
                (None, Some(e)) => format!("error: {e}"),
                _ => "–".into(),
            };
            let e = if e.starts_with("unsupported") { e.clone() } else { format!("error: {e}") };
            let _ = writeln!(md, "| {name} | {} | – | {kuzu_cell} | – | – | – | – | – | – |", e.replace('|', "\\|"));
            continue;
        }
        let kuzu_cell = match (k_med, &k_err) {
            (Some(km), _) => format!("{km:.3} / {}", f(k_p95, 3)),
            (None, Some(e)) => format!("error: {}", e.replace('|', "\\|")),
            _ => "not run".into(),
        };
        let (w, c) = (&m.store_warm, &m.store_cold);
        let _ = writeln!(
            md,
            "| {name} | {:.3} / {:.3} | {:.1} | {kuzu_cell} | {} | {} / {} | {} / {} / {} | {} / {}, {:.1} | {:.0} / {:.0} | {} |",
            m.warm.median, m.warm.p95, m.cold.median, f(ratio, 2), w.round_trips, c.round_trips, w.gets, w.puts, w.lists,
            c.gets, c.lists, c.bytes_read as f64 / 1e6, m.latency_warm.median, m.latency_cold.median,
            same.map_or("–", |s| if s { "yes" } else { "NO" })
        );
    }
    js.push_str("\n],");
    let k_load = kuzu.as_ref().and_then(|k| num(field(k, "load_seconds")));
    // The 2-hop memory check's answer against the unlimited run's (or Kuzu's).
    let two_hop = qs.iter().zip(ms).find(|(q, m)| q.name == "two_hop_count_distinct" && m.error.is_none());
    let reference = two_hop
        .map(|(_, m)| m.rows.clone())
        .or_else(|| kq("two_hop_count_distinct").and_then(|k| field(k, "rows")).map(text));
    let mem = o.mem;
    js.push_str("\"memory_check\":{\"query\":");
    json::write_str(&mut js, &mem.query);
    let _ = write!(
        js,
        ",\"block_cache_bytes\":{},\"max_read_bytes\":{},\"max_memory_bytes\":{},\"runs\":[",
        crate::MEM_CACHE,
        crate::MEM_READ,
        crate::MEM_QUERY
    );
    let mut mem_md = Vec::new();
    for (i, r) in mem.runs.iter().enumerate() {
        let same = reference.as_ref().filter(|_| r.error.is_none()).map(|rows| same_rows(&r.rows, rows));
        if i > 0 {
            js.push(',');
        }
        js.push_str("{\"run\":");
        json::write_str(&mut js, r.what);
        js.push_str(",\"error\":");
        match &r.error {
            Some(e) => json::write_str(&mut js, e),
            None => js.push_str("null"),
        }
        js.push_str(",\"rows\":");
        json::write_str(&mut js, &r.rows);
        let _ = write!(
            js,
            ",\"ms\":{:.3},\"cache_bytes_after\":{},\"heap_growth_peak_bytes\":{},\"same_result\":{}}}",
            r.ms,
            r.cache_bytes,
            r.heap_bytes,
            same.map_or("null".into(), |s| s.to_string())
        );
        let outcome = match &r.error {
            Some(e) => format!("**failed**: `{e}`"),
            None => format!(
                "ok in {:.1} ms{}",
                r.ms,
                match same {
                    Some(true) => ", same result",
                    Some(false) => ", **different result**",
                    None => "",
                }
            ),
        };
        mem_md.push(format!(
            "{}: {outcome}; block cache {:.1} MiB after, heap grew by at most {:.1} MiB",
            r.what,
            mib(r.cache_bytes),
            mib(r.heap_bytes)
        ));
    }
    js.push_str("]},");
    let _ = writeln!(
        js,
        "\"kuzu\":{},\"worker\":{}}}",
        kuzu.as_ref().map_or("null".into(), |k| {
            // Everything but the per-query entries, which are inline above.
            match k {
                Json::Object(m) => text(&Json::Object(
                    m.iter().filter(|(k, _)| *k != "queries").map(|(k, v)| (k.clone(), v.clone())).collect(),
                )),
                _ => "null".into(),
            }
        }),
        worker.as_ref().map_or("null".into(), text)
    );

    let _ = writeln!(md, "| bulk ingest (elements/s) | {rate:.0} ({} elements, {} requests of ≤ {} rows, {:.1} s, peak RSS {} MB) | | {} | {} | | | | | |",
        ingest.elements, ingest.requests, ingest.batch, ingest.seconds, ingest.peak_rss_mb,
        k_load.map_or("not run".into(), |s| format!("{:.0} (COPY FROM CSV, {s:.1} s)", ingest.elements as f64 / s)),
        k_load.map_or("–".into(), |s| format!("{:.2}", (ingest.elements as f64 / s) / rate)));
    let steps: Vec<String> = ingest
        .steps
        .iter()
        .map(|st| format!("{} {:.0}/s ({} in {:.1} s)", st.what, st.rate(), st.elements, st.seconds))
        .collect();
    let _ = writeln!(md, "\nIngest by statement (elements/s): {}.", steps.join("; "));
    md.push_str("\nours/Kuzu compares warm medians (below 1.0: we are faster); for bulk ingest the ratio is Kuzu's rate over ours. Cold = a handle opened for the call (the open's reads are included). Round trips are the longest chain of sequential store calls. ");
    if qs.iter().any(|q| !q.note.is_empty()) {
        md.push_str("¹ ");
        for q in qs.iter().filter(|q| !q.note.is_empty()) {
            let _ = write!(md, "{}: {}. ", q.name, q.note);
        }
    }
    md.push('\n');
    let _ = writeln!(
        md,
        "\n2-hop within 64 MiB: `two_hop_count_distinct` on a handle with a {:.0} MiB block cache, \
         `max_read_bytes` {:.0} MiB, `max_memory_bytes` {:.0} MiB (other limits default): {}.",
        mib(crate::MEM_CACHE),
        mib(crate::MEM_READ),
        mib(crate::MEM_QUERY),
        mem_md.join("; ")
    );
    match &worker {
        Some(w) => match field(w, "skipped") {
            Some(Json::String(why)) => {
                let _ = writeln!(md, "\nWorker: skipped ({why}).");
            }
            _ => {
                let rate = |name: &str, what: &str| {
                    let ingest = field(w, name);
                    format!(
                        "{} elements/s ({} {what} in {} requests)",
                        f(ingest.and_then(|i| num(field(i, "elements_per_second"))), 0),
                        f(ingest.and_then(|i| num(field(i, "elements"))), 0),
                        f(ingest.and_then(|i| num(field(i, "requests"))), 0),
                    )
                };
                let _ = writeln!(
                    md,
                    "\nWorker (local workerd, local R2): bundle {} bytes gzipped ({} raw); first request {} ms; \
                     seed quickstart statements, median wall ms per request: {}; bulk ingest through /cypher: \
                     {}, then {}.",
                    f(num(field(w, "bundle_gzip_bytes")), 0),
                    f(num(field(w, "bundle_raw_bytes")), 0),
                    f(num(field(w, "first_request_ms")), 1),
                    field(w, "quickstart_ms").map_or("–".into(), text),
                    rate("ingest", "nodes"),
                    rate("ingest_relationships", "relationships, each end found by an index seek"),
                );
            }
        },
        None => md.push_str("\nWorker: not measured in this run.\n"),
    }
    std::fs::write(out.join("report.json"), js).map_err(|e| e.to_string())?;
    std::fs::write(out.join("report.md"), &md).map_err(|e| e.to_string())?;
    println!("{md}");
    Ok(())
}
