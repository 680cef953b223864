//! A local-directory [`ObjectStore`] (native only): one file per object under a root folder.
//!
//! Create-if-absent is atomic across processes: the body is written to a temporary file and
//! hard-linked to its final name, which fails if the name exists. `IfMatch` compares and
//! renames under a process-wide lock, so it is atomic within one process only (the engine's
//! commit path never uses it).
use super::{clip_range, content_etag, ObjectMeta, ObjectStore, PutMode, StoreError, StoreResult};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

const TMP_DIR: &str = ".tmp";
static IF_MATCH_LOCK: Mutex<()> = Mutex::new(());
static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

#[derive(Debug, Clone)]
pub struct DirStore {
    root: PathBuf,
}

fn io_err(e: std::io::Error) -> StoreError {
    StoreError(e.to_string())
}

impl DirStore {
    pub fn new(root: impl Into<PathBuf>) -> StoreResult<Self> {
        let root = root.into();
        std::fs::create_dir_all(root.join(TMP_DIR)).map_err(io_err)?;
        Ok(DirStore { root })
    }

    fn path(&self, key: &str) -> StoreResult<PathBuf> {
        let valid =
            !key.is_empty() && key.split('/').all(|seg| !seg.is_empty() && seg != "." && seg != ".." && seg != TMP_DIR);
        if valid {
            Ok(self.root.join(key))
        } else {
            Err(StoreError(format!("invalid object key {key:?}")))
        }
    }

    fn read(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        match std::fs::read(self.path(key)?) {
            Ok(d) => Ok(Some(d)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(e)),
        }
    }

    /// Writes `body` to a fresh temporary file, synced.
    fn stage(&self, body: &[u8]) -> StoreResult<PathBuf> {
        let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = self.root.join(TMP_DIR).join(format!("{}-{n}", std::process::id()));
        let mut f = std::fs::File::create(&tmp).map_err(io_err)?;
        f.write_all(body).and_then(|_| f.sync_all()).map_err(io_err)?;
        Ok(tmp)
    }

    fn install(&self, key: &str, body: &[u8], create_only: bool) -> StoreResult<bool> {
        let dest = self.path(key)?;
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(io_err)?;
        }
        let tmp = self.stage(body)?;
        let result = if create_only {
            match std::fs::hard_link(&tmp, &dest) {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(false),
                Err(e) => Err(io_err(e)),
            }
        } else {
            std::fs::rename(&tmp, &dest).map(|_| true).map_err(io_err)
        };
        let _ = std::fs::remove_file(&tmp);
        result
    }

    fn walk(&self, dir: &Path, out: &mut Vec<ObjectMeta>) -> StoreResult<()> {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io_err(e)),
        };
        for entry in entries {
            let path = entry.map_err(io_err)?.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != TMP_DIR) {
                    self.walk(&path, out)?;
                }
            } else if let Ok(rel) = path.strip_prefix(&self.root) {
                let key = rel.to_string_lossy().replace(std::path::MAIN_SEPARATOR, "/");
                let data = std::fs::read(&path).map_err(io_err)?;
                out.push(ObjectMeta { key, size: data.len() as u64, etag: content_etag(&data) });
            }
        }
        Ok(())
    }
}

impl ObjectStore for DirStore {
    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.read(key)
    }

    async fn get_range(&self, key: &str, offset: u64, len: u64) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.read(key)?.map(|d| clip_range(&d, offset, len)))
    }

    async fn head(&self, key: &str) -> StoreResult<Option<ObjectMeta>> {
        Ok(self.read(key)?.map(|d| ObjectMeta { key: key.to_string(), size: d.len() as u64, etag: content_etag(&d) }))
    }

    async fn put(&self, key: &str, body: Vec<u8>, mode: PutMode) -> StoreResult<Option<ObjectMeta>> {
        let written = match &mode {
            PutMode::Overwrite => self.install(key, &body, false)?,
            PutMode::Create => self.install(key, &body, true)?,
            PutMode::IfMatch(etag) => {
                let _guard = IF_MATCH_LOCK.lock().unwrap_or_else(|p| p.into_inner());
                match self.read(key)? {
                    Some(cur) if content_etag(&cur) == *etag => self.install(key, &body, false)?,
                    _ => false,
                }
            }
        };
        Ok(written.then(|| ObjectMeta { key: key.to_string(), size: body.len() as u64, etag: content_etag(&body) }))
    }

    async fn list(&self, prefix: &str) -> StoreResult<Vec<ObjectMeta>> {
        let mut out = Vec::new();
        self.walk(&self.root.clone(), &mut out)?;
        out.retain(|m| m.key.starts_with(prefix));
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        match std::fs::remove_file(self.path(key)?) {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(io_err(e)),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    #[test]
    fn conforms() {
        let dir = std::env::temp_dir().join(format!("namidb-dirstore-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = super::DirStore::new(&dir).unwrap_or_else(|e| panic!("{e}"));
        futures::executor::block_on(super::super::conformance::check(&store));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn rejects_escaping_keys() {
        let dir = std::env::temp_dir().join(format!("namidb-dirstore-keys-{}", std::process::id()));
        let store = super::DirStore::new(&dir).unwrap_or_else(|e| panic!("{e}"));
        for key in ["../x", "a/../../x", "", "a//b", ".tmp/x"] {
            assert!(store.path(key).is_err(), "{key:?} accepted");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
