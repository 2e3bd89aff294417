//! The activities, reduced as they are read to what is used of them: each one's lead row (by
//! `lead_id` among the leads read before them), time and type code. Their text is never held
//! whole: at 50M activities the lead ids and types alone are gigabytes, and putting the pieces
//! of those columns together cost more than reading them.

use std::borrow::Cow;
use std::sync::Mutex;

use polars::prelude::*;

use super::table::RawTable;
use crate::error::Result;
use crate::index::{Index, Keys, TextArray};

/// The lead row of an activity whose `lead_id` names no lead.
pub const NO_LEAD: u32 = u32::MAX;
/// The kind of an activity without a type.
pub const NO_KIND: u32 = u32::MAX;
/// The time of an activity without one.
pub const NO_TIME: i64 = i64::MIN;

/// Activities (CONTRACT.md: `lead_id`, `occurred_at`, `type`, optional `value`), in file order,
/// as columns: lead row ([`NO_LEAD`] when its `lead_id` names no lead), `occurred_at` in
/// milliseconds ([`NO_TIME`] when empty), type, an index into [`Activities::kind_names`]
/// ([`NO_KIND`] when empty), and `value` where it is a number. The activities naming no lead
/// keep their file row and lead id, for their rejects.
#[derive(Debug, Clone, Default)]
pub struct Activities {
    lead_rows: Vec<u32>,
    occurred_ms: Vec<i64>,
    kinds: Vec<u32>,
    kind_names: Vec<String>,
    /// Each activity's `value` where it reads as a number (NaN otherwise); `None` when no
    /// activity has one (no column, or only text such as URLs): then nothing is held.
    values: Option<Vec<f64>>,
    unknown: Vec<(u64, Option<String>)>,
}

impl Activities {
    pub fn len(&self) -> usize {
        self.lead_rows.len()
    }
    pub fn is_empty(&self) -> bool {
        self.lead_rows.is_empty()
    }
    /// Each activity's row among the leads read with it, [`NO_LEAD`] for none.
    pub fn lead_rows(&self) -> &[u32] {
        &self.lead_rows
    }
    /// Each activity's time in milliseconds, [`NO_TIME`] for none.
    pub fn occurred_ms(&self) -> &[i64] {
        &self.occurred_ms
    }
    /// Each activity's type, an index into [`Activities::kind_names`] ([`NO_KIND`] for none).
    pub fn kinds(&self) -> &[u32] {
        &self.kinds
    }
    /// The type texts as read (trimmed), in order of first appearance in the file.
    pub fn kind_names(&self) -> &[String] {
        &self.kind_names
    }
    /// Each activity's `value` where it is a number (NaN where it is not, or missing); `None`
    /// when no activity has a number.
    pub fn values(&self) -> Option<&[f64]> {
        self.values.as_deref()
    }
    /// The activities whose `lead_id` names no lead: (file row, lead id), in file order.
    pub fn unknown_leads(&self) -> &[(u64, Option<String>)] {
        &self.unknown
    }
    /// As a table, columns `lead_id`, `occurred_at` (a datetime), `type` and `value` (a number,
    /// null where none), one row per activity as read: for a warehouse's view of it (tests of the SQL export). `leads`: the
    /// leads these activities were read with.
    pub fn frame(&self, leads: &super::Leads) -> Result<DataFrame> {
        let lead_ids = leads.frame().column("lead_id")?.str()?.rechunk();
        let mut unknown = self.unknown.iter().map(|(_, id)| id.as_deref());
        let ids: StringChunked = self
            .lead_rows
            .iter()
            .map(|&r| {
                if r == NO_LEAD {
                    unknown.next().flatten()
                } else {
                    lead_ids.get(r as usize)
                }
            })
            .collect();
        let occurred = Int64Chunked::from_iter(
            self.occurred_ms
                .iter()
                .map(|&t| (t != NO_TIME).then_some(t)),
        )
        .with_name("occurred_at".into())
        .into_datetime(TimeUnit::Milliseconds, None);
        let types: StringChunked = self
            .kinds
            .iter()
            .map(|&k| self.kind_names.get(k as usize).map(String::as_str))
            .collect();
        let values: Float64Chunked = (0..self.len())
            .map(|i| self.values.as_ref().map(|v| v[i]).filter(|v| !v.is_nan()))
            .collect();
        Ok(DataFrame::new(
            self.len(),
            vec![
                ids.with_name("lead_id".into()).into_column(),
                occurred.into_column(),
                types.with_name("type".into()).into_column(),
                values.with_name("value".into()).into_column(),
            ],
        )?)
    }

