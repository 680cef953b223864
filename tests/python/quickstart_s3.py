# The seed's notebook quickstart: the engine in-process on an S3 bucket. tests/python.test.mjs
# runs this file unchanged except for `&endpoint=...` appended to the URI (a local S3 server),
# with AWS credentials in the environment as the seed exports them.
import namidb as tg

client = tg.Client("s3://my-bucket/data?ns=prod&region=us-east-1")

client.cypher("CREATE (a:Person {name: 'Alice', age: 30})")
client.cypher("CREATE (b:Person {name: 'Bob', age: 25})")
client.cypher("MATCH (a:Person {name: 'Alice'}), (b:Person {name: 'Bob'}) CREATE (a)-[:KNOWS {since: 2020}]->(b)")

result = client.cypher("MATCH (p:Person) WHERE p.age >= $min RETURN p.name AS name, p.age AS age", params={"min": 18})
print(result.to_pandas())
