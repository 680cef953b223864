"""Kuzu side of the NamiDB benchmark: loads the graph `namidb-bench --csv-only` wrote
(out/bench/graph-SIZE/*.csv) with COPY FROM, runs the same queries (queries-SIZE.json, the
engine's list; Kuzu's text only where its dialect differs) with the same method: one warm-up
call, then N timed calls on the open connection; median and nearest-rank p95 in ms.

Usage: kuzu_bench.py --size 100k [--out out/bench] [--runs 20]   (run inside a venv with kuzu)
Writes out/bench/kuzu-SIZE.json.
"""
import argparse, json, math, os, shutil, statistics, sys, tempfile, time

import kuzu

SCHEMA = [
    "CREATE NODE TABLE Person(id INT64, name STRING, age INT64, city STRING, PRIMARY KEY (id))",
    "CREATE NODE TABLE Post(id INT64, creationDate INT64, length INT64, PRIMARY KEY (id))",
    "CREATE NODE TABLE Comment(id INT64, creationDate INT64, length INT64, PRIMARY KEY (id))",
    "CREATE NODE TABLE Tag(id INT64, name STRING, PRIMARY KEY (id))",
    "CREATE REL TABLE KNOWS(FROM Person TO Person, creationDate INT64)",
    "CREATE REL TABLE LIKES(FROM Person TO Post, creationDate INT64)",
    "CREATE REL TABLE HAS_TAG(FROM Post TO Tag)",
    "CREATE REL TABLE HAS_CREATOR(FROM Post TO Person, FROM Comment TO Person)",
    "CREATE REL TABLE REPLY_OF(FROM Comment TO Post)",
]
COPIES = [
    ("Person", "person.csv", ""), ("Post", "post.csv", ""), ("Comment", "comment.csv", ""), ("Tag", "tag.csv", ""),
    ("KNOWS", "knows.csv", ""), ("LIKES", "likes.csv", ""), ("HAS_TAG", "has_tag.csv", ""),
    ("HAS_CREATOR", "post_has_creator.csv", ", from='Post', to='Person'"),
    ("HAS_CREATOR", "comment_has_creator.csv", ", from='Comment', to='Person'"),
    ("REPLY_OF", "reply_of.csv", ""),
]


def timing(times):
    times = sorted(times)
    n = len(times)
    return {"median_ms": statistics.median(times), "p95_ms": times[max(1, math.ceil(n * 0.95)) - 1], "runs": n}


def rows_of(result):
    rows = []
    while result.has_next():
        rows.append(result.get_next())
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="100k")
    ap.add_argument("--out", default="out/bench")
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    graph = os.path.join(args.out, f"graph-{args.size}")
    queries = json.load(open(os.path.join(args.out, f"queries-{args.size}.json")))
    tmp = tempfile.mkdtemp(prefix="kuzu-bench-")
    try:
        db = kuzu.Database(os.path.join(tmp, "db"))
        conn = kuzu.Connection(db)
        for ddl in SCHEMA:
            conn.execute(ddl)
        started = time.perf_counter()
        for table, csv, extra in COPIES:
            path = os.path.abspath(os.path.join(graph, csv))
            conn.execute(f"COPY {table} FROM '{path}' (header=false{extra})")
        load_seconds = time.perf_counter() - started
        print(f"kuzu: loaded {graph} in {load_seconds:.2f} s", file=sys.stderr)
        out = {"version": kuzu.__version__, "load_seconds": load_seconds, "method": "COPY FROM CSV", "queries": {}}
        for q in queries:
            entry = {"cypher": q["cypher"]}
            params = iter(q["params"])
            try:
                first = time.perf_counter()
                entry["rows"] = rows_of(conn.execute(q["cypher"], next(params)))
                slow = time.perf_counter() - first > 1.0
                times = []
                for _ in range(min(args.runs, 3) if slow else args.runs):
                    p = next(params)
                    t = time.perf_counter()
                    rows_of(conn.execute(q["cypher"], p))
                    times.append((time.perf_counter() - t) * 1e3)
                entry.update(timing(times))
                print(f"kuzu: {q['name']}: median {entry['median_ms']:.3f} ms", file=sys.stderr)
            except Exception as e:  # reported, not fatal: the other queries still run
                entry["error"] = str(e).splitlines()[0] if str(e) else type(e).__name__
                print(f"kuzu: {q['name']}: error {entry['error']}", file=sys.stderr)
            out["queries"][q["name"]] = entry
        path = os.path.join(args.out, f"kuzu-{args.size}.json")
        with open(path, "w") as f:
            json.dump(out, f, indent=1)
        print(f"kuzu: wrote {path}", file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
