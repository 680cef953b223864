//! Checkpoints and compaction: folding the log into sorted tables.
//!
//! A checkpoint of version `v` writes the entries changed since its *base* (the newest
//! checkpoint `head` names, or the handle's own if newer) as one new level-0 table, then, if
//! level 0 has [`Tuning::l0_trigger`] tables, compaction steps (at most
//! [`Tuning::steps_per_checkpoint`]), then the manifest
//! `manifest/<v>` listing every table, then moves `head` forward. Tables and manifests are
//! create-only and their content is determined by their names, so racing checkpoints agree.
//!
//! A compaction step merges level 0 into level 1 over one key range: the level-1 tables from
//! the lowest unmerged key onwards, up to [`Tuning::step_bytes`] of them, together with the
//! level-0 entries in that range. The step writes new level-1 tables of at most
//! [`Tuning::table_bytes`] and raises every level-0 table's `from_key` to the end of the
//! range; a level-0 table merged to its end is dropped. A block of either level that no other
//! input has a key in is copied as stored ([`IntoBottom`]): a bulk load appends most of its
//! keys, so most blocks are not decoded and re-encoded. Memory is bounded by the level-0
//! tables, one step of level 1 and one output table; CPU by the same, so a step fits in the
//! time a Worker gives `waitUntil` work after a response.
//!
//! The blocks a checkpoint writes go into the handle's block cache as they are written (see
//! [`WriteThrough`]), so that the reads after a checkpoint do not fetch what the reads before
//! it had in memory: a checkpoint's level-0 table in the room the cache has free (its entries
//! were in memory until then), and of compaction's output the blocks overlapping input blocks
//! that reads used since they were cached (up to half the cache).
//!
//! Safety (see `docs/format.md`): a checkpoint writes only a version validated within
//! [`MAX_STALL_MS`], never builds on a base older than half of [`GC_MIN_AGE_MS`] without first
//! looking for a newer manifest, and writes neither manifest nor `head` once it has run for
//! longer than [`MAX_STALL_MS`]; garbage collection deletes only tables that no manifest at or
//! after its boundary names. So no manifest `head` names can refer to a collected table.
use super::records::{Contents, Layout, Level0, Manifest, ObjectName, Tables};
use super::table::{self, BlockHandle, IntoBottom, Piece, Source, Table, TableBuilder, TableMeta};
use super::view::{BlockCache, BlockId, TableRef};
use super::{Changes, Checkpoint, Clock, Database, Error, StateMachine};
use super::{CHECKPOINT_BYTES, CHECKPOINT_EVERY, CHECKPOINT_MIN_INTERVAL_MS, GC_MIN_AGE_MS, MAX_STALL_MS};
use crate::store::{ObjectStore, PutMode};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::rc::Rc;

/// Table sizes and compaction triggers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tuning {
    /// Commits after which a checkpoint is due ([`CHECKPOINT_EVERY`] outside tests).
    pub commits_per_checkpoint: u64,
    /// Raw bytes of entries after which a compaction output table is closed.
    pub table_bytes: usize,
    /// Stored bytes of level-1 tables one compaction step reads at most (at least one table).
    pub step_bytes: u64,
    /// Level-0 tables that make a checkpoint run compaction steps.
    pub l0_trigger: usize,
    /// Compaction steps one checkpoint runs at most (fewer once level 0 is below the trigger).
    pub steps_per_checkpoint: usize,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            commits_per_checkpoint: CHECKPOINT_EVERY,
            table_bytes: 4 << 20,
            step_bytes: 16 << 20,
            l0_trigger: 4,
            steps_per_checkpoint: 4,
        }
    }
}

