//! A wrapper that counts what a request costs: operations by kind, bytes, and the longest chain
//! of sequential round trips (operations started together, as with `join!`, count once).
use super::{ObjectMeta, ObjectStore, PutMode, StoreResult};
use std::cell::Cell;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub gets: u64,
    pub heads: u64,
    pub puts: u64,
    pub lists: u64,
    pub deletes: u64,
    pub bytes_read: u64,
    pub bytes_written: u64,
    /// The longest chain of operations each started after the previous one finished.
    pub round_trips: u64,
}

pub struct Counting<S> {
    inner: S,
    counts: Cell<Counts>,
    /// Depth of the deepest operation finished so far; a new one starts one deeper.
    finished_depth: Cell<u64>,
}

impl<S> Counting<S> {
    pub fn new(inner: S) -> Self {
        Counting { inner, counts: Cell::new(Counts::default()), finished_depth: Cell::new(0) }
    }

    pub fn counts(&self) -> Counts {
        self.counts.get()
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }

    async fn op<T>(&self, f: impl std::future::Future<Output = T>, count: impl Fn(&mut Counts, &T)) -> T {
        let depth = self.finished_depth.get() + 1;
        let result = f.await;
        self.finished_depth.set(self.finished_depth.get().max(depth));
        let mut c = self.counts.get();
        count(&mut c, &result);
        c.round_trips = c.round_trips.max(depth);
        self.counts.set(c);
        result
    }
}

fn len(r: &StoreResult<Option<Vec<u8>>>) -> u64 {
    r.as_ref().ok().and_then(|o| o.as_ref()).map_or(0, |d| d.len() as u64)
}

impl<S: ObjectStore> ObjectStore for Counting<S> {
    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.op(self.inner.get(key), |c, r| {
            c.gets += 1;
            c.bytes_read += len(r);
        })
        .await
    }

    async fn get_range(&self, key: &str, offset: u64, length: u64) -> StoreResult<Option<Vec<u8>>> {
        self.op(self.inner.get_range(key, offset, length), |c, r| {
            c.gets += 1;
            c.bytes_read += len(r);
        })
        .await
    }

    async fn head(&self, key: &str) -> StoreResult<Option<ObjectMeta>> {
        self.op(self.inner.head(key), |c, _| c.heads += 1).await
    }

    async fn put(&self, key: &str, body: Vec<u8>, mode: PutMode) -> StoreResult<Option<ObjectMeta>> {
        let size = body.len() as u64;
        self.op(self.inner.put(key, body, mode), |c, _| {
            c.puts += 1;
            c.bytes_written += size;
        })
        .await
    }

    async fn list(&self, prefix: &str) -> StoreResult<Vec<ObjectMeta>> {
        self.op(self.inner.list(prefix), |c, _| c.lists += 1).await
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        self.op(self.inner.delete(key), |c, _| c.deletes += 1).await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;
    use futures::executor::block_on;

    #[test]
    fn counts_operations_bytes_and_sequential_depth() {
        let s = Counting::new(crate::store::Yielding(MemoryStore::new()));
        block_on(async {
            s.put("a", vec![1, 2, 3], PutMode::Create).await.unwrap();
            let (x, y) = futures::join!(s.get("a"), s.get("missing"));
            assert_eq!(x.unwrap().unwrap().len(), 3);
            assert!(y.unwrap().is_none());
        });
        let c = s.counts();
        assert_eq!((c.gets, c.puts, c.bytes_read, c.bytes_written), (2, 1, 3, 3));
        assert_eq!(c.round_trips, 2, "the two joined GETs are one round trip after the PUT");
    }
}
