//! One index of text keys: for each key, the first position it was given at; then keys are
//! looked up by their text. It is what finds repeated ids at ingest (`ingest::table`), each lead
//! id's row for the deals and the activities (`ingest::activities`), and the customer that a
//! normalised domain, email or company name belongs to (`matching`).
//!
//! An [`Index`] is built from keys in order ([`Keys`]: borrowed `&str`s, owned `String`s, a
//! text column with missing values) and keeps the first position of each distinct key; every
//! later position of a key is one of its [`Index::repeats`]. Positions are `u32`, as rows are
//! everywhere in leadtune.
//!
//! # How it is built, on every core
//! The keys are hashed a piece at a time, the pieces in parallel, and each piece deals its
//! keys' `(hash, position)` to [`SHARDS`] shards by bits of the hash. Each shard is then a
//! `hashbrown::HashTable` of positions, filled from its members piece after piece (so in the
//! keys' order, which is what makes the first position the one kept), the shards in parallel.
//! A shard's table is given its size up front and never grows. An entry is a position beside
//! the low 32 bits of its key's hash, so a key's text is never read to place it, and is read
//! to compare it only with an entry whose bits are its own: a repeat, or very rarely a
//! different key.
//!
//! Sharding is what lets both cores fill the tables (the lead ids' one table took 2.1 s to
//! build at 10M leads, 0.85 s sharded; this index of them takes about 0.2 s). A lookup costs
//! the same either way: its shard is told by the hash. A check of repeats that looks nothing up
//! ([`repeats_of`]) lets each shard's table go as soon as it is filled.
//!
//! # Which bits of the hash go where
//! Bits 32..38 of a key's 64-bit hash choose its shard. The shard's table is given the low 32
//! bits, repeated in both halves of the hash it is handed ([`table_hash`]): hashbrown places by
//! the low bits and tags by the top 7, so the place and the tag both come from bits that did not
//! choose the shard, and a dealt key is 8 bytes (32 bits of hash, 32 of position), as is an
//! entry.

use std::borrow::Cow;

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use polars::prelude::PlFixedStateQuality;

/// Shards of an index (a power of two).
pub const SHARDS: usize = 64;

/// The text array of a polars string column's chunk.
pub use crate::columns::TextArray;

/// Keys by position: what an [`Index`] is built from and compares texts with.
pub trait Keys: Sync {
    /// Positions `0..len()`.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The key at position `i`; none where there is no key (a missing value: never indexed).
    fn key(&self, i: usize) -> Option<&str>;
    /// The key at position `i`, one the index holds (so present): a column can skip its
    /// check of missing values here.
    fn held(&self, i: usize) -> &str {
        self.key(i).unwrap_or_default()
    }
}

impl<S: AsRef<str> + Sync> Keys for [S] {
    fn len(&self) -> usize {
        <[S]>::len(self)
    }
    fn key(&self, i: usize) -> Option<&str> {
        Some(self[i].as_ref())
    }
}

impl<S: AsRef<str> + Sync> Keys for Vec<S> {
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn key(&self, i: usize) -> Option<&str> {
        Some(self[i].as_ref())
    }
}

impl<T: Keys + ?Sized> Keys for &T {
    fn len(&self) -> usize {
        (**self).len()
    }
    fn key(&self, i: usize) -> Option<&str> {
        (**self).key(i)
    }
    fn held(&self, i: usize) -> &str {
        (**self).held(i)
    }
}

impl<T: Keys + Clone> Keys for Cow<'_, T> {
    fn len(&self) -> usize {
        self.as_ref().len()
    }
    fn key(&self, i: usize) -> Option<&str> {
        self.as_ref().key(i)
    }
    fn held(&self, i: usize) -> &str {
        self.as_ref().held(i)
    }
}

/// How an [`Index`] hashes a key's text.
pub trait KeyHash: Sync {
    fn hash(&self, key: &str) -> u64;
}

