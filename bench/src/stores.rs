//! What the benchmark runs the engine with: a host on the system clock, and a store that adds a
//! fixed latency to every call. Unlike `Faulty::latency_ms` (which blocks the thread, so calls
//! the engine issues together still wait one after another), the delay here is a timer future:
//! operations issued together overlap, as they do on a real network.
use engine::api::Host;
use engine::storage::Clock;
use engine::store::{ObjectMeta, ObjectStore, PutMode, StoreResult};
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The system clock, a seeded generator, and a blocking sleep.
pub struct SysHost(Cell<u64>);

impl SysHost {
    pub fn new() -> Self {
        SysHost(Cell::new(0x5EED))
    }
}

impl Clock for SysHost {
    fn now_ms(&self) -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
    }
}

impl Host for SysHost {
    fn random(&self) -> u64 {
        let mut z = self.0.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        self.0.set(z);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    async fn sleep(&self, ms: u64) {
        std::thread::sleep(Duration::from_millis(ms));
    }
}

/// Whether the delay is over, and the task to wake when it is.
type Shared = Arc<Mutex<(bool, Option<Waker>)>>;

/// Completes `ms` after its first poll; a thread per delay wakes the task.
struct Delay {
    ms: u64,
    state: Option<Shared>,
}

impl Future for Delay {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let ms = self.ms;
        let state = self.state.get_or_insert_with(|| {
            let state: Shared = Arc::new(Mutex::new((false, None)));
            let timer = state.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(ms));
                let mut s = timer.lock().unwrap_or_else(|p| p.into_inner());
                s.0 = true;
                if let Some(w) = s.1.take() {
                    w.wake();
                }
            });
            state
        });
        let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
        if s.0 {
            return Poll::Ready(());
        }
        s.1 = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Adds `ms` of latency before every operation of `S`.
pub struct Latency<S> {
    pub inner: S,
    pub ms: u64,
}

impl<S> Latency<S> {
    fn delay(&self) -> Delay {
        Delay { ms: self.ms, state: None }
    }
}

impl<S: ObjectStore> ObjectStore for Latency<S> {
    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.delay().await;
        self.inner.get(key).await
    }
    async fn get_range(&self, key: &str, offset: u64, len: u64) -> StoreResult<Option<Vec<u8>>> {
        self.delay().await;
        self.inner.get_range(key, offset, len).await
    }
    async fn head(&self, key: &str) -> StoreResult<Option<ObjectMeta>> {
        self.delay().await;
        self.inner.head(key).await
    }
    async fn put(&self, key: &str, body: Vec<u8>, mode: PutMode) -> StoreResult<Option<ObjectMeta>> {
        self.delay().await;
        self.inner.put(key, body, mode).await
    }
    async fn list(&self, prefix: &str) -> StoreResult<Vec<ObjectMeta>> {
        self.delay().await;
        self.inner.list(prefix).await
    }
    async fn delete(&self, key: &str) -> StoreResult<()> {
        self.delay().await;
        self.inner.delete(key).await
    }
}