impl<S: ObjectStore, M: StateMachine> Database<S, M> {
    /// Writes a checkpoint of the cached version when enough commits and time have passed
    /// since the last one (see the module doc). Safe to run concurrently with anything.
    /// Returns whether this call's manifest is the checkpoint of its version.
    pub async fn maybe_checkpoint(&self, clock: &impl Clock) -> Result<bool, Error> {
        let started = clock.now_ms();
        let v = self.cached();
        let unflushed: usize = v.unflushed.iter().map(Changes::bytes).sum();
        let due = (v.seq >= v.checkpoint.seq + self.tuning.commits_per_checkpoint || unflushed >= CHECKPOINT_BYTES)
            && started >= v.checkpoint.time_ms.saturating_add(CHECKPOINT_MIN_INTERVAL_MS);
        if !due || !v.within_stall_bound(started) {
            return Ok(false);
        }
        let Some(base) = self.checkpoint_base(&v.checkpoint, v.seq, started).await? else { return Ok(false) };
        // The interval holds across handles and hosts too: the base may be a rival's checkpoint.
        if started < base.time_ms.saturating_add(CHECKPOINT_MIN_INTERVAL_MS) {
            return Ok(false);
        }
        let mut tables = base.tables.clone();
        // The tables this checkpoint writes, with their block indexes (no need to read them back).
        let mut fresh = HashMap::new();
        let delta = changes_since(&v.unflushed, base.seq);
        if !delta.is_empty() {
            let mut builder = TableBuilder::new();
            for (key, value) in delta {
                builder.add(key, value)?;
            }
            // The entries were read from memory until now: their blocks start out cached, in
            // the room the cache has free (where they push out nothing that reads use).
            let mut cached = WriteThrough::all(self.cache.capacity().saturating_sub(self.cache.bytes()));
            let name = Layout::table_name(v.seq, base.seq, 0);
            let table = self.put_table(builder, name, &mut fresh, &mut cached).await?;
            tables.l0.insert(0, Level0 { table, from_key: Vec::new() });
        }
        let (mut steps, mut outputs) = (0, 0);
        let mut cached = WriteThrough::overlapping(self.cache.capacity() / 2);
        while tables.l0.len() >= self.tuning.l0_trigger && steps < self.tuning.steps_per_checkpoint {
            tables = self.compact_step(tables, v.seq, base.seq, &mut outputs, &mut fresh, &mut cached).await?;
            steps += 1;
        }
        if clock.now_ms().saturating_sub(started) > MAX_STALL_MS {
            return Ok(false);
        }
        let manifest = Manifest { seq: v.seq, epoch: v.epoch, time_ms: started, contents: Contents::Tables(tables) };
        let landed = self.store.put(&self.layout.manifest(v.seq), manifest.encode(), PutMode::Create).await?.is_some();
        // A rival's manifest for this version is complete too, so `head` may name it either way.
        if clock.now_ms().saturating_sub(started) <= MAX_STALL_MS {
            self.advance_head(v.seq).await?;
        }
        if landed {
            let Contents::Tables(tables) = manifest.contents else { return Ok(true) };
            let known = v.checkpoint.tables.all().map(|t| (t.meta.name.clone(), t.clone()));
            let known: HashMap<String, TableRef> = known.chain(fresh).collect();
            let Some(tables) = self.table_set(&tables, &known).await? else { return Ok(true) };
            // The resident ranges as of version `v`: from memory (its layers over the old ones).
            let tables = self.resident_from(tables, &v.state()).await?;
            let mut cur = self.current.borrow_mut();
            if cur.checkpoint.seq < v.seq && cur.seq >= v.seq {
                let old = &cur.checkpoint.tables;
                let gone: Vec<&str> =
                    old.all().filter(|t| !tables.all().any(|n| n.object == t.object)).map(|t| &*t.object).collect();
                self.cache.demote(&gone, old.id);
                cur.checkpoint = Rc::new(Checkpoint { seq: v.seq, time_ms: started, tables: Rc::new(tables) });
                // A block of records on both sides of `v.seq` stays whole: its entries up to
                // `v.seq` hold what the tables now hold, unless a newer block overrides them.
                let rest: Vec<_> = cur.unflushed.iter().filter(|c| c.seq > v.seq).cloned().collect();
                cur.unflushed = Rc::new(rest);
            }
        }
        Ok(landed)
    }

    /// The checkpoint to build version `seq` on: the newest of ours and the one `head` names
    /// (one GET, two if `head` moved); `None` if someone has checkpointed `seq` or later. A
    /// base older than half of [`GC_MIN_AGE_MS`] could have been superseded by a manifest whose
    /// `head` update was lost, so then the newest manifest is looked up by listing.
    async fn checkpoint_base(&self, ours: &Checkpoint, seq: u64, now_ms: u64) -> Result<Option<Base>, Error> {
        let mut base = Base { seq: ours.seq, time_ms: ours.time_ms, tables: ours.tables.tables() };
        let head = self.head_seq().await?;
        if head >= seq {
            return Ok(None);
        }
        if head > base.seq {
            base = self.tables_checkpoint(head).await?.unwrap_or(base);
        }
        let has_tables = !base.tables.l0.is_empty() || !base.tables.l1.is_empty();
        if has_tables && now_ms.saturating_sub(base.time_ms) > GC_MIN_AGE_MS / 2 {
            let listed = self.store.list(&format!("{}manifest/", self.layout.prefix())).await?;
            let newest = listed
                .iter()
                .filter_map(|m| match self.layout.parse(&m.key) {
                    ObjectName::Manifest(n) => Some(n),
                    _ => None,
                })
                .max()
                .unwrap_or(0);
            if newest >= seq {
                return Ok(None);
            }
            if newest > base.seq {
                base = self.tables_checkpoint(newest).await?.unwrap_or(base);
            }
        }
        Ok(Some(base))
    }

