//! Behaviour every [`ObjectStore`] must show; run against each implementation.
#![allow(clippy::unwrap_used)]
use super::{ObjectStore, PutMode};

pub async fn check(s: &impl ObjectStore) {
    assert_eq!(s.get("ns/a").await.unwrap(), None);
    assert_eq!(s.head("ns/a").await.unwrap(), None);

    let first = s.put("ns/a", b"0123456789".to_vec(), PutMode::Create).await.unwrap().unwrap();
    assert_eq!(first.size, 10);
    assert_eq!(s.put("ns/a", b"other".to_vec(), PutMode::Create).await.unwrap(), None, "create twice");
    assert_eq!(s.get("ns/a").await.unwrap().unwrap(), b"0123456789");
    assert_eq!(s.get_range("ns/a", 2, 3).await.unwrap().unwrap(), b"234");
    assert_eq!(s.get_range("ns/a", 8, 10).await.unwrap().unwrap(), b"89", "clipped at the end");
    assert_eq!(s.head("ns/a").await.unwrap().unwrap().etag, first.etag);

    assert_eq!(s.put("ns/a", b"x".to_vec(), PutMode::IfMatch("stale".into())).await.unwrap(), None);
    assert_eq!(s.put("ns/missing", b"x".to_vec(), PutMode::IfMatch(first.etag.clone())).await.unwrap(), None);
    let second = s.put("ns/a", b"new".to_vec(), PutMode::IfMatch(first.etag.clone())).await.unwrap().unwrap();
    assert_ne!(second.etag, first.etag);
    assert_eq!(s.put("ns/a", b"y".to_vec(), PutMode::IfMatch(first.etag)).await.unwrap(), None, "ABA on etag");

    s.put("ns/b/c", b"1".to_vec(), PutMode::Overwrite).await.unwrap().unwrap();
    s.put("other/d", b"1".to_vec(), PutMode::Overwrite).await.unwrap().unwrap();
    let keys: Vec<_> = s.list("ns/").await.unwrap().into_iter().map(|m| m.key).collect();
    assert_eq!(keys, ["ns/a", "ns/b/c"]);

    s.delete("ns/a").await.unwrap();
    s.delete("ns/a").await.unwrap();
    assert_eq!(s.get("ns/a").await.unwrap(), None);
    assert!(s.put("ns/a", b"again".to_vec(), PutMode::Create).await.unwrap().is_some());
}