/// polars' fixed-seed foldhash (the hash the rest of leadtune's maps use): the same for every
/// run, so nothing about an index depends on a random seed.
#[derive(Debug, Default, Clone, Copy)]
pub struct Foldhash;

impl KeyHash for Foldhash {
    #[inline]
    fn hash(&self, key: &str) -> u64 {
        use std::hash::BuildHasher;
        PlFixedStateQuality::default().hash_one(key)
    }
}

/// Any function of the text (tests give one with many collisions).
impl<F: Fn(&str) -> u64 + Sync> KeyHash for F {
    fn hash(&self, key: &str) -> u64 {
        self(key)
    }
}

/// For each distinct key among `keys`, the first position it was given at; looked up by text.
/// See the module's doc for how it is built.
pub struct Index<K, H = Foldhash> {
    keys: K,
    hasher: H,
    /// [`SHARDS`] of them, by [`shard_of`] the key's hash.
    shards: Vec<Shard>,
    /// (position, the first position with the same key), by position.
    repeats: Vec<(u32, u32)>,
}

/// A shard's entry: the low 32 bits of the key's hash (its tag: most keys that share a
/// hashbrown tag with it are told apart by these bits, without their text being read) and the
/// key's first position.
type Entry32 = (u32, u32);

/// One shard's table of entries, by [`table_hash`].
#[derive(Default)]
struct Shard {
    table: HashTable<Entry32>,
    /// The address of the table's control bytes, for [`Index::prefetch`]; 0 for a table with
    /// no entries. Read only as a hint to the processor.
    control: usize,
}

/// The shard of a key with hash `h`: bits 32..38.
#[inline]
fn shard_of(h: u64) -> usize {
    (h >> 32) as usize & (SHARDS - 1)
}

/// The hash a shard's table is given for a key with hash `h`: its low 32 bits in both halves
/// (hashbrown places by the low bits and tags by the top 7).
#[inline]
fn table_hash(h: u64) -> u64 {
    let low = h & u64::from(u32::MAX);
    low << 32 | low
}

/// Keys hashed and dealt to shards per task: enough tasks for every core, few enough that
/// each piece's shards are long.
fn piece_len(keys: usize) -> usize {
    keys.div_ceil(rayon::current_num_threads() * 4)
        .clamp(1 << 14, 1 << 20)
}

impl<K: Keys> Index<K> {
    /// The index of `keys` (each one's first position), hashed with [`Foldhash`].
    pub fn new(keys: K) -> Self {
        Index::with_hash(keys, Foldhash)
    }
}

impl<K: Keys + Default, H: KeyHash + Default> Default for Index<K, H> {
    /// The index of no keys.
    fn default() -> Self {
        Index {
            keys: K::default(),
            hasher: H::default(),
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
            repeats: Vec::new(),
        }
    }
}

impl<K: Keys, H: KeyHash> Index<K, H> {
    /// The index of `keys` (each one's first position), hashed with `hasher`.
    pub fn with_hash(keys: K, hasher: H) -> Self {
        let piece = piece_len(keys.len());
        Index::in_pieces(keys, hasher, piece)
    }

    /// [`Index::with_hash`] with the keys hashed and dealt `piece` at a time (tests try small
    /// pieces).
    pub(crate) fn in_pieces(keys: K, hasher: H, piece: usize) -> Self {
        let (shards, repeats) = build(&keys, &hasher, piece, Keep::Tables);
        Index {
            keys,
            hasher,
            shards,
            repeats,
        }
    }

    /// The keys the index was built from.
    pub fn keys(&self) -> &K {
        &self.keys
    }

    /// Each position whose key came before it, with the first position of that key, by
    /// position.
    pub fn repeats(&self) -> &[(u32, u32)] {
        &self.repeats
    }

    /// Distinct keys held.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.table.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The hash of `key`, for [`Index::prefetch`] and [`Index::get_hashed`].
    #[inline]
    pub fn hash(&self, key: &str) -> u64 {
        self.hasher.hash(key)
    }