    /// Frees what only linking reads (the unknown leads' ids), once their rejects are made.
    pub fn keep_for_traits(&mut self) {
        self.unknown = Vec::new();
    }
}

/// Reads the activities with `read`, which is given the reducer to apply to each piece
/// ([`super::table::TableSpec::piece`]): the table as read (its `df` emptied, its rows,
/// rejects and fingerprint kept for the accounting) and the activities, by the rows of `leads`
/// (the leads' table as read).
pub(super) fn read_reduced(
    index: &LeadIndex,
    read: impl FnOnce(&super::table::Piece) -> Result<RawTable>,
) -> Result<(RawTable, Activities)> {
    let reducer = Reducer::new(index);
    let mut table = read(&|piece: RawTable, keep: Option<&[bool]>| reducer.reduce(piece, keep))?;
    let activities = reducer.finish(&mut table)?;
    Ok((table, activities))
}

/// Each lead id's row (the first, should one repeat): the lead ids' [`Index`] (built on every
/// core, sharded by hash), and which rows are their id's first, for [`LeadIndex::get_after`].
pub(super) struct LeadIndex<'a> {
    /// The ids by row, as one array (the column's own when it is in one chunk).
    index: Index<Cow<'a, TextArray>>,
    /// Whether each row is its id's first (the row the index holds).
    first: Vec<bool>,
}

impl<'a> LeadIndex<'a> {
    /// `lead_ids`: the leads' `lead_id` column (as read), best in one chunk.
    pub(super) fn new(lead_ids: &'a StringChunked) -> Self {
        let ids = match lead_ids.downcast_get(0) {
            Some(ids) if lead_ids.chunks().len() == 1 => Cow::Borrowed(ids),
            _ => Cow::Owned(TextArray::from_slice(lead_ids.iter().collect::<Vec<_>>())),
        };
        let index = Index::new(ids);
        let ids = index.keys();
        let mut first: Vec<bool> = (0..ids.len()).map(|row| ids.key(row).is_some()).collect();
        for &(repeat, _) in index.repeats() {
            first[repeat as usize] = false;
        }
        LeadIndex { index, first }
    }

    /// [`LeadIndex::get`], trying first the row after `previous` (the row of the id before):
    /// activities grouped by lead often follow the leads' order, and then the next lead is
    /// found by one comparison instead of a lookup that waits on memory.
    fn get_after(&self, id: &str, previous: Option<u32>) -> Option<u32> {
        if let Some(next) = previous.map(|p| p as usize + 1)
            && self.first.get(next) == Some(&true)
            && self.index.keys().held(next) == id
        {
            return Some(next as u32);
        }
        self.get(id)
    }

