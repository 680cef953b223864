"""The Python client against the real Worker (started by tests/python.test.mjs, which passes
NAMIDB_URL and NAMIDB_TOKEN and plants a corrupt commit record in namespace "pysick"): every
value type of the contract both ways, results, errors and retries. The one test with a scripted
transport is a unit test of the retry loop and says so."""
import datetime as dt
import math
import os
import socket
import threading
import unittest

import namidb
from namidb import Node, Path, Relationship, Temporal

URL, TOKEN = os.environ["NAMIDB_URL"], os.environ["NAMIDB_TOKEN"]


def client(ns, **kw):
    return namidb.Client(f"{URL}?ns={ns}", token=TOKEN, **kw)


def roundtrip(value):
    result = client("pyvalues").cypher("RETURN $x AS x", params={"x": value})
    return result.rows[0][0]


class RoundTrips(unittest.TestCase):
    def test_scalars(self):
        for value in [None, True, False, "héllo \"wörld\"\n\t\\ 🌊", 0, -42, 2**53 + 1, 2**63 - 1, -(2**63),
                      1.5, 1e300, 5e-324, float("inf"), float("-inf")]:
            with self.subTest(value=value):
                back = roundtrip(value)
                self.assertEqual(back, value)
                self.assertIs(type(back), type(value))

    def test_float_stays_float(self):
        back = roundtrip(1.0)
        self.assertIs(type(back), float)
        self.assertEqual(client("pyvalues").cypher("RETURN toString($f) AS f, toString($i) AS i",
                                                   params={"f": 1.0, "i": 1}).rows, [["1.0", "1"]])
        neg = roundtrip(-0.0)
        self.assertEqual(math.copysign(1, neg), -1.0)
        self.assertTrue(math.isnan(roundtrip(float("nan"))))

    def test_lists_and_maps(self):
        value = [1, 2.5, "a", None, [True], {"k": {"deep": [1.0]}, "odd key": "x"}]
        back = roundtrip(value)
        self.assertEqual(back, value)
        self.assertIs(type(back[5]["k"]["deep"][0]), float)

    def test_temporals(self):
        for kind, text in [("date", "1984-10-11"), ("time", "12:00+01:00"), ("localtime", "12:34:56.123456789"),
                           ("datetime", "2015-07-21T21:40:32.142+01:00"), ("localdatetime", "2015-07-21T21:40:32.142"),
                           ("duration", "P1Y2M10DT12H45M30.25S")]:
            with self.subTest(kind=kind):
                self.assertEqual(roundtrip(Temporal(kind, text)), Temporal(kind, text))

    def test_python_datetime_types(self):
        utc = dt.timezone.utc
        self.assertEqual(roundtrip(dt.date(2020, 2, 29)), Temporal("date", "2020-02-29"))
        back = roundtrip(dt.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=utc))
        self.assertEqual(back.kind, "datetime")
        self.assertEqual(back.to_python(), dt.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=utc))
        self.assertEqual(roundtrip(dt.datetime(2024, 1, 2, 3, 4, 5)).to_python(), dt.datetime(2024, 1, 2, 3, 4, 5))
        self.assertEqual(roundtrip(dt.time(12, 30)).to_python(), dt.time(12, 30))
        self.assertEqual(Temporal("localtime", "12:34:56.123456789").to_python(), dt.time(12, 34, 56, 123456))
        d = client("pyvalues").cypher("RETURN date('2020-02-29') + duration('P1D') AS d").rows[0][0]
        self.assertEqual(d.to_python(), dt.date(2020, 3, 1))

    def test_entities(self):
        db = client("pygraph")
        db.cypher("CREATE (:Person {name: 'Alice', age: 30})-[:KNOWS {since: 2020}]->(:Person {name: 'Bob', age: 25})")
        result = db.cypher("MATCH p = (a:Person)-[k:KNOWS]->(b:Person) RETURN a, k, b, p")
        a, k, b, p = result.rows[0]
        self.assertIsInstance(a, Node)
        self.assertIsInstance(k, Relationship)
        self.assertIsInstance(p, Path)
        self.assertEqual((a.labels, a.properties), (["Person"], {"name": "Alice", "age": 30}))
        self.assertEqual((k.type, k.start, k.end, k.properties), ("KNOWS", a.id, b.id, {"since": 2020}))
        self.assertEqual(p.nodes, [a, b])
        self.assertEqual(p.relationships, [k])
        self.assertEqual((len(p), p.start, p.end), (1, a, b))
        self.assertEqual(len({a, b, a}), 2)
        plain = result.to_dicts()[0]
        self.assertEqual(plain["a"], {"_kind": "node", "id": a.id, "labels": ["Person"],
                                      "properties": {"name": "Alice", "age": 30}})
        self.assertEqual(plain["k"]["_kind"], "relationship")
        self.assertEqual([x["_kind"] for x in plain["p"]], ["node", "relationship", "node"])


class Results(unittest.TestCase):
    def test_records_stats_meta_pandas(self):
        db = client("pyresults")
        created = db.cypher("UNWIND range(1, 3) AS i CREATE (:N {i: i, half: i / 2.0})")
        self.assertEqual(created.stats["nodes_created"], 3)
        self.assertEqual(created.stats["properties_set"], 6)
        self.assertEqual(created.meta["attempts"], 1)
        result = db.cypher("MATCH (n:N) RETURN n.i AS i, n.half AS half ORDER BY i")
        self.assertEqual(result.columns, ["i", "half"])
        self.assertEqual(result.records(), [{"i": 1, "half": 0.5}, {"i": 2, "half": 1.0}, {"i": 3, "half": 1.5}])
        self.assertEqual(list(result), result.records())
        self.assertEqual(len(result), 3)
        frame = result.to_pandas()
        self.assertEqual(list(frame.columns), ["i", "half"])
        self.assertEqual(frame["i"].tolist(), [1, 2, 3])
        self.assertEqual(str(frame["i"].dtype), "int64")
        self.assertEqual(str(frame["half"].dtype), "float64")
        empty = db.cypher("MATCH (n:Nothing) RETURN n.x AS x, n.y AS y").to_pandas()
        self.assertEqual((list(empty.columns), len(empty)), (["x", "y"], 0))


