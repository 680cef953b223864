//! Garbage collection: deletes the records, manifests, snapshots and tables no reader can need.
//!
//! The newest checkpoint older than the minimum age is the *boundary*. `head` is first moved
//! to at least the boundary (compare-and-swap), so every cold open starts at or after it; then
//! records up to the boundary, older checkpoints, and tables that no remaining manifest names
//! are deleted. Since every deleted object is
//! older than the minimum age, and any reader or writer whose view is that old re-checks
//! `head` before trusting a chain (see the module doc of `storage`), no live version can refer
//! to a deleted object. This is the one place besides recovery that LISTs.
use super::records::{Contents, Manifest, ObjectName};
use super::{Clock, Database, Error, StateMachine};
use crate::store::ObjectStore;
use std::collections::BTreeSet;

/// What one collection did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GcReport {
    /// The checkpoint everything before which was collected (0: nothing old enough yet).
    pub boundary: u64,
    pub records_deleted: u64,
    pub checkpoints_deleted: u64,
    pub tables_deleted: u64,
}

impl<S: ObjectStore, M: StateMachine> Database<S, M> {
    /// Collects garbage older than `min_age_ms` (use [`super::GC_MIN_AGE_MS`] outside tests).
    pub async fn collect_garbage(&self, clock: &impl Clock, min_age_ms: u64) -> Result<GcReport, Error> {
        let layout = self.layout();
        let objects = self.store().list(layout.prefix()).await?;
        let names: Vec<(ObjectName, &str)> = objects.iter().map(|o| (layout.parse(&o.key), o.key.as_str())).collect();
        let mut manifests: Vec<u64> = names
            .iter()
            .filter_map(|(n, _)| match n {
                ObjectName::Manifest(s) => Some(*s),
                _ => None,
            })
            .collect();
        manifests.sort_unstable();
        let cutoff = clock.now_ms().saturating_sub(min_age_ms);
        // Newest first down to the boundary: the manifests that stay, and the tables they name.
        let mut boundary = 0;
        let mut live_tables = BTreeSet::new();
        for &seq in manifests.iter().rev() {
            let Some(data) = self.store().get(&layout.manifest(seq)).await? else { continue };
            let manifest = Manifest::decode(&data)?;
            if let Contents::Tables(tables) = &manifest.contents {
                live_tables.extend(tables.all().map(|t| layout.object(&t.name)));
            }
            if manifest.time_ms <= cutoff {
                boundary = seq;
                break;
            }
        }
        let mut report = GcReport { boundary, ..GcReport::default() };
        if boundary == 0 || !self.advance_head(boundary).await? {
            return Ok(report);
        }
        for (name, key) in names {
            let delete = match name {
                ObjectName::Wal(s) => s <= boundary,
                ObjectName::Manifest(s) | ObjectName::Snapshot(s) => s < boundary,
                // Written by a checkpoint no newer than the boundary, and named by no manifest
                // that stays: no reader or checkpoint can reach it any more.
                ObjectName::Table(s) => s <= boundary && !live_tables.contains(key),
                ObjectName::Head | ObjectName::Other => false,
            };
            if delete {
                self.store().delete(key).await?;
                match name {
                    ObjectName::Wal(_) => report.records_deleted += 1,
                    ObjectName::Manifest(_) => report.checkpoints_deleted += 1,
                    ObjectName::Table(_) => report.tables_deleted += 1,
                    _ => {}
                }
            }
        }
        Ok(report)
    }
}
