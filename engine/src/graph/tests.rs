#![allow(clippy::unwrap_used)]
use super::*;
use crate::storage::{Reads, State};

fn labels(l: &[&str]) -> BTreeSet<String> {
    l.iter().map(|s| s.to_string()).collect()
}

fn props(p: &[(&str, Value)]) -> Properties {
    p.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

/// Runs `edit` as one transaction on `state` and commits it: the state becomes the old one
/// with the transaction's entries over it. Also checks that what the transaction itself read
/// (its live writes) is what every replica reads (the entries worked out from its payload).
fn commit(state: &mut State, edit: impl FnOnce(&mut Tx)) -> Stats {
    let reads = Reads::unbounded();
    let mut tx = Tx::new(state, &reads);
    edit(&mut tx);
    let stats = tx.stats();
    // The counters are written once, at the end; everything else as the transaction goes.
    let not_counters =
        |e: Vec<(Vec<u8>, Vec<u8>)>| e.into_iter().filter(|(k, _)| k[..] != [kv::COUNTERS]).collect::<Vec<_>>();
    let live = not_counters(everything(&tx.graph()));
    let Some(done) = tx.commit() else { return stats };
    assert_eq!(GraphModel::changes(state, &reads, &done.payload).unwrap(), done.entries, "deterministic");
    let next = state.with_layer(&done.entries).unwrap();
    let schema = read_schema(&next, &reads);
    let replica = not_counters(everything(&Graph::new(&next, &reads, None, &schema)));
    assert_eq!(replica, live, "replicas read what the writer read");
    assert!(!reads.incomplete());
    *state = next;
    stats
}

fn everything(g: &Graph) -> Vec<(Vec<u8>, Vec<u8>)> {
    g.state.range(g.reads, g.writes, &[], None)
}

fn view<'a>(state: &'a State, reads: &'a Reads, schema: &'a Schema) -> Graph<'a> {
    Graph::new(state, reads, None, schema)
}

#[test]
fn stats_follow_observability_rules() {
    let mut state = State::default();
    let mut a = 0;
    let done = commit(&mut state, |tx| {
        a = tx.create_node(labels(&["A"]), props(&[("x", Value::Int(1))])).unwrap();
        tx.create_node(labels(&["A"]), Properties::new()).unwrap();
        let gone = tx.create_node(labels(&["B"]), props(&[("y", Value::Int(2))])).unwrap();
        tx.delete_node(gone, false);
        tx.set_node_property(a, "x", Value::Int(5)).unwrap();
    });
    let expected = Stats { nodes_created: 2, labels_added: 1, properties_set: 1, ..Stats::default() };
    assert_eq!(done, expected, "CREATE then DELETE is invisible; one label; one final triple");

    let s = commit(&mut state, |tx| {
        tx.set_node_property(a, "x", Value::Int(6)).unwrap();
        tx.set_node_property(a, "z", Value::Null).unwrap();
    });
    assert_eq!((s.properties_set, s.properties_removed), (1, 1), "a changed value is -1 +1");
}

#[test]
fn payloads_replay_to_the_same_graph() {
    let mut state = State::default();
    let (mut a, mut b, mut r, mut r2) = (0, 0, 0, 0);
    commit(&mut state, |tx| {
        a = tx.create_node(labels(&["Person"]), props(&[("name", Value::String("Alice".into()))])).unwrap();
        b = tx.create_node(labels(&["Person", "X"]), props(&[("l", Value::List(vec![Value::Float(1.5)]))])).unwrap();
        r = tx.create_rel("KNOWS", a, b, props(&[("since", Value::Int(2020))])).unwrap();
        r2 = tx.create_rel("KNOWS", a, b, Properties::new()).unwrap();
    });
    let (reads, schema) = (Reads::unbounded(), Schema::new());
    let g = view(&state, &reads, &schema);
    assert_eq!(g.node(b).unwrap().labels, labels(&["Person", "X"]));
    assert_eq!(g.rel(r).unwrap().props, props(&[("since", Value::Int(2020))]));
    assert_ne!(r, r2, "parallel relationships are distinct");
    assert_eq!(g.outgoing(a), vec![r, r2]);
    let far: Vec<NodeId> = g.adjacent(b, false, Some("KNOWS")).iter().map(|x| x.other).collect();
    assert_eq!(far, vec![a, a]);
    assert_eq!(g.nodes_with_label("Person"), vec![a, b]);

    let mut c = 0;
    let done = commit(&mut state, |tx| {
        tx.delete_node(a, false);
        assert_eq!(tx.check(), Err(TxError::NodeHasRelationships(a)));
        tx.delete_node(a, true);
        assert_eq!(tx.check(), Ok(()));
        c = tx.create_node(BTreeSet::new(), Properties::new()).unwrap();
    });
    assert!(c > b, "ids are never reused");
    assert_eq!(done.relationships_deleted, 2);
    let g = view(&state, &reads, &schema);
    assert!(g.incoming(b).is_empty());
    assert!(g.node(a).is_none());
    assert_eq!(g.counters(), (3, 2));
}