    /// The first position of `key`.
    #[inline]
    pub fn get(&self, key: &str) -> Option<u32> {
        self.get_hashed(key, self.hash(key))
    }

    /// The first position of `key`, whose hash ([`Index::hash`]) is `h`.
    #[inline]
    pub fn get_hashed(&self, key: &str, h: u64) -> Option<u32> {
        let tag = h as u32;
        self.shards[shard_of(h)]
            .table
            .find(table_hash(h), |&(seen, at)| {
                seen == tag && self.keys.held(at as usize) == key
            })
            .map(|&(_, at)| at)
    }

    /// Asks the processor to fetch the control bytes a lookup of hash `h` reads first (a hint:
    /// no effect on any result), so that many lookups asked for first and then made wait on
    /// memory together, not one after another ([`crate::link::matching`] matches leads so). The
    /// entries are not asked for: most customer-key lookups find no key and read none (asking
    /// for them too measured no faster).
    ///
    /// The address is hashbrown's layout (control bytes right after the entries, a lookup
    /// starting at the byte of its hash's low bits): were it to change, the hint would go
    /// elsewhere and cost only its time. A test checks the entries' half of it.
    #[inline]
    pub fn prefetch(&self, h: u64) {
        let shard = &self.shards[shard_of(h)];
        if shard.control == 0 {
            return;
        }
        let start = table_hash(h) as usize & (shard.table.num_buckets() - 1);
        // A lookup reads 16 control bytes from `start`: one cache line, or two.
        prefetch(shard.control.wrapping_add(start));
        prefetch(shard.control.wrapping_add(start + 15));
    }
}

/// The address of `table`'s control bytes (0 when it holds nothing): hashbrown keeps the
/// entries just before them, entry `i` ending `i` entries before them, so any entry's address
/// tells where they are.
/// [`Index::repeats`] of `keys` (hashed with `hasher`, `piece` at a time: [`piece_len`]
/// unless a test says), without the index: each shard's table is let go as soon as it is
/// filled. For a check of repeated ids that looks nothing up afterwards: at 10M keys the
/// tables are 150 MB, never held at once here.
pub fn repeats_of<K: Keys + ?Sized, H: KeyHash>(
    keys: &K,
    hasher: &H,
    piece: Option<usize>,
) -> Vec<(u32, u32)> {
    let piece = piece.unwrap_or_else(|| piece_len(keys.len()));
    build(keys, hasher, piece, Keep::Repeats).1
}

/// What [`build`] keeps of each shard.
#[derive(Clone, Copy, PartialEq)]
enum Keep {
    Tables,
    Repeats,
}

/// Each shard (see the module's doc) and the repeats, by position; with [`Keep::Repeats`], the
/// shards are empty.
fn build<K: Keys + ?Sized, H: KeyHash>(
    keys: &K,
    hasher: &H,
    piece: usize,
    keep: Keep,
) -> (Vec<Shard>, Vec<(u32, u32)>) {
    use rayon::prelude::*;
    let n = keys.len();
    assert!(
        u32::try_from(n).is_ok(),
        "an index holds at most u32::MAX positions, not {n}"
    );
    let piece = piece.max(1);
    // Each piece's keys as (low 32 bits of the hash, position), by shard.
    let dealt: Vec<Vec<Vec<(u32, u32)>>> = (0..n.div_ceil(piece))
        .into_par_iter()
        .map(|p| {
            let (lo, hi) = (p * piece, ((p + 1) * piece).min(n));
            let mut members: Vec<Vec<(u32, u32)>> = (0..SHARDS)
                .map(|_| Vec::with_capacity((hi - lo) / SHARDS * 5 / 4 + 8))
                .collect();
            for i in lo..hi {
                if let Some(key) = keys.key(i) {
                    let h = hasher.hash(key);
                    members[shard_of(h)].push((h as u32, i as u32));
                }
            }
            members
        })
        .collect();
    let filled: Vec<(Shard, Vec<(u32, u32)>)> = (0..SHARDS)
        .into_par_iter()
        .map(|s| {
            let len = dealt.iter().map(|members| members[s].len()).sum();
            let mut table: HashTable<Entry32> = HashTable::with_capacity(len);
            let mut repeats = Vec::new();
            // The members in the keys' order: piece after piece, each piece in order.
            for &(h, i) in dealt.iter().flat_map(|members| &members[s]) {
                let same = |&(tag, first): &Entry32| {
                    tag == h && keys.held(first as usize) == keys.held(i as usize)
                };
                // Never called: the table has room for every member from the start.
                let rehash = |&(tag, _): &Entry32| table_hash(u64::from(tag));
                match table.entry(table_hash(u64::from(h)), same, rehash) {
                    Entry::Occupied(first) => repeats.push((i, first.get().1)),
                    Entry::Vacant(slot) => {
                        slot.insert((h, i));
                    }
                }
            }
            let shard = match keep {
                Keep::Tables => Shard {
                    control: control_address(&table),
                    table,
                },
                Keep::Repeats => Shard::default(),
            };
            (shard, repeats)
        })
        .collect();
    drop(dealt);
    let mut shards = Vec::with_capacity(SHARDS);
    let mut repeats = Vec::new();
    for (shard, shard_repeats) in filled {
        shards.push(shard);
        repeats.extend(shard_repeats);
    }
    repeats.sort_unstable();
    (shards, repeats)
}