    /// Each id's lead row ([`NO_LEAD`] for none), on every core.
    pub(super) fn rows_of(&self, ids: &StringChunked) -> Vec<u32> {
        use rayon::prelude::*;
        ids.downcast_iter()
            .flat_map(|ids| {
                (0..ids.len())
                    .into_par_iter()
                    .with_min_len(1 << 14)
                    .map(|i| ids.get(i).and_then(|id| self.get(id)).unwrap_or(NO_LEAD))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// The row of lead `id`.
    fn get(&self, id: &str) -> Option<u32> {
        self.index.get(id)
    }
}

/// Rows per parallel task when a piece is reduced.
const CHUNK: usize = 1 << 16;

/// What [`Reducer::reduce`] makes of one piece (in its `df`, columns `lead_row`,
/// `occurred_at`, `kind`) beside the piece's kinds and unknown leads.
type Reduced = (Vec<u32>, Vec<u32>, Vec<String>, Vec<(u64, Option<String>)>);

/// Reduces the pieces of the activities table as they are read ([`super::table::TableSpec::piece`])
/// and puts them together as [`Activities`].
pub(super) struct Reducer<'a> {
    /// Each lead id's row (the first, should one repeat).
    index: &'a LeadIndex<'a>,
    /// The type texts seen, coded in the order the pieces came (made file order at the end).
    kinds: Mutex<(PlHashMap<String, u32>, Vec<String>)>,
    /// Unknown leads, in the order the pieces came.
    unknown: Mutex<Vec<(u64, Option<String>)>>,
    /// Each piece's values (see [`PieceValues`]), in the order the pieces came.
    values: Mutex<Vec<PieceValues>>,
}

/// A reduced piece's `value`s: its first file row (the pieces are put together in file
/// order), its rows kept, and their values (NaN for none), or `None` when none is a number.
type PieceValues = (u64, usize, Option<Vec<f64>>);

impl<'a> Reducer<'a> {
    pub fn new(index: &'a LeadIndex<'a>) -> Self {
        Reducer {
            index,
            kinds: Mutex::new((PlHashMap::new(), Vec::new())),
            unknown: Mutex::new(Vec::new()),
            values: Mutex::new(Vec::new()),
        }
    }

    /// One typed piece (columns `lead_id`, `occurred_at`, `type`; `rows` its file rows) as
    /// columns `lead_row`, `occurred_at` (milliseconds) and `kind`, its rows left empty.
    ///
    /// With `keep`, the frame holds every row read and only those where `keep` is true are
    /// reduced (`rows` naming them in order); without it, every row of the frame is.
    pub fn reduce(&self, mut piece: RawTable, keep: Option<&[bool]>) -> Result<RawTable> {
        use rayon::prelude::*;
        let df = &piece.df;
        let read = df.height();
        if keep.is_some_and(|k| k.len() != read) {
            return Err(crate::error::Error::Internal(
                "a piece's mask differs from its rows".into(),
            ));
        }
        let kept = |i: usize| keep.is_none_or(|k| k[i]);
        let ids = df.column("lead_id")?.str()?;
        let times = df.column("occurred_at")?.cast(&DataType::Int64)?;
        let times = times.i64()?;
        let types = df.column("type")?.str()?;
        let file_rows = &piece.rows;
        let chunks = read.div_ceil(CHUNK);
        // Kept rows before each chunk: where its rows' file numbers start in `file_rows`.
        let mut before = Vec::with_capacity(chunks);
        let mut n = 0;
        for c in 0..chunks {
            before.push(n);
            let (lo, hi) = (c * CHUNK, ((c + 1) * CHUNK).min(read));
            n += keep.map_or(hi - lo, |k| k[lo..hi].iter().map(|&k| usize::from(k)).sum());
        }
        let parts: Vec<Reduced> = (0..chunks)
            .into_par_iter()
            .map(|c| {
                let (lo, hi) = (c * CHUNK, ((c + 1) * CHUNK).min(read));
                let ids = ids.slice(lo as i64, hi - lo);
                let types = types.slice(lo as i64, hi - lo);
                let mut rows = Vec::with_capacity(hi - lo);
                let mut unknown = Vec::new();
                // Activities often come grouped by lead (exports by lead, or sorted by
                // it): a run of one lead id is looked up once.
                let mut last: Option<(&str, Option<u32>)> = None;
                // The last lead row found: in lead order, the next id is often the next row's.
                let mut found: Option<u32> = None;
                let mut file_row = file_rows[before[c]..].iter();
                // Array by array (a chunked array's own iterator steps through its chunks per
                // value).
                let ids = ids.downcast_iter().flat_map(|a| a.iter());
                for (i, id) in ids.enumerate() {
                    if !kept(lo + i) {
                        continue;
                    }
                    let file_row = file_row.next().copied().unwrap_or(0);
                    let row = match (id, last) {
                        (Some(id), Some((previous, row))) if previous == id => row,
                        (Some(id), _) => {
                            let row = self.index.get_after(id, found);
                            last = Some((id, row));
                            found = row.or(found);
                            row
                        }
                        (None, _) => None,
                    };
                    rows.push(row.unwrap_or(NO_LEAD));
                    if row.is_none() {
                        unknown.push((file_row, id.map(str::to_string)));
                    }
                }
                let mut names = Vec::new();
                let mut local: PlHashMap<&str, u32> = PlHashMap::new();
                let kinds = types
                    .downcast_iter()
                    .flat_map(|a| a.iter())
                    .enumerate()
                    .filter(|&(i, _)| kept(lo + i))
                    .map(|(_, ty)| match ty {
                        None => NO_KIND,
                        Some(ty) => *local.entry(ty).or_insert_with(|| {
                            names.push(ty.to_string());
                            (names.len() - 1) as u32
                        }),
                    })
                    .collect();
                (rows, kinds, names, unknown)
            })
            .collect();
        let mut occurred: Vec<i64> = Vec::with_capacity(n);
        let mut i = 0;
        for times in times.downcast_iter() {
            for t in times.iter() {
                if kept(i) {
                    occurred.push(t.copied().unwrap_or(NO_TIME));
                }
                i += 1;
            }
        }
        // The values are held only when one of them is a number: a `value` of URLs and file
        // names (or none) costs nothing after typing.
        let values = match df.column("value") {
            Ok(v) if v.null_count() < read => {
                let v = v.cast(&DataType::Float64)?;
                let mut kept_values = Vec::with_capacity(n);
                for (i, x) in v.f64()?.iter().enumerate() {
                    if kept(i) {
                        kept_values.push(x.unwrap_or(f64::NAN));
                    }
                }
                Some(kept_values)
            }
            _ => None,
        };
        let first_row = file_rows.first().copied().unwrap_or(u64::MAX);
        self.values
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((first_row, n, values));
        let (mut lead_rows, mut kinds) = (Vec::with_capacity(n), Vec::with_capacity(n));
        {
            let (mut seen, mut all_unknown) = (self.lock_kinds(), self.lock_unknown());
            let (codes, names) = &mut *seen;
            for (rows, part_kinds, part_names, unknown) in parts {
                let map: Vec<u32> = part_names
                    .into_iter()
                    .map(|name| match codes.get(&name) {
                        Some(&k) => k,
                        None => {
                            let k = names.len() as u32;
                            names.push(name.clone());
                            codes.insert(name, k);
                            k
                        }
                    })
                    .collect();
                lead_rows.extend(rows);
                kinds.extend(part_kinds.into_iter().map(|k| {
                    if k == NO_KIND {
                        NO_KIND
                    } else {
                        map[k as usize]
                    }
                }));
                all_unknown.extend(unknown);
            }
        }
        piece.df = DataFrame::new(
            n,
            vec![
                Column::new("lead_row".into(), lead_rows),
                Column::new("occurred_at".into(), occurred),
                Column::new("kind".into(), kinds),
            ],
        )?;
        piece.rows = Vec::new();
        Ok(piece)
    }

    fn lock_kinds(&self) -> std::sync::MutexGuard<'_, (PlHashMap<String, u32>, Vec<String>)> {
        self.kinds.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_unknown(&self) -> std::sync::MutexGuard<'_, Vec<(u64, Option<String>)>> {
        self.unknown.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The reduced pieces, put together (`table` as read with [`Reducer::reduce`] on each
    /// piece), as [`Activities`]: its `df` is emptied. Type codes are renumbered in order of
    /// first appearance in the file, so the result does not depend on the order pieces came.
    pub fn finish(self, table: &mut RawTable) -> Result<Activities> {
        use rayon::prelude::*;
        // Each column leaves the table as its own vector (no copy: the merge made each one
        // chunk that nothing else holds).
        use crate::columns::take_values;
        let mut df = std::mem::take(&mut table.df);
        let lead_rows = take_values::<UInt32Type>(&mut df, "lead_row")?;
        let occurred_ms = take_values::<Int64Type>(&mut df, "occurred_at")?;
        let mut kinds = take_values::<UInt32Type>(&mut df, "kind")?;
        drop(df);
        let (_, names) = self.kinds.into_inner().unwrap_or_else(|e| e.into_inner());
        // Codes in order of first appearance: each chunk lists the codes it sees first, in
        // parallel; one list is made in chunk order, and the codes are renumbered in parallel.
        let firsts: Vec<Vec<u32>> = kinds
            .par_chunks(CHUNK)
            .map(|chunk| {
                let mut seen = vec![false; names.len()];
                let mut firsts = Vec::new();
                for &k in chunk {
                    if let Some(seen) = seen.get_mut(k as usize).filter(|s| !**s) {
                        *seen = true;
                        firsts.push(k);
                    }
                }
                firsts
            })
            .collect();
        let mut order = vec![NO_KIND; names.len()];
        let mut kind_names = Vec::with_capacity(names.len());
        for k in firsts.into_iter().flatten() {
            if order[k as usize] == NO_KIND {
                order[k as usize] = kind_names.len() as u32;
                kind_names.push(names[k as usize].clone());
            }
        }
        kinds.par_chunks_mut(CHUNK).for_each(|chunk| {
            for k in chunk.iter_mut().filter(|k| **k != NO_KIND) {
                *k = order[*k as usize];
            }
        });
        let mut unknown = self.unknown.into_inner().unwrap_or_else(|e| e.into_inner());
        unknown.sort_by_key(|u| u.0);
        let mut pieces = self.values.into_inner().unwrap_or_else(|e| e.into_inner());
        pieces.sort_by_key(|p| p.0);
        let values = if pieces.iter().all(|p| p.2.is_none()) {
            None
        } else {
            let mut values = Vec::with_capacity(lead_rows.len());
            for (_, n, v) in pieces {
                match v {
                    Some(v) => values.extend(v),
                    None => values.extend(std::iter::repeat_n(f64::NAN, n)),
                }
            }
            if values.len() != lead_rows.len() {
                return Err(crate::error::Error::Internal(
                    "the activities' values differ in length from their rows".into(),
                ));
            }
            Some(values)
        };
        Ok(Activities {
            lead_rows,
            occurred_ms,
            kinds,
            kind_names,
            values,
            unknown,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The row after the previous one is taken only when it is its id's first row: otherwise
    /// (a repeated id, another id, a missing one, the end) the lookup decides, as without it.
    #[test]
    fn the_next_row_is_tried_only_where_the_lookup_agrees() {
        let ids: StringChunked = [Some("a"), Some("b"), Some("a"), Some("c"), None, Some("d")]
            .into_iter()
            .collect();
        let index = LeadIndex::new(&ids);
        assert_eq!(index.first, [true, true, false, true, false, true]);
        for id in ["a", "b", "c", "d", "x"] {
            for previous in [None, Some(0), Some(1), Some(2), Some(3), Some(4), Some(5)] {
                assert_eq!(
                    index.get_after(id, previous),
                    index.get(id),
                    "{id} {previous:?}"
                );
            }
        }
        assert_eq!(index.get_after("a", Some(1)), Some(0));
        assert_eq!(index.get_after("c", Some(2)), Some(3));
    }
}
