//! The engine's [`ObjectStore`] over an R2 bucket binding.
//!
//! Conditional puts use R2's `onlyIf`: create-if-absent is `etagDoesNotMatch: "*"`, compare-
//! and-swap is `etagMatches` with the unquoted etag. A failed condition resolves to `null`,
//! which becomes `Ok(None)`; every other failure is a [`StoreError`].
use engine::store::{ObjectMeta, ObjectStore, PutMode, StoreError, StoreResult};
use worker::{Bucket, Conditional, Range};

pub struct R2Store {
    bucket: Bucket,
}

impl R2Store {
    pub fn new(bucket: Bucket) -> Self {
        R2Store { bucket }
    }
}

fn err(e: worker::Error) -> StoreError {
    StoreError(format!("R2: {e}"))
}

fn meta(o: &worker::Object) -> ObjectMeta {
    ObjectMeta { key: o.key(), size: o.size(), etag: o.etag() }
}

async fn body(o: Option<worker::Object>) -> StoreResult<Option<Vec<u8>>> {
    match o.as_ref().and_then(|o| o.body()) {
        Some(b) => b.bytes().await.map(Some).map_err(err),
        None => Ok(None),
    }
}

impl ObjectStore for R2Store {
    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        body(self.bucket.get(key).execute().await.map_err(err)?).await
    }

    async fn get_range(&self, key: &str, offset: u64, len: u64) -> StoreResult<Option<Vec<u8>>> {
        // Table reads take their ranges from the manifest, so they are in bounds: one GET.
        if len > 0 {
            let range = Range::OffsetWithLength { offset, length: len };
            if let Ok(object) = self.bucket.get(key).range(range).execute().await {
                return body(object).await;
            }
        }
        // R2 rejects a range reaching past the end (toolchain note P23): clip with HEAD, retry.
        let Some(head) = self.head(key).await? else {
            return Ok(None);
        };
        if offset >= head.size || len == 0 {
            return Ok(Some(Vec::new()));
        }
        let length = len.min(head.size - offset);
        let range = Range::OffsetWithLength { offset, length };
        body(self.bucket.get(key).range(range).execute().await.map_err(err)?).await
    }

    async fn head(&self, key: &str) -> StoreResult<Option<ObjectMeta>> {
        Ok(self.bucket.head(key).await.map_err(err)?.as_ref().map(meta))
    }

    async fn put(&self, key: &str, body: Vec<u8>, mode: PutMode) -> StoreResult<Option<ObjectMeta>> {
        let put = self.bucket.put(key, body);
        let put = match mode {
            PutMode::Overwrite => put,
            PutMode::Create => put.only_if(Conditional { etag_does_not_match: Some("*".into()), ..Default::default() }),
            PutMode::IfMatch(etag) => put.only_if(Conditional { etag_matches: Some(etag), ..Default::default() }),
        };
        Ok(put.execute().await.map_err(err)?.as_ref().map(meta))
    }

    async fn list(&self, prefix: &str) -> StoreResult<Vec<ObjectMeta>> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut req = self.bucket.list().prefix(prefix);
            if let Some(c) = cursor.take() {
                req = req.cursor(c);
            }
            let page = req.execute().await.map_err(err)?;
            out.extend(page.objects().iter().map(meta));
            match (page.truncated(), page.cursor()) {
                (true, Some(c)) => cursor = Some(c),
                _ => return Ok(out),
            }
        }
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        self.bucket.delete(key).await.map_err(err)
    }
}