#[test]
fn unstorable_values_are_rejected() {
    let (state, reads) = (State::default(), Reads::unbounded());
    let mut tx = Tx::new(&state, &reads);
    let map = Value::Map(Properties::new());
    assert!(tx.create_node(BTreeSet::new(), props(&[("m", map)])).is_err());
    assert!(tx.commit().is_none(), "nothing to commit");
}

/// The key-value invariant: after any sequence of transactions, the entries are exactly the
/// nodes, relationships and indexes with their label, adjacency and index entries — nothing
/// stale left behind by changed labels, deleted relationships or dropped indexes.
#[test]
fn derived_entries_follow_every_change() {
    let mut state = State::default();
    commit(&mut state, |tx| {
        tx.set_index("by_x", Some(IndexDef { label: "A".into(), property: "x".into(), unique: false }))
    });
    commit(&mut state, |tx| {
        let a = tx.create_node(labels(&["A", "B"]), props(&[("x", Value::Int(1))])).unwrap();
        let b = tx.create_node(labels(&["B"]), Properties::new()).unwrap();
        tx.create_rel("T", a, b, Properties::new()).unwrap();
        tx.create_rel("T", a, b, Properties::new()).unwrap();
        tx.create_rel("U", b, b, Properties::new()).unwrap();
    });
    let (reads, empty) = (Reads::unbounded(), Schema::new());
    let schema = read_schema(&state, &reads);
    assert_eq!(view(&state, &reads, &schema).index_candidates("by_x", &Value::Float(1.0)), vec![1], "1 = 1.0");
    commit(&mut state, |tx| {
        tx.set_labels(1, &["A".to_string()], false);
        tx.set_labels(1, &["C".to_string()], true);
        tx.set_rel_property(1, "w", Value::Float(0.5)).unwrap();
    });
    let schema = read_schema(&state, &reads);
    assert!(view(&state, &reads, &schema).index_candidates("by_x", &Value::Int(1)).is_empty(), "label A gone");
    commit(&mut state, |tx| tx.delete_rel(2));
    commit(&mut state, |tx| tx.delete_node(2, true));
    commit(&mut state, |tx| {
        let c = tx.create_node(BTreeSet::new(), Properties::new()).unwrap();
        tx.delete_node(c, false);
    });
    commit(&mut state, |tx| tx.set_index("by_x", None));
    let keys: Vec<char> = everything(&view(&state, &reads, &empty)).iter().map(|(k, _)| char::from(k[0])).collect();
    assert_eq!(keys, ['C', 'L', 'L', 'N'], "counters, labels B and C of node 1, node 1");
}

#[test]
fn index_keys_order_numbers_and_strings() {
    let key = |v: Value| kv::index_value(&v).unwrap();
    let numbers = [
        Value::Float(f64::NEG_INFINITY),
        Value::Int(-5),
        Value::Float(-0.5),
        Value::Int(0),
        Value::Float(0.25),
        Value::Int(3),
        Value::Float(1e300),
    ];
    for w in numbers.windows(2) {
        assert!(key(w[0].clone()) < key(w[1].clone()), "{:?} < {:?}", w[0], w[1]);
    }
    assert_eq!(key(Value::Float(-0.0)), key(Value::Int(0)));
    assert!(kv::index_value(&Value::Float(f64::NAN)).is_none() && kv::index_value(&Value::Null).is_none());
    let strings = ["", "\0", "\0a", "a", "a\0", "ab", "b"];
    for w in strings.windows(2) {
        assert!(key(Value::String(w[0].into())) < key(Value::String(w[1].into())), "{:?} < {:?}", w[0], w[1]);
    }
}