class Errors(unittest.TestCase):
    def test_syntax_error_with_position(self):
        with self.assertRaises(namidb.NamiDBError) as cm:
            client("pyerrors").cypher("MATCH (n) RETURN x")
        e = cm.exception
        self.assertEqual((e.code, e.status, e.detail, e.attempts), ("SyntaxError", 400, "UndefinedVariable", 1))
        self.assertEqual(e.position, namidb.Position(offset=17, line=1, column=18))
        self.assertFalse(e.retryable)
        self.assertTrue(str(e).startswith("SyntaxError: "))

    def test_codes(self):
        cases = [
            (namidb.Client(f"{URL}?ns=prod", token="wrong"), "RETURN 1", None, 401, "Unauthorized"),
            (namidb.Client(f"{URL}?ns=prod"), "RETURN 1", None, 401, "Unauthorized"),
            (client("Bad-NS"), "RETURN 1", None, 400, "InvalidNamespace"),
            (client("pyerrors"), "RETURN $nope", None, 400, "ParameterMissing"),
            (client("pyerrors"), "RETURN $n", {"n": Node("1", ["X"], {})}, 400, "InvalidRequest"),
            (client("pyerrors"), "RETURN 9223372036854775807 + 1", None, 400, "ArithmeticError"),
        ]
        for db, query, params, status, code in cases:
            with self.subTest(code=code, query=query):
                with self.assertRaises(namidb.NamiDBError) as cm:
                    db.cypher(query, params=params)
                self.assertEqual((cm.exception.status, cm.exception.code, cm.exception.attempts), (status, code, 1))

    def test_refused_locally(self):
        with self.assertRaises(OverflowError):
            client("pyerrors").cypher("RETURN $x", params={"x": 2**63})
        with self.assertRaises(TypeError):
            client("pyerrors").cypher("RETURN $x", params={"x": object()})
        with self.assertRaises(ValueError):
            namidb.Client(URL)  # no ?ns=

    def test_connection_error_is_not_retried(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        retries = []
        db = namidb.Client(f"http://127.0.0.1:{port}?ns=prod", on_retry=lambda *a: retries.append(a))
        with self.assertRaises(namidb.NamiDBError) as cm:
            db.cypher("RETURN 1")
        self.assertEqual((cm.exception.code, cm.exception.status, retries), ("ConnectionError", 0, []))


class Retries(unittest.TestCase):
    def test_real_unavailable_is_retried_then_raised(self):
        # "pysick" holds a corrupt commit record (planted by the node driver): every request is a real 503.
        calls = []
        db = client("pysick", attempts=3, backoff=0.01, max_backoff=0.015,
                    on_retry=lambda attempt, error, delay: calls.append((attempt, error.code, delay)))
        with self.assertRaises(namidb.NamiDBError) as cm:
            db.cypher("CREATE ()")
        self.assertEqual((cm.exception.code, cm.exception.status, cm.exception.attempts), ("Unavailable", 503, 3))
        self.assertEqual([(a, c) for a, c, _ in calls], [(1, "Unavailable"), (2, "Unavailable")])
        self.assertTrue(0 <= calls[0][2] < 0.01 and 0 <= calls[1][2] < 0.015, calls)

    def test_racing_threads_lose_no_update(self):
        client("pyrace").cypher("CREATE (:Counter {n: 0})")
        threads, each, executions, failures = 6, 20, [], []

        def work():
            db = client("pyrace")
            try:
                for _ in range(each):
                    executions.append(db.cypher("MATCH (c:Counter) SET c.n = c.n + 1").meta["attempts"])
            except Exception as e:  # reported below: an exception in a thread would be lost
                failures.append(e)

        pool = [threading.Thread(target=work) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        self.assertEqual(failures, [])
        self.assertEqual(client("pyrace").cypher("MATCH (c:Counter) RETURN c.n AS n").rows, [[threads * each]])
        self.assertEqual(len(executions), threads * each)

    def test_unit_retry_loop_with_scripted_transport(self):
        """Unit test of the retry loop: _send is scripted (no server), because a real Conflict
        needs a commit race lost 32 times in a row inside the Worker."""
        script = ["Conflict", "Unavailable", "ok"]
        sent, slept = [], []

        class Scripted(namidb.Client):
            def _send(self, body, attempt):
                sent.append((body, attempt))
                step = script.pop(0)
                if step != "ok":
                    raise namidb.NamiDBError(step, "scripted", 409 if step == "Conflict" else 503, attempts=attempt)
                return namidb.Result(["x"], [[1]], {}, {}, attempt)

        db = Scripted("http://127.0.0.1:1?ns=n", backoff=0.1, max_backoff=0.15, sleep=slept.append, rand=lambda: 0.5)
        self.assertEqual(db.cypher("RETURN 1").attempts, 3)
        self.assertEqual(slept, [0.05, 0.075])
        self.assertEqual([a for _, a in sent], [1, 2, 3])
        self.assertEqual(len({b for b, _ in sent}), 1)
        for code in ["Fenced", "Internal", "LimitExceeded"]:
            script[:] = [code, "ok"]
            sent.clear()
            with self.assertRaises(namidb.NamiDBError):
                db.cypher("RETURN 1")
            self.assertEqual(len(sent), 1, f"{code} must not be retried")


if __name__ == "__main__":
    unittest.main()