    /// The table list of the checkpoint at `seq`, if it exists and has one.
    async fn tables_checkpoint(&self, seq: u64) -> Result<Option<Base>, Error> {
        Ok(match self.read_manifest(seq).await? {
            Some(Manifest { seq, time_ms, contents: Contents::Tables(tables), .. }) => {
                Some(Base { seq, time_ms, tables })
            }
            _ => None,
        })
    }

    /// Stores a finished table. Its name determines its content, so finding it already
    /// there (a rival, or an earlier attempt of ours that errored but landed) is success.
    /// Adds it to `fresh`, and the blocks `cached` selects to the block cache.
    async fn put_table(
        &self,
        builder: TableBuilder,
        name: String,
        fresh: &mut HashMap<String, TableRef>,
        cached: &mut WriteThrough,
    ) -> Result<TableMeta, Error> {
        let (bytes, meta, index) = builder.finish(name);
        let object: Rc<str> = self.layout.object(&meta.name).into();
        let blocks: Vec<(BlockId, Vec<u8>)> = cached
            .select(&meta, &index)
            .map(|h| {
                Ok((
                    BlockId { object: object.clone(), offset: h.offset, len: h.len },
                    table::slice(&bytes, h.offset, h.len)?.to_vec(),
                ))
            })
            .collect::<Result<_, Error>>()?;
        self.store.put(&object, bytes, PutMode::Create).await?;
        for (id, data) in blocks {
            cached.put(&self.cache, id, &data)?;
        }
        let table = TableRef { meta: meta.clone(), index: Rc::new(index), object };
        fresh.insert(meta.name.clone(), table);
        Ok(meta)
    }

    /// One compaction step (see the module doc); output tables are named
    /// `table_name(seq, base, n)` for `n` from `outputs + 1` on, and `outputs` counts them.
    async fn compact_step(
        &self,
        mut tables: Tables,
        seq: u64,
        base: u64,
        outputs: &mut u32,
        fresh: &mut HashMap<String, TableRef>,
        cached: &mut WriteThrough,
    ) -> Result<Tables, Error> {
        let lo = tables.l0.iter().map(|t| t.from_key.clone()).min().unwrap_or_default();
        let start = tables.l1.partition_point(|t| t.max_key < lo);
        let (mut end, mut bytes) = (start, 0);
        while end < tables.l1.len() && (end == start || bytes < self.tuning.step_bytes) {
            bytes += tables.l1[end].size;
            end += 1;
        }
        let hi = tables.l1.get(end).map(|t| t.min_key.clone());
        let missing = || Error::Corrupt("a table named by the checkpoint being compacted is missing".into());
        let inputs = tables.l0.iter().map(|t| &t.table).chain(&tables.l1[start..end]);
        let inputs = self.fetch_tables(inputs).await?.ok_or_else(missing)?;
        let metas = tables.l0.iter().map(|t| &t.table).chain(&tables.l1[start..end]);
        let objects: Vec<String> = metas.clone().map(|m| self.layout.object(&m.name)).collect();
        cached.set_ranges(read_ranges(&self.cache, metas.zip(&objects).zip(&inputs)));
        let (l0, l1) = inputs.split_at(tables.l0.len());
        let mut sources = Vec::with_capacity(l0.len() + 1);
        for (t, table) in tables.l0.iter().zip(l0) {
            sources.push(Source::new(vec![table], &t.from_key, hi.as_deref())?);
        }
        sources.push(Source::new(l1.iter().collect(), &[], None)?);
        let mut merge = IntoBottom::new(sources)?;
        let mut written = Vec::new();
        let mut builder = TableBuilder::new();
        while let Some(piece) = merge.current() {
            match piece {
                Piece::Entry(key, value) => builder.add(key, Some(value))?,
                Piece::Block(data, last_key) => {
                    if !builder.add_block(data, last_key)? {
                        merge.expand()?;
                        continue;
                    }
                }
            }
            merge.advance()?;
            if builder.raw_len() >= self.tuning.table_bytes {
                *outputs += 1;
                let name = Layout::table_name(seq, base, *outputs);
                written.push(self.put_table(std::mem::take(&mut builder), name, fresh, cached).await?);
            }
        }
        if !builder.is_empty() {
            *outputs += 1;
            written.push(self.put_table(builder, Layout::table_name(seq, base, *outputs), fresh, cached).await?);
        }
        tables.l1.splice(start..end, written);
        tables.l0.retain_mut(|t| match &hi {
            Some(hi) => {
                t.from_key = t.from_key.clone().max(hi.clone());
                t.from_key <= t.table.max_key
            }
            None => false,
        });
        Ok(tables)
    }
}