#[test]
fn range_seeks_find_a_superset_of_the_range() {
    let mut state = State::default();
    let values = [Value::Int(1), Value::Float(2.5), Value::Int(4), Value::String("b".into()), Value::Bool(true)];
    commit(&mut state, |tx| {
        tx.set_index("i", Some(IndexDef { label: "A".into(), property: "p".into(), unique: false }));
        for v in &values {
            tx.create_node(labels(&["A"]), props(&[("p", v.clone())])).unwrap();
        }
    });
    let reads = Reads::unbounded();
    let schema = read_schema(&state, &reads);
    let g = view(&state, &reads, &schema);
    use std::ops::Bound::*;
    assert_eq!(g.index_range("i", Excluded(&Value::Int(1)), Included(&Value::Float(4.0))), vec![1, 2, 3]);
    assert_eq!(g.index_range("i", Unbounded, Excluded(&Value::Int(3))), vec![1, 2]);
    assert_eq!(g.index_range("i", Included(&Value::String("a".into())), Unbounded), vec![4]);
    assert_eq!(g.index_range("i", Unbounded, Unbounded).len(), 5, "no bound narrows nothing");
}

/// The contract of [`Graph::index_range`] that any implementation keeps: every node of the
/// index whose value lies within the bounds by Cypher's comparison is among the candidates.
#[test]
fn an_index_range_holds_every_value_within_its_bounds() {
    use std::ops::Bound::{self, Excluded, Included, Unbounded};
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
    let mut state = State::default();
    let mut ids: Vec<NodeId> = Vec::new();
    commit(&mut state, |tx| {
        tx.set_index("i", Some(IndexDef { label: "L".into(), property: "p".into(), unique: false }));
        ids = values.iter().map(|v| tx.create_node(labels(&["L"]), props(&[("p", v.clone())])).unwrap()).collect();
        tx.create_node(labels(&["M"]), props(&[("p", Value::Int(2))])).unwrap();
    });
    let reads = Reads::unbounded();
    let schema = read_schema(&state, &reads);
    let graph = view(&state, &reads, &schema);
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

/// Each entity written once commits its live writes as they are: they must be what a replica
/// works out from the payload (`commit` checks), for every kind of single change.
#[test]
fn entities_written_once_commit_what_replicas_work_out() {
    let mut state = State::default();
    commit(&mut state, |tx| {
        tx.set_index("by_x", Some(IndexDef { label: "A".into(), property: "x".into(), unique: false }))
    });
    commit(&mut state, |tx| {
        let a = tx.create_node(labels(&["A"]), props(&[("x", Value::Int(1))])).unwrap();
        let b = tx.create_node(labels(&["A", "B"]), props(&[("x", Value::Int(2))])).unwrap();
        tx.create_rel("T", a, b, props(&[("w", Value::Int(3))])).unwrap();
    });
    commit(&mut state, |tx| tx.set_node_property(1, "x", Value::Int(5)).unwrap());
    commit(&mut state, |tx| tx.set_labels(2, &["A".to_string()], false));
    commit(&mut state, |tx| tx.set_rel_property(1, "w", Value::Null).unwrap());
    commit(&mut state, |tx| {
        tx.set_labels(2, &["A".to_string()], true);
        tx.delete_rel(1);
        tx.create_node(labels(&["A"]), props(&[("x", Value::Int(5))])).unwrap();
    });
    let reads = Reads::unbounded();
    let schema = read_schema(&state, &reads);
    assert_eq!(view(&state, &reads, &schema).index_candidates("by_x", &Value::Int(5)), vec![1, 3]);
    commit(&mut state, |tx| tx.delete_node(1, true));
    let schema = read_schema(&state, &reads);
    assert_eq!(view(&state, &reads, &schema).index_candidates("by_x", &Value::Int(5)), vec![3]);
}

/// Created entities' entries wait in the transaction's log until something reads: every read
/// sees all of them (moved in at once, or one by one into many writes), and what commits is
/// what replicas work out (`commit` checks).
#[test]
fn created_entities_are_read_at_once_and_commit_what_replicas_work_out() {
    let mut state = State::default();
    commit(&mut state, |tx| {
        tx.set_index("by_x", Some(IndexDef { label: "A".into(), property: "x".into(), unique: false }))
    });
    commit(&mut state, |tx| {
        let mut ids = Vec::new();
        for i in 0..100 {
            let a = tx.create_node(labels(&["A"]), props(&[("x", Value::Int(i % 7))])).unwrap();
            if let Some(&prev) = ids.last() {
                tx.create_rel("T", prev, a, Properties::new()).unwrap();
            }
            ids.push(a);
            if i % 10 == 9 {
                let g = tx.graph();
                assert_eq!(g.nodes_with_label("A"), ids);
                let threes: Vec<NodeId> = ids.iter().copied().skip(3).step_by(7).collect();
                assert_eq!(g.index_candidates("by_x", &Value::Int(3)), threes);
                assert_eq!((g.outgoing(ids[0]).len(), g.incoming(a).len(), g.outgoing(a).len()), (1, 1, 0));
            }
        }
        tx.set_node_property(ids[5], "x", Value::Int(100)).unwrap();
        let last = tx.create_node(labels(&["A"]), props(&[("x", Value::Int(100))])).unwrap();
        tx.create_rel("T", last, ids[0], Properties::new()).unwrap();
        let g = tx.graph();
        assert_eq!(g.index_candidates("by_x", &Value::Int(100)), vec![ids[5], last]);
        assert_eq!(g.incoming(ids[0]).len(), 1);
    });
}

#[test]
fn a_stored_node_answers_labels_and_single_properties_as_decoded() {
    let date = Date::from_days(19_000).unwrap();
    let time = LocalTime::from_nanos(3_600_000_000_123).unwrap();
    let offset = Offset::from_seconds(3600).unwrap();
    let local = LocalDateTime { date, time };
    let every_kind = props(&[
        ("a_bool", Value::Bool(true)),
        ("b_int", Value::Int(-42)),
        ("c_float", Value::Float(2.5)),
        ("d_string", Value::String("héllo".into())),
        ("e_list", Value::List(vec![Value::String("x".into()), Value::Int(7)])),
        ("f_date", Value::Date(date)),
        ("g_localtime", Value::LocalTime(time)),
        ("h_time", Value::Time(Time { time, offset })),
        ("i_localdatetime", Value::LocalDateTime(local)),
        ("j_datetime", Value::DateTime(DateTime { local, offset, zone: zones::ZoneId::find("Europe/Oslo") })),
        ("k_duration", Value::Duration(duration::Duration::from_parts(1, 2, 3_000_000_007).unwrap())),
        ("l_last", Value::Bool(false)),
    ]);
    let node = NodeData { labels: labels(&["Person", "X"]), props: every_kind.clone() };
    let bytes = kv::node_value(&node);
    let stored = NodeView::Stored(&bytes);
    for (key, value) in &every_kind {
        assert_eq!(stored.property(key).unwrap().as_ref(), Some(value), "{key}");
        assert_eq!(NodeView::Data(&node).property(key).unwrap().as_ref(), Some(value), "{key}");
    }
    assert_eq!(stored.property("absent").unwrap(), None);
    assert_eq!(stored.property("a_boo").unwrap(), None, "a prefix of a key is another key");
    assert!(stored.has_labels(["Person", "X"].into_iter()).unwrap());
    assert!(!stored.has_labels(["Person", "Y"].into_iter()).unwrap());
    assert!(!stored.has_label("Perso").unwrap());
    let wanted = props(&[("b_int", Value::Float(-42.0)), ("d_string", Value::String("héllo".into()))]);
    assert!(
        stored.has_properties(wanted.iter().map(|(k, v)| (k.as_str(), v))).unwrap(),
        "`=` compares numbers across types"
    );
    let absent = props(&[("absent", Value::Int(1))]);
    assert!(!stored.has_properties(absent.iter().map(|(k, v)| (k.as_str(), v))).unwrap());
    // Truncated bytes are an error, not a wrong answer.
    assert!(NodeView::Stored(&bytes[..bytes.len() - 1]).property("l_last").is_err());
}

#[test]
fn reading_a_node_in_place_sees_the_transactions_writes() {
    let mut state = State::default();
    let mut a = 0;
    commit(&mut state, |tx| a = tx.create_node(labels(&["P"]), props(&[("v", Value::Int(1))])).unwrap());
    let reads = Reads::unbounded();
    let mut tx = Tx::new(&state, &reads);
    assert_eq!(tx.graph().node_property(a, "v"), Some(Value::Int(1)));
    tx.set_node_property(a, "v", Value::Int(2)).unwrap();
    assert_eq!(tx.graph().node_property(a, "v"), Some(Value::Int(2)));
    assert_eq!(tx.graph().node_property(a, "w"), Some(Value::Null));
    tx.delete_node(a, true);
    assert_eq!(tx.graph().node_property(a, "v"), None, "a deleted node has no properties");
    assert_eq!(view(&state, &reads, &Schema::new()).node_property(a, "v"), Some(Value::Int(1)));
}

#[test]
fn adjacency_read_ahead_in_node_order_finds_each_nodes_own_lists() {
    // 200 nodes over four windows; relationships of types that sort before "KNOWS" (shorter,
    // or as long and less), after it (longer), and "KNOWS" itself, both ways, from nodes at
    // and around the windows' edges.
    let types = ["AB", "AAAAA", "KNOWS", "KNOWSS", "ZZZZZZZ"];
    let mut state = State::default();
    let mut ids = Vec::new();
    commit(&mut state, |tx| {
        ids = (0..200).map(|_| tx.create_node(labels(&["N"]), Properties::new()).unwrap()).collect();
        for (i, &a) in ids.iter().enumerate() {
            for (j, t) in types.iter().enumerate() {
                for k in 0..(i * 7 + j) % 4 {
                    tx.create_rel(t, a, ids[(i * 13 + j + k) % ids.len()], Properties::new()).unwrap();
                }
            }
        }
    });
    let (reads, schema) = (Reads::unbounded(), Schema::new());
    let alone = view(&state, &reads, &schema);
    let mut tx = Tx::new(&state, &reads);
    for t in types {
        for outgoing in [true, false] {
            // In node order (every node, then every third), and out of order (from the end).
            let orders: [Vec<NodeId>; 3] =
                [ids.clone(), ids.iter().copied().step_by(3).collect(), ids.iter().rev().copied().collect()];
            for order in orders {
                for &n in &order {
                    assert_eq!(&*tx.graph().adjacent(n, outgoing, Some(t)), &*alone.adjacent(n, outgoing, Some(t)));
                }
            }
        }
    }
    assert!(tx.graph().decoded.is_some_and(|d| d.window.borrow().is_some()), "reads in node order read ahead");
    // A relationship the transaction creates inside a window it has read is seen there.
    let (a, b) = (ids[70], ids[3]);
    let before: Vec<Adjacent> = tx.graph().adjacent(a, true, Some("KNOWS")).to_vec();
    let r = tx.create_rel("KNOWS", a, b, Properties::new()).unwrap();
    for &n in &ids[60..80] {
        let list = tx.graph().adjacent(n, true, Some("KNOWS"));
        if n == a {
            assert_eq!(list.to_vec(), [before.clone(), vec![Adjacent { rel: r, other: b }]].concat());
        } else {
            assert_eq!(&*list, &*alone.adjacent(n, true, Some("KNOWS")));
        }
    }
}

#[test]
fn nodes_read_ahead_in_id_order_are_the_nodes_read_alone() {
    // Nodes over several windows, some deleted, some too large for a window to copy, and
    // nodes the reading transaction changes or deletes.
    let mut state = State::default();
    let mut ids = Vec::new();
    commit(&mut state, |tx| {
        for i in 0..300i64 {
            let text = if (130..140).contains(&i) { "x".repeat(20_000) } else { format!("n{i}") };
            let p = props(&[("i", Value::Int(i)), ("text", Value::String(text))]);
            ids.push(tx.create_node(labels(&["N"]), p).unwrap());
        }
    });
    commit(&mut state, |tx| {
        for &n in ids.iter().step_by(7) {
            tx.delete_node(n, true);
        }
    });
    let (reads, schema) = (Reads::unbounded(), Schema::new());
    let alone = view(&state, &reads, &schema);
    let mut tx = Tx::new(&state, &reads);
    let (changed, deleted) = (ids[65], ids[66]);
    tx.set_node_property(changed, "i", Value::Int(-1)).unwrap();
    tx.delete_node(deleted, true);
    let expected = |n: NodeId| match n {
        _ if n == deleted => None,
        _ if n == changed => Some(Value::Int(-1)),
        _ => alone.node_property(n, "i"),
    };
    let orders: [Vec<NodeId>; 3] =
        [ids.clone(), ids.iter().copied().step_by(3).collect(), ids.iter().rev().copied().collect()];
    for order in orders {
        for &n in &order {
            let g = tx.graph();
            assert_eq!(g.node_property(n, "i"), expected(n), "node {n}");
            assert_eq!(g.with_node(n, |v| v.has_label("N")), expected(n).map(|_| true));
        }
    }
    let kept = tx.graph().decoded.and_then(|d| d.node_window.borrow().as_ref().map(|w| w.block.is_some()));
    assert_eq!(kept, Some(true), "nodes read in id order are read ahead");
    // Past the last node, and ids near the end of the id space.
    for n in [ids[299] + 1, ids[299] + 2, u64::MAX - 1, u64::MAX] {
        assert_eq!(tx.graph().node_property(n, "i"), None);
    }
}
