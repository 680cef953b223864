#![allow(clippy::unwrap_used)]
use super::*;
use std::rc::Rc;

fn labels(l: &[&str]) -> BTreeSet<String> {
    l.iter().map(|s| s.to_string()).collect()
}

fn props(p: &[(&str, Value)]) -> Properties {
    p.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

#[test]
fn stats_follow_observability_rules() {
    let mut tx = Tx::new(Rc::new(Graph::default()));
    let a = tx.create_node(labels(&["A"]), props(&[("x", Value::Int(1))])).unwrap();
    tx.create_node(labels(&["A"]), Properties::new()).unwrap();
    let gone = tx.create_node(labels(&["B"]), props(&[("y", Value::Int(2))])).unwrap();
    tx.delete_node(gone, false);
    tx.set_node_property(a, "x", Value::Int(5)).unwrap();
    let done = tx.finish();
    let expected = Stats { nodes_created: 2, labels_added: 1, properties_set: 1, ..Stats::default() };
    assert_eq!(done.stats, expected, "CREATE then DELETE is invisible; one label; one final triple");

    let mut tx = Tx::new(done.graph);
    tx.set_node_property(a, "x", Value::Int(6)).unwrap();
    tx.set_node_property(a, "z", Value::Null).unwrap();
    let s = tx.finish().stats;
    assert_eq!((s.properties_set, s.properties_removed), (1, 1), "a changed value is -1 +1");
}

#[test]
fn payloads_replay_to_the_same_graph_and_entries_reload_it() {
    let mut tx = Tx::new(Rc::new(Graph::default()));
    let a = tx.create_node(labels(&["Person"]), props(&[("name", Value::String("Alice".into()))])).unwrap();
    let b = tx.create_node(labels(&["Person", "X"]), props(&[("l", Value::List(vec![Value::Float(1.5)]))])).unwrap();
    let r = tx.create_rel("KNOWS", a, b, props(&[("since", Value::Int(2020))])).unwrap();
    let r2 = tx.create_rel("KNOWS", a, b, Properties::new()).unwrap();
    let done = tx.finish();
    let mut replica = Graph::default();
    replica.apply(&done.payload.unwrap()).unwrap();
    assert_eq!(replica.node(b), done.graph.node(b));
    assert_eq!(replica.rel(r), done.graph.rel(r));
    assert_ne!(r, r2, "parallel relationships are distinct");
    assert_eq!(replica.outgoing(a).count(), 2);
    assert_eq!(replica.nodes_with_label("Person").count(), 2);

    let restored = Graph::load(replica.entries().into_iter().map(Ok)).unwrap();
    assert_eq!(restored.entries(), replica.entries());

    let mut tx = Tx::new(Rc::new(restored));
    tx.delete_node(a, false);
    assert_eq!(tx.check(), Err(TxError::NodeHasRelationships(a)));
    tx.delete_node(a, true);
    assert_eq!(tx.check(), Ok(()));
    let c = tx.create_node(BTreeSet::new(), Properties::new()).unwrap();
    assert!(c > b, "ids are never reused");
    let done = tx.finish();
    assert_eq!(done.stats.relationships_deleted, 2);
    replica.apply(&done.payload.unwrap()).unwrap();
    assert_eq!(replica.incoming(b).count(), 0);
    assert!(replica.node(a).is_none());
}

#[test]
fn unstorable_values_are_rejected() {
    let mut tx = Tx::new(Rc::new(Graph::default()));
    let map = Value::Map(Properties::new());
    assert!(tx.create_node(BTreeSet::new(), props(&[("m", map)])).is_err());
    assert!(tx.finish().payload.is_none(), "nothing to commit");
}

/// The key-value invariant checkpoints rely on: folding the entries each payload reports
/// (`apply`, and `changes` before applying) into the previous entries gives exactly the
/// entries of the new graph, including the label and adjacency indexes.
#[test]
fn the_entries_payloads_report_fold_to_the_graphs_entries() {
    use std::collections::BTreeMap;
    let mut graph = Graph::default();
    let mut folded: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    let mut step = |graph: &mut Graph, edit: &dyn Fn(&mut Tx)| {
        let mut tx = Tx::new(Rc::new(graph.clone()));
        edit(&mut tx);
        let payload = tx.finish().payload.unwrap();
        let predicted = graph.changes(&payload).unwrap();
        let applied = graph.apply(&payload).unwrap();
        assert_eq!(predicted, applied);
        for (k, v) in applied {
            match v {
                Some(v) => folded.insert(k, v),
                None => folded.remove(&k),
            };
        }
        assert_eq!(folded.clone().into_iter().collect::<Vec<_>>(), graph.entries());
    };
    step(&mut graph, &|tx| {
        let a = tx.create_node(labels(&["A", "B"]), props(&[("x", Value::Int(1))])).unwrap();
        let b = tx.create_node(labels(&["B"]), Properties::new()).unwrap();
        tx.create_rel("T", a, b, Properties::new()).unwrap();
        tx.create_rel("T", a, b, Properties::new()).unwrap();
        tx.create_rel("U", b, b, Properties::new()).unwrap();
    });
    step(&mut graph, &|tx| {
        tx.set_labels(1, &["A".to_string()], false);
        tx.set_labels(1, &["C".to_string()], true);
        tx.set_rel_property(1, "w", Value::Float(0.5)).unwrap();
    });
    step(&mut graph, &|tx| tx.delete_rel(2));
    step(&mut graph, &|tx| tx.delete_node(2, true));
    step(&mut graph, &|tx| {
        let c = tx.create_node(BTreeSet::new(), Properties::new()).unwrap();
        tx.delete_node(c, false);
    });
    let keys: Vec<char> = graph.entries().iter().map(|(k, _)| char::from(k[0])).collect();
    assert_eq!(keys, ['C', 'L', 'L', 'N'], "counters, labels B and C of node 1, node 1");
}

/// The contract of [`Graph::index_range`] that any implementation keeps: every node of the
/// index whose value lies within the bounds by Cypher's comparison is among the candidates.
#[test]
fn an_index_range_holds_every_value_within_its_bounds() {
    use std::ops::Bound::{self, Excluded, Included, Unbounded};
    let mut tx = Tx::new(Rc::new(Graph::default()));
    tx.set_index("i", Some(IndexDef { label: "L".into(), property: "p".into(), unique: false }));
    let values = [
        Value::Int(1),
        Value::Int(2),
        Value::Float(2.0),
        Value::Float(2.5),
        Value::Float(f64::NAN),
        Value::Int(i64::MAX),
        Value::String("ab".into()),
        Value::String("abc".into()),
        Value::String("b".into()),
        Value::Bool(true),
        Value::List(vec![Value::Int(2)]),
    ];
    let ids: Vec<NodeId> =
        values.iter().map(|v| tx.create_node(labels(&["L"]), props(&[("p", v.clone())])).unwrap()).collect();
    tx.create_node(labels(&["M"]), props(&[("p", Value::Int(2))])).unwrap();
    let graph = tx.finish().graph;
    let (int, float, string) = (Value::Int, Value::Float, |s: &str| Value::String(s.into()));
    let cases: [(Bound<Value>, Bound<Value>, &[usize]); 7] = [
        (Included(int(2)), Included(int(2)), &[1, 2]),
        (Excluded(float(1.5)), Excluded(int(3)), &[1, 2, 3]),
        (Excluded(int(2)), Unbounded, &[3, 5]),
        (Unbounded, Included(float(2.0)), &[0, 1, 2]),
        (Included(string("ab")), Excluded(string("ac")), &[6, 7]),
        (Included(string("")), Unbounded, &[6, 7, 8]),
        (Included(Value::List(vec![])), Unbounded, &[10]),
    ];
    for (lower, upper, within) in cases {
        let found = graph.index_range("i", lower.as_ref(), upper.as_ref());
        for &i in within {
            assert!(found.contains(&ids[i]), "{:?} in {lower:?}..{upper:?}", values[i]);
        }
    }
    assert_eq!(graph.index_range("no such index", Unbounded, Unbounded), Vec::<NodeId>::new());
}
