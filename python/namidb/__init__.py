"""NamiDB-edge client: Cypher over HTTP (POST /cypher, shared/API.md), standard library only.

    import namidb
    client = namidb.Client("http://127.0.0.1:8787?ns=prod", token="dev-token")
    result = client.cypher("MATCH (p:Person) WHERE p.age >= $min RETURN p.name AS name", params={"min": 18})
    result.columns, result.rows, result.records(), result.stats, result.to_pandas()
"""
from ._client import Client, NamiDBError, Position, Result
from ._values import Node, Path, Relationship, Temporal

__all__ = ["Client", "NamiDBError", "Node", "Path", "Position", "Relationship", "Result", "Temporal"]
__version__ = "0.1.0"