/// Which blocks of the tables a checkpoint writes it also puts in the block cache, so that
/// the reads that follow need not fetch them: a checkpoint's level-0 table holds entries that
/// were read from memory until then, and a compaction's output replaces blocks reads used.
struct WriteThrough {
    /// Bytes of blocks still to put in the cache (a checkpoint must not push out everything).
    budget: usize,
    /// `None`: every block, while the budget lasts; else only the blocks overlapping these key
    /// ranges (inclusive, disjoint, in key order).
    ranges: Option<Vec<(Vec<u8>, Vec<u8>)>>,
}

impl WriteThrough {
    fn all(budget: usize) -> Self {
        WriteThrough { budget, ranges: None }
    }

    fn overlapping(budget: usize) -> Self {
        WriteThrough { budget, ranges: Some(Vec::new()) }
    }

    fn set_ranges(&mut self, ranges: Vec<(Vec<u8>, Vec<u8>)>) {
        self.ranges = Some(ranges);
    }

    /// The blocks of the table `meta`, `index` to put in the cache: those wanted, while their
    /// stored bytes fit the budget (decoded, a block takes about as much or more: its keys
    /// whole and an offset pair per entry), so a table far larger than the budget is not
    /// copied whole only for [`WriteThrough::put`] to refuse most of it.
    fn select<'a>(&'a self, meta: &'a TableMeta, index: &'a [BlockHandle]) -> impl Iterator<Item = &'a BlockHandle> {
        let wanted = move |(i, h): &(usize, &'a BlockHandle)| {
            let Some(ranges) = &self.ranges else { return true };
            let lo = block_start(meta, index, *i);
            let at = ranges.partition_point(|(_, hi)| hi.as_slice() < lo);
            ranges.get(at).is_some_and(|(start, _)| *start <= h.last_key)
        };
        let mut room = self.budget;
        index.iter().enumerate().filter(wanted).map(|(_, h)| h).map_while(move |h| {
            room = room.checked_sub(usize::try_from(h.len).ok()?)?;
            Some(h)
        })
    }

    /// Puts block `id` (`data`, framed as stored) in `cache` if the budget allows; once it
    /// does not, no more.
    fn put(&mut self, cache: &BlockCache, id: BlockId, data: &[u8]) -> Result<(), Error> {
        if self.budget > 0 {
            self.budget = match cache.put_written(id, data, self.budget)? {
                Some(bytes) => self.budget - bytes,
                None => 0,
            };
        }
        Ok(())
    }
}

/// Where block `i` of a table's `index` starts, at most: after the previous block's last key
/// (that key itself, as an inclusive bound), or at the table's least key.
fn block_start<'a>(meta: &'a TableMeta, index: &'a [BlockHandle], i: usize) -> &'a [u8] {
    i.checked_sub(1).and_then(|p| index.get(p)).map_or(&meta.min_key, |b| &b.last_key)
}

/// The key ranges (inclusive, merged, in key order) of the blocks of `tables` that are in
/// `cache` and that reads used since they were cached.
fn read_ranges<'a>(
    cache: &BlockCache,
    tables: impl Iterator<Item = ((&'a TableMeta, &'a String), &'a Table)>,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut ranges: Vec<(&[u8], &[u8])> = Vec::new();
    for ((meta, object), table) in tables {
        let index = table.index();
        for (i, h) in index.iter().enumerate() {
            if cache.holds_read_block(object, h) {
                let lo = block_start(meta, index, i);
                ranges.push((lo, &h.last_key));
            }
        }
    }
    ranges.sort_unstable();
    let mut merged: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for (lo, hi) in ranges {
        match merged.last_mut() {
            Some(last) if lo <= last.1.as_slice() => {
                if hi > last.1.as_slice() {
                    last.1 = hi.to_vec();
                }
            }
            _ => merged.push((lo.to_vec(), hi.to_vec())),
        }
    }
    merged
}