fn control_address(table: &HashTable<Entry32>) -> usize {
    table.iter_buckets().next().map_or(0, |i| {
        let entry = table
            .get_bucket(i)
            .map_or(0, |e| std::ptr::from_ref(e) as usize);
        entry + (i + 1) * std::mem::size_of::<Entry32>()
    })
}

/// A hint to the processor to fetch the cache line at `address` (nothing where there is no
/// such instruction).
#[inline]
fn prefetch(address: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: a prefetch reads nothing the program sees and never faults, whatever the
        // address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(address as *const i8) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each key's first position (by key), and the later positions of each key with their
    /// first (by position).
    type Scanned = (Vec<(String, u32)>, Vec<(u32, u32)>);

    /// [`Scanned`] by a scan in order: what an index must agree with.
    fn scan(keys: &[Option<&str>]) -> Scanned {
        let mut first: std::collections::HashMap<&str, u32> = Default::default();
        let mut repeats = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            let Some(key) = key else { continue };
            match first.get(key) {
                Some(&f) => repeats.push((i as u32, f)),
                None => {
                    first.insert(key, i as u32);
                }
            }
        }
        let mut firsts: Vec<(String, u32)> =
            first.into_iter().map(|(k, f)| (k.to_string(), f)).collect();
        firsts.sort();
        (firsts, repeats)
    }

    #[test]
    fn the_first_of_each_key_is_kept_and_repeats_found() {
        let keys = ["b", "a", "b", "c", "a", "b"];
        let index = Index::new(&keys[..]);
        assert_eq!(index.get("b"), Some(0));
        assert_eq!(index.get("a"), Some(1));
        assert_eq!(index.get("c"), Some(3));
        assert_eq!(index.get("d"), None);
        assert_eq!(index.get(""), None);
        assert_eq!(index.repeats(), [(2, 0), (4, 1), (5, 0)]);
        assert_eq!(index.len(), 3);
        assert_eq!(
            repeats_of(&keys[..], &Foldhash, None),
            [(2, 0), (4, 1), (5, 0)]
        );
    }

    /// Owned keys (normalised texts, as customer keys are) are held by the index.
    #[test]
    fn owned_keys() {
        let keys: Vec<String> = ["x.se", "y.se", "x.se"].map(String::from).to_vec();
        let index = Index::new(keys);
        assert_eq!(index.get("x.se"), Some(0));
        assert_eq!(index.get("y.se"), Some(1));
        assert_eq!(index.repeats(), [(2, 0)]);
        assert_eq!(index.keys()[1], "y.se");
    }

    /// Missing values of a text column are not keys: never found, never repeats.
    #[test]
    fn missing_values_are_not_keys() {
        let keys = [Some("a"), None, Some("a"), None, Some("b")];
        let column = TextArray::from_slice(keys);
        let index = Index::new(&column);
        assert_eq!(index.get("a"), Some(0));
        assert_eq!(index.get("b"), Some(4));
        assert_eq!(index.get(""), None);
        assert_eq!(index.repeats(), [(2, 0)]);
        assert_eq!(index.len(), 2);
    }

    /// No keys: nothing found, no repeats, and a fetch asked for does nothing (the index of no
    /// customers is asked for them).
    #[test]
    fn empty_input() {
        let index = Index::new(Vec::<&str>::new());
        assert!(repeats_of(&Vec::<&str>::new(), &Foldhash, None).is_empty());
        let empty: Index<Vec<String>> = Index::default();
        for key in ["a", ""] {
            assert_eq!(index.get(key), None);
            assert_eq!(empty.get(key), None);
        }
        assert!(index.is_empty() && empty.is_empty());
        assert!(index.repeats().is_empty() && empty.repeats().is_empty());
        for key in ["a", "", "b"] {
            index.prefetch(index.hash(key));
            empty.prefetch(empty.hash(key));
        }
    }

    /// The fetch hint's address: each entry sits where hashbrown's layout (entries ending at
    /// the control bytes, in reverse) puts it, so the control bytes are where the hint goes.
    #[test]
    fn prefetched_addresses_follow_hashbrowns_layout() {
        let keys: Vec<String> = (0..5000).map(|i| format!("key{i}")).collect();
        let index = Index::new(&keys);
        for shard in &index.shards {
            assert_eq!(shard.control == 0, shard.table.is_empty());
            for i in shard.table.iter_buckets() {
                let entry = std::ptr::from_ref(shard.table.get_bucket(i).unwrap()) as usize;
                assert_eq!(
                    entry,
                    shard.control - (i + 1) * std::mem::size_of::<Entry32>()
                );
            }
        }
    }

    /// A key's first position, by some index.
    type Lookup<'a> = dyn Fn(&str) -> Option<u32> + 'a;

    proptest::proptest! {
        /// What a scan in order finds, with a hash of few values (keys that differ share
        /// shards, places and tags), with pieces of any size, and with missing values; and no
        /// other text is found.
        #[test]
        fn a_colliding_hash_finds_what_a_scan_in_order_finds(
            keys in proptest::collection::vec(proptest::option::weighted(0.9, "[abc]{0,3}"), 0..200),
            others in proptest::collection::vec("[abcd]{0,4}", 0..20),
            modulus in 1u64..5,
            piece in 1usize..300,
        ) {
            let keys: Vec<Option<&str>> = keys.iter().map(Option::as_deref).collect();
            let (firsts, repeats) = scan(&keys);
            let column = TextArray::from_slice(&keys);
            let weak = |k: &str| k.bytes().map(u64::from).sum::<u64>() % modulus;
            let weak_index = Index::in_pieces(&column, weak, piece);
            let index = Index::new(&column);
            let lookups: [&Lookup; 2] =
                [&|k| weak_index.get(k), &|k| index.get(k)];
            for get in lookups {
                for (key, first) in &firsts {
                    proptest::prop_assert_eq!(get(key), Some(*first));
                }
                for other in &others {
                    let expected = firsts.iter().find(|(k, _)| k == other).map(|(_, f)| *f);
                    proptest::prop_assert_eq!(get(other), expected);
                }
            }
            proptest::prop_assert_eq!(weak_index.repeats(), &repeats[..]);
            proptest::prop_assert_eq!(&repeats_of(&column, &weak, Some(piece)), &repeats);
            proptest::prop_assert_eq!(&repeats_of(&column, &Foldhash, None), &repeats);
            proptest::prop_assert_eq!(index.repeats(), &repeats[..]);
            proptest::prop_assert_eq!(index.len(), firsts.len());
        }
    }
}
