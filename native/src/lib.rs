//! NamiDB natively: the same engine and bucket format as the Worker, opened by URI from a
//! laptop, a server or a notebook (`uri` has the forms), with a host that supplies the
//! system clock and entropy. The `namidb` CLI and the Python extension are thin layers over
//! [`Session`].
pub mod s3;
pub mod sigv4;
pub mod uri;

use engine::api::{self, Host, Response};
use engine::error::{Code, Error};
use engine::graph::GraphModel;
use engine::procedures::Procedures;
use engine::storage::{Clock, Database};
use engine::store::{DirStore, MemoryStore, ObjectMeta, ObjectStore, PutMode, StoreResult};
use futures::executor::block_on;
use s3::S3Store;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::{SystemTime, UNIX_EPOCH};
use uri::Location;

/// The stores a URI can name.
#[derive(Clone)]
pub enum AnyStore {
    S3(S3Store),
    Dir(DirStore),
    Memory(Rc<MemoryStore>),
}

macro_rules! dispatch {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            AnyStore::S3($s) => $call,
            AnyStore::Dir($s) => $call,
            AnyStore::Memory($s) => $call,
        }
    };
}

impl ObjectStore for AnyStore {
    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        dispatch!(self, s => s.get(key).await)
    }
    async fn get_range(&self, key: &str, offset: u64, len: u64) -> StoreResult<Option<Vec<u8>>> {
        dispatch!(self, s => s.get_range(key, offset, len).await)
    }
    async fn head(&self, key: &str) -> StoreResult<Option<ObjectMeta>> {
        dispatch!(self, s => s.head(key).await)
    }
    async fn put(&self, key: &str, body: Vec<u8>, mode: PutMode) -> StoreResult<Option<ObjectMeta>> {
        dispatch!(self, s => s.put(key, body, mode).await)
    }
    async fn list(&self, prefix: &str) -> StoreResult<Vec<ObjectMeta>> {
        dispatch!(self, s => s.list(prefix).await)
    }
    async fn delete(&self, key: &str) -> StoreResult<()> {
        dispatch!(self, s => s.delete(key).await)
    }
}

thread_local! {
    /// `memory://NAME` stores of this thread, so reopening a name finds its data.
    static MEMORY: RefCell<HashMap<String, Rc<MemoryStore>>> = RefCell::new(HashMap::new());
}

/// The native host: the system clock and the operating system's entropy.
pub struct SystemHost;

impl Clock for SystemHost {
    fn now_ms(&self) -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
    }
}

impl Host for SystemHost {
    fn random(&self) -> u64 {
        let mut bytes = [0u8; 8];
        // Without entropy, fall back to the clock: only retry jitter and rand() use this.
        if getrandom::fill(&mut bytes).is_err() {
            return self.now_ms().wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
        u64::from_le_bytes(bytes)
    }
    async fn sleep(&self, ms: u64) {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

/// One open namespace.
pub struct Session {
    db: Database<AnyStore, GraphModel>,
    procedures: Procedures,
}

/// What `namidb info` shows.
#[derive(Debug, Default)]
pub struct Info {
    pub namespace: String,
    pub version: u64,
    pub epoch: u64,
    /// Level-0 and level-1 tables of the checkpoint the version builds on.
    pub tables: (usize, usize),
    /// Objects by kind (`wal`, `manifest`, `sst`, `head`, other), with their bytes.
    pub objects: Vec<(String, u64, u64)>,
}

impl Session {
    /// Opens the namespace a URI names (creating nothing until the first write).
    pub fn open(uri_text: &str) -> Result<Session, Error> {
        let target = uri::parse(uri_text, &|k| std::env::var(k).ok())
            .map_err(|e| Error::new(Code::InvalidRequest, format!("bad store URI: {e}")))?;
        let unavailable = |e: engine::store::StoreError| Error::new(Code::Unavailable, e.to_string());
        let store = match target.location {
            Location::S3(config) => AnyStore::S3(S3Store::new(config).map_err(unavailable)?),
            Location::File(dir) => AnyStore::Dir(DirStore::new(dir).map_err(unavailable)?),
            Location::Memory => AnyStore::Memory(MEMORY.with(|m| {
                m.borrow_mut().entry(target.namespace.clone()).or_insert_with(|| Rc::new(MemoryStore::new())).clone()
            })),
        };
        let db = block_on(Database::open(store, &target.namespace, &SystemHost))
            .map_err(|e| Error::new(Code::Unavailable, e.to_string()))?;
        Ok(Session { db, procedures: Procedures::new() })
    }

    /// Runs one request body (`{"query": …, "params": {…}}`) as one transaction and returns
    /// the contract's response body; writes are followed by a checkpoint when one is due.
    pub fn request(&self, body: &[u8]) -> Result<String, Error> {
        let request = api::parse_request(body)?;
        let response: Response = block_on(api::execute(&self.db, &request, &SystemHost, &self.procedures))?;
        // A failed checkpoint loses nothing; the next write tries again.
        let _ = block_on(self.db.maybe_checkpoint(&SystemHost));
        Ok(response.body(None))
    }

    pub fn info(&self) -> Result<Info, Error> {
        let version =
            block_on(self.db.refresh(&SystemHost)).map_err(|e| Error::new(Code::Unavailable, e.to_string()))?;
        let prefix = self.db.layout().prefix().to_string();
        let objects =
            block_on(self.db.store().list(&prefix)).map_err(|e| Error::new(Code::Unavailable, e.to_string()))?;
        let mut kinds: Vec<(String, u64, u64)> = Vec::new();
        for o in objects {
            let rest = o.key.strip_prefix(&prefix).unwrap_or(&o.key);
            let kind = rest.split('/').next().unwrap_or(rest).to_string();
            match kinds.iter_mut().find(|(k, _, _)| *k == kind) {
                Some(entry) => {
                    entry.1 += 1;
                    entry.2 += o.size;
                }
                None => kinds.push((kind, 1, o.size)),
            }
        }
        kinds.sort();
        Ok(Info {
            namespace: prefix.trim_end_matches('/').to_string(),
            version: version.seq,
            epoch: version.epoch,
            tables: version.table_counts(),
            objects: kinds,
        })
    }
}
