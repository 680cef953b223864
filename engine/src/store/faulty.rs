//! A fault-injecting wrapper for tests and benchmarks: fail the Nth operation, fail with a seeded
//! probability, make failing PUTs ambiguous (the object lands, then the call errors), and add
//! latency to every call (natively: it blocks the calling thread, like a slow network would).
use super::{ObjectMeta, ObjectStore, PutMode, StoreError, StoreResult};
use std::cell::Cell;

#[derive(Clone, Copy, Debug, Default)]
pub struct Faults {
    /// Fail the operation with this index (0-based, counting every operation).
    pub fail_op: Option<u64>,
    /// Also fail each operation with this probability, in parts per million.
    pub fail_ppm: u32,
    /// Seed of the probability draws.
    pub seed: u64,
    /// A failing PUT first lands, then errors, like a lost response.
    pub ambiguous_puts: bool,
    /// Added to every operation (native builds only; ignored on wasm32, which cannot block).
    pub latency_ms: u64,
}

pub struct Faulty<S> {
    inner: S,
    faults: Cell<Faults>,
    ops: Cell<u64>,
    rng: Cell<u64>,
    failures: Cell<u64>,
}

impl<S> Faulty<S> {
    pub fn new(inner: S, faults: Faults) -> Self {
        Faulty {
            inner,
            rng: Cell::new(faults.seed),
            faults: Cell::new(faults),
            ops: Cell::new(0),
            failures: Cell::new(0),
        }
    }

    /// Operations seen so far.
    pub fn ops(&self) -> u64 {
        self.ops.get()
    }

    /// Operations failed so far.
    pub fn failures(&self) -> u64 {
        self.failures.get()
    }

    /// Stops injecting faults (the store heals).
    pub fn heal(&self) {
        self.faults.set(Faults::default());
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Waits the configured latency, then decides whether the operation fails.
    fn next_fails(&self) -> bool {
        #[cfg(not(target_arch = "wasm32"))]
        if self.faults.get().latency_ms > 0 {
            std::thread::sleep(std::time::Duration::from_millis(self.faults.get().latency_ms));
        }
        let n = self.ops.get();
        self.ops.set(n + 1);
        let f = self.faults.get();
        // splitmix64 step.
        let mut z = self.rng.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        self.rng.set(z);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        let draw = (z ^ (z >> 31)) % 1_000_000;
        let fails = f.fail_op == Some(n) || draw < u64::from(f.fail_ppm);
        if fails {
            self.failures.set(self.failures.get() + 1);
        }
        fails
    }
}

fn injected(what: &str, key: &str) -> StoreError {
    StoreError(format!("injected failure: {what} {key}"))
}

impl<S: ObjectStore> ObjectStore for Faulty<S> {
    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        if self.next_fails() {
            return Err(injected("get", key));
        }
        self.inner.get(key).await
    }

    async fn get_range(&self, key: &str, offset: u64, len: u64) -> StoreResult<Option<Vec<u8>>> {
        if self.next_fails() {
            return Err(injected("get_range", key));
        }
        self.inner.get_range(key, offset, len).await
    }

    async fn head(&self, key: &str) -> StoreResult<Option<ObjectMeta>> {
        if self.next_fails() {
            return Err(injected("head", key));
        }
        self.inner.head(key).await
    }

    async fn put(&self, key: &str, body: Vec<u8>, mode: PutMode) -> StoreResult<Option<ObjectMeta>> {
        if self.next_fails() {
            if self.faults.get().ambiguous_puts {
                self.inner.put(key, body, mode).await?;
            }
            return Err(injected("put", key));
        }
        self.inner.put(key, body, mode).await
    }

    async fn list(&self, prefix: &str) -> StoreResult<Vec<ObjectMeta>> {
        if self.next_fails() {
            return Err(injected("list", prefix));
        }
        self.inner.list(prefix).await
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        if self.next_fails() {
            return Err(injected("delete", key));
        }
        self.inner.delete(key).await
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;
    use futures::executor::block_on;

    #[test]
    fn injects_latency_failures_and_ambiguous_puts() {
        let s = Faulty::new(MemoryStore::new(), Faults { latency_ms: 20, ..Faults::default() });
        let started = std::time::Instant::now();
        block_on(s.get("k")).unwrap();
        assert!(started.elapsed() >= std::time::Duration::from_millis(20));

        let s = Faulty::new(MemoryStore::new(), Faults { fail_op: Some(1), ambiguous_puts: true, ..Faults::default() });
        assert!(block_on(s.put("a", vec![1], PutMode::Create)).unwrap().is_some());
        assert!(block_on(s.put("b", vec![2], PutMode::Create)).is_err(), "operation 1 fails");
        assert_eq!(block_on(s.inner().get("b")).unwrap(), Some(vec![2]), "but it landed");
        assert_eq!((s.ops(), s.failures()), (2, 1));
    }
}