/// A checkpoint to build on, as its manifest lists it.
struct Base {
    seq: u64,
    time_ms: u64,
    tables: Tables,
}

/// The entries changed after version `after`, each key's latest, in key order: a merge of the
/// commits' sorted entries (oldest first in `unflushed`), borrowing rather than copying them.
fn changes_since(unflushed: &[Changes], after: u64) -> Vec<(&[u8], Option<&[u8]>)> {
    type Head<'a> = Reverse<(&'a [u8], Reverse<usize>, Option<&'a [u8]>)>;
    // A min-heap of each source's next entry; of equal keys, the newest source's comes first.
    fn advance<'a, I: Iterator<Item = (&'a [u8], Option<&'a [u8]>)>>(
        heads: &mut BinaryHeap<Head<'a>>,
        sources: &mut [I],
        i: usize,
    ) {
        if let Some((k, v)) = sources.get_mut(i).and_then(Iterator::next) {
            heads.push(Reverse((k, Reverse(i), v)));
        }
    }
    let mut sources: Vec<_> = unflushed.iter().filter(|c| c.seq > after).map(|c| c.entries_after(after)).collect();
    let mut heads = BinaryHeap::with_capacity(sources.len());
    (0..sources.len()).for_each(|i| advance(&mut heads, &mut sources, i));
    let mut delta: Vec<(&[u8], Option<&[u8]>)> = Vec::new();
    while let Some(Reverse((key, Reverse(i), value))) = heads.pop() {
        if delta.last().is_none_or(|(last, _)| *last != key) {
            delta.push((key, value));
        }
        advance(&mut heads, &mut sources, i);
    }
    delta
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn changes_since_keeps_each_keys_newest_entry_in_key_order() {
        let layer = |entries: &[(&str, Option<&str>)]| {
            entries.iter().map(|(k, v)| (k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec()))).collect()
        };
        let separate = [
            Changes::new(1, &layer(&[("a", Some("1")), ("z", Some("1"))])).unwrap(),
            Changes::new(2, &layer(&[("a", Some("2")), ("b", Some("2")), ("c", Some("2"))])).unwrap(),
            Changes::new(3, &layer(&[("b", None), ("d", Some("3"))])).unwrap(),
            Changes::new(4, &layer(&[("c", Some("4"))])).unwrap(),
        ];
        let mut merged = Vec::new();
        separate.iter().for_each(|c| super::super::push_changes(&mut merged, c.clone()));
        assert_eq!(merged.len(), 2, "records 1 to 3 merged into one block");
        for unflushed in [&separate[..], &merged] {
            let delta = changes_since(unflushed, 1);
            let expected: [(&[u8], Option<&[u8]>); 4] =
                [(b"a", Some(b"2")), (b"b", None), (b"c", Some(b"4")), (b"d", Some(b"3"))];
            assert_eq!(delta, expected, "commit 1 is in the base; newer commits win");
            // A base inside a merged block: only the entries written after it.
            let expected: [(&[u8], Option<&[u8]>); 3] = [(b"b", None), (b"c", Some(b"4")), (b"d", Some(b"3"))];
            assert_eq!(changes_since(unflushed, 2), expected);
            assert!(changes_since(unflushed, 4).is_empty());
        }
    }

    #[test]
    fn merged_layers_stay_few_and_read_the_newest_entries() {
        let mut unflushed = Vec::new();
        for seq in 1..=100u64 {
            let entries = [(b"k".to_vec(), Some(seq.to_be_bytes().to_vec())), (seq.to_be_bytes().to_vec(), None)];
            super::super::push_changes(&mut unflushed, Changes::new(seq, &entries.into_iter().collect()).unwrap());
            assert!(unflushed.len() <= 8, "{} blocks after {seq} records", unflushed.len());
        }
        let state = super::super::State {
            layers: unflushed.iter().rev().map(|c| c.entries.clone()).collect(),
            ..Default::default()
        };
        let reads = super::super::Reads::unbounded();
        assert_eq!(state.get(&reads, b"k"), Some(100u64.to_be_bytes().to_vec()));
        assert_eq!(state.range(&reads, None, &[], None), vec![(b"k".to_vec(), 100u64.to_be_bytes().to_vec())]);
        let delta = changes_since(&unflushed, 90);
        assert_eq!(delta.len(), 11, "k and the ten tombstones of records 91 to 100");
        assert_eq!(delta.last(), Some(&(&b"k"[..], Some(&100u64.to_be_bytes()[..]))));
    }
}
