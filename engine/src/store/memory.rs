//! An in-memory [`ObjectStore`]: the reference implementation, and the store of native tests.
use super::{clip_range, content_etag, ObjectMeta, ObjectStore, PutMode, StoreResult};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Thread-safe so OS-thread race tests can share one; the lock is never held across an await.
#[derive(Default, Debug)]
pub struct MemoryStore {
    objects: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut BTreeMap<String, Vec<u8>>) -> T) -> T {
        // A poisoned lock only means another test thread panicked; the map itself is intact.
        let mut guard = self.objects.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }
}

fn meta(key: &str, data: &[u8]) -> ObjectMeta {
    ObjectMeta { key: key.to_string(), size: data.len() as u64, etag: content_etag(data) }
}

impl ObjectStore for MemoryStore {
    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.with(|m| m.get(key).cloned()))
    }

    async fn get_range(&self, key: &str, offset: u64, len: u64) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.with(|m| m.get(key).map(|d| clip_range(d, offset, len))))
    }

    async fn head(&self, key: &str) -> StoreResult<Option<ObjectMeta>> {
        Ok(self.with(|m| m.get(key).map(|d| meta(key, d))))
    }

    async fn put(&self, key: &str, body: Vec<u8>, mode: PutMode) -> StoreResult<Option<ObjectMeta>> {
        Ok(self.with(|m| {
            let allowed = match (&mode, m.get(key)) {
                (PutMode::Overwrite, _) => true,
                (PutMode::Create, existing) => existing.is_none(),
                (PutMode::IfMatch(etag), Some(existing)) => content_etag(existing) == *etag,
                (PutMode::IfMatch(_), None) => false,
            };
            allowed.then(|| {
                let written = meta(key, &body);
                m.insert(key.to_string(), body);
                written
            })
        }))
    }

    async fn list(&self, prefix: &str) -> StoreResult<Vec<ObjectMeta>> {
        Ok(self.with(|m| {
            m.range(prefix.to_string()..).take_while(|(k, _)| k.starts_with(prefix)).map(|(k, d)| meta(k, d)).collect()
        }))
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        self.with(|m| m.remove(key));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn conforms() {
        futures::executor::block_on(super::super::conformance::check(&super::MemoryStore::new()));
    }
}
