//! A store that yields to the executor before every operation, so futures joined on one thread
//! interleave at every I/O point, as concurrent requests of one isolate do on a real store.
//! For tests and benchmarks.
use super::{ObjectMeta, ObjectStore, PutMode, StoreResult};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pub struct Yielding<S>(pub S);

/// Returns `Pending` once (waking itself), then `Ready`.
struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Lets every other ready future run once before going on.
pub fn yield_now() -> impl Future<Output = ()> {
    YieldNow(false)
}

impl<S: ObjectStore> ObjectStore for Yielding<S> {
    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        yield_now().await;
        self.0.get(key).await
    }
    async fn get_range(&self, key: &str, offset: u64, len: u64) -> StoreResult<Option<Vec<u8>>> {
        yield_now().await;
        self.0.get_range(key, offset, len).await
    }
    async fn head(&self, key: &str) -> StoreResult<Option<ObjectMeta>> {
        yield_now().await;
        self.0.head(key).await
    }
    async fn put(&self, key: &str, body: Vec<u8>, mode: PutMode) -> StoreResult<Option<ObjectMeta>> {
        yield_now().await;
        self.0.put(key, body, mode).await
    }
    async fn list(&self, prefix: &str) -> StoreResult<Vec<ObjectMeta>> {
        yield_now().await;
        self.0.list(prefix).await
    }
    async fn delete(&self, key: &str) -> StoreResult<()> {
        yield_now().await;
        self.0.delete(key).await
    }
}
