"""The in-process engine (namidb._native) behind namidb.Client for file:// and memory:// URIs:
the same Result and errors as over HTTP, and a namespace that another Client reopens."""
import os
import tempfile
import unittest

import namidb


class NativeTest(unittest.TestCase):
    def test_memory_values_and_errors(self):
        c = namidb.Client("memory://pytest")
        c.cypher("CREATE (:P {name: 'Ada', n: 9007199254740993, f: 1.0, d: date('2020-01-02')})")
        r = c.cypher("MATCH (p:P) RETURN p, p.n AS n, p.f AS f, p.d AS d")
        node = r.rows[0][0]
        self.assertIsInstance(node, namidb.Node)
        self.assertEqual(node.labels, ["P"])
        self.assertEqual(r.records()[0]["n"], 9007199254740993)
        self.assertIsInstance(r.records()[0]["f"], float)
        self.assertEqual(str(r.records()[0]["d"]), "2020-01-02")
        self.assertEqual(r.stats.get("nodes_created", 0), 0)
        with self.assertRaises(namidb.NamiDBError) as e:
            c.cypher("MATCH (n) RETURN m")
        self.assertEqual(e.exception.code, "SyntaxError")
        self.assertEqual(e.exception.position.column, 18)
        # memory:// names one store per process: a second client sees the same graph.
        self.assertEqual(namidb.Client("memory://pytest").cypher("MATCH (p:P) RETURN count(p)").rows, [[1]])

    def test_file_uri_survives_a_new_client(self):
        with tempfile.TemporaryDirectory() as d:
            uri = f"file://{d}?ns=prod"
            namidb.Client(uri).cypher("UNWIND range(1, 40) AS i CREATE (:N {i: i})")
            for i in range(40):
                namidb.Client(uri).cypher("MATCH (n:N {i: $i}) SET n.seen = true", params={"i": i + 1})
            again = namidb.Client(uri)
            self.assertEqual(again.cypher("MATCH (n:N) WHERE n.seen RETURN count(n)").rows, [[40]])
            self.assertTrue(os.path.isdir(os.path.join(d, "prod", "sst")), "40 commits wrote a checkpoint table")

    def test_bad_uris_raise_the_contracts_error(self):
        with self.assertRaises(namidb.NamiDBError) as e:
            namidb.Client("file:///tmp/x")
        self.assertEqual(e.exception.code, "InvalidRequest")
        self.assertIn("ns=NAME", e.exception.message)
        with self.assertRaises(ValueError):
            namidb.Client("memory://x", token="t")


if __name__ == "__main__":
    unittest.main()
