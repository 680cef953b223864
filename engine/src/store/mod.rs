//! The one object-store interface the engine does all its I/O through.
//!
//! Invariants every implementation keeps:
//! - `put` with [`PutMode::Create`] succeeds for exactly one caller per key (create-if-absent);
//!   with [`PutMode::IfMatch`] only while the object's etag is still the given one. A failed
//!   condition is `Ok(None)`, never an error.
//! - Reads are strongly consistent: a `get` after an acknowledged `put` sees it.
//! - An `Err` is a transport failure and is ambiguous for writes: the object may have landed.
//!
//! Futures are `!Send` on purpose: the Worker runtime is single-threaded.
mod counting;
mod faulty;
mod memory;
mod yielding;
pub use counting::{Counting, Counts};
pub use faulty::{Faults, Faulty};
pub use memory::MemoryStore;
pub use yielding::{yield_now, Yielding};
#[cfg(not(target_arch = "wasm32"))]
mod dir;
#[cfg(not(target_arch = "wasm32"))]
pub use dir::DirStore;

use std::fmt;

/// What a store knows about one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectMeta {
    pub key: String,
    pub size: u64,
    /// Opaque, unquoted.
    pub etag: String,
}

/// Condition on a write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PutMode {
    /// Unconditional write (only for advisory objects).
    Overwrite,
    /// Create-if-absent.
    Create,
    /// Compare-and-swap on the etag.
    IfMatch(String),
}

/// A transport or backend failure. For writes the outcome is unknown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "object store: {}", self.0)
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[allow(async_fn_in_trait)]
pub trait ObjectStore {
    /// The whole object, or `None` if absent.
    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>>;
    /// Bytes `[offset, offset + len)` clipped to the object's end, or `None` if absent.
    async fn get_range(&self, key: &str, offset: u64, len: u64) -> StoreResult<Option<Vec<u8>>>;
    async fn head(&self, key: &str) -> StoreResult<Option<ObjectMeta>>;
    /// `Ok(None)` when the condition failed and nothing was written.
    async fn put(&self, key: &str, body: Vec<u8>, mode: PutMode) -> StoreResult<Option<ObjectMeta>>;
    /// Every object whose key starts with `prefix`, in key order.
    async fn list(&self, prefix: &str) -> StoreResult<Vec<ObjectMeta>>;
    /// Deleting a missing key succeeds.
    async fn delete(&self, key: &str) -> StoreResult<()>;
}

/// Shared handles to a store are stores too.
macro_rules! forward_through_pointer {
    ($($pointer:ty),*) => {$(
        impl<S: ObjectStore> ObjectStore for $pointer {
            async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
                (**self).get(key).await
            }
            async fn get_range(&self, key: &str, offset: u64, len: u64) -> StoreResult<Option<Vec<u8>>> {
                (**self).get_range(key, offset, len).await
            }
            async fn head(&self, key: &str) -> StoreResult<Option<ObjectMeta>> {
                (**self).head(key).await
            }
            async fn put(&self, key: &str, body: Vec<u8>, mode: PutMode) -> StoreResult<Option<ObjectMeta>> {
                (**self).put(key, body, mode).await
            }
            async fn list(&self, prefix: &str) -> StoreResult<Vec<ObjectMeta>> {
                (**self).list(prefix).await
            }
            async fn delete(&self, key: &str) -> StoreResult<()> {
                (**self).delete(key).await
            }
        }
    )*};
}
forward_through_pointer!(std::rc::Rc<S>, std::sync::Arc<S>);

/// Clips `[offset, offset+len)` to `data`; shared by the native stores.
pub(crate) fn clip_range(data: &[u8], offset: u64, len: u64) -> Vec<u8> {
    let start = usize::try_from(offset).unwrap_or(usize::MAX).min(data.len());
    let end = usize::try_from(offset.saturating_add(len)).unwrap_or(usize::MAX).min(data.len());
    data[start..end].to_vec()
}

/// A content etag (FNV-1a 64 of the bytes plus the length), like R2's content-derived etags.
pub(crate) fn content_etag(data: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}-{}", data.len())
}

/// The contract's test suite, for every store's tests (other crates enable the
/// `conformance` feature in their dev-dependencies).
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
