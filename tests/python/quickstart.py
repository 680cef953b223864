# The seed's quickstart in Python, as a user types it in a notebook. tests/python.test.mjs runs
# this file unchanged except for the URL (it points it at the Worker the test started).
import namidb

client = namidb.Client("http://127.0.0.1:8787?ns=prod", token="dev-token")

client.cypher("CREATE (a:Person {name: 'Alice', age: 30})")
client.cypher("CREATE (b:Person {name: 'Bob', age: 25})")
client.cypher("MATCH (a:Person {name: 'Alice'}), (b:Person {name: 'Bob'}) CREATE (a)-[:KNOWS {since: 2020}]->(b)")

result = client.cypher("MATCH (p:Person) WHERE p.age >= $min RETURN p.name AS name, p.age AS age", params={"min": 18})
print(result.to_pandas())
