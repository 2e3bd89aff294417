//! Pieces of a column, each filtered by a mask of its rows, put together in one pass.
//!
//! A table read in slices keeps the rows each slice typed and the first of each unique key:
//! filtering each piece, appending them and rechunking copies every row twice (the second
//! copy into freshly mapped memory, which the system zeroes page by page). Here each kept
//! value is copied once, into a column of one chunk. Text keeps its bytes where they are: only
//! the views (16 bytes a value) are copied, pointing into the pieces' own buffers.

use polars::polars_compute::filter::filter_boolean_kernel;
use polars::prelude::*;
use polars_arrow::array::{Array, BooleanArray, PrimitiveArray, Utf8ViewArray, View};
use polars_arrow::bitmap::{Bitmap, MutableBitmap};
use polars_buffer::Buffer;

/// The rows of a piece kept: as bytes (to move values) and as bits (to filter validity).
pub(crate) struct Mask {
    keep: Vec<bool>,
    bits: Bitmap,
}

impl Mask {
    pub(crate) fn new(keep: Vec<bool>) -> Self {
        let bits = Bitmap::from(keep.as_slice());
        Mask { keep, bits }
    }

    fn len(&self) -> usize {
        self.keep.len()
    }
}

/// A mask's rows `start..start + len`, for one array of a piece.
struct Slice<'b> {
    keep: &'b [bool],
    bits: Bitmap,
}

impl<'b> Slice<'b> {
    /// Rows `start..start + len` of `mask`, when there is one.
    fn of(mask: Option<&'b Mask>, start: usize, len: usize) -> Option<Self> {
        mask.map(|m| Slice {
            keep: &m.keep[start..start + len],
            bits: m.bits.clone().sliced(start, len),
        })
    }
}

/// `parts` (one column's pieces, in order), piece `i` keeping the rows of `masks[i]` (all of
/// them without a mask), as one column of one chunk. The same column as filtering each piece,
/// appending them and rechunking.
pub(crate) fn filter_concat(parts: Vec<Column>, masks: &[Option<&Mask>]) -> PolarsResult<Column> {
    let (name, dtype) = checked(&parts, masks)?;
    let mask_of = |i: usize| masks.get(i).copied().flatten();
    let column = match &dtype {
        DataType::String => strings(name, &typed(&parts, Column::str)?, mask_of).into_column(),
        DataType::Boolean => booleans(name, &typed(&parts, Column::bool)?, mask_of).into_column(),
        DataType::Float64 => numbers(name, &typed(&parts, Column::f64)?, mask_of).into_column(),
        DataType::Int64 => numbers(name, &typed(&parts, Column::i64)?, mask_of).into_column(),
        DataType::UInt32 => numbers(name, &typed(&parts, Column::u32)?, mask_of).into_column(),
        DataType::Datetime(unit, zone) => {
            let parts = typed(&parts, |p| p.datetime().map(|d| d.physical()))?;
            numbers(name, &parts, mask_of)
                .into_datetime(*unit, zone.clone())
                .into_column()
        }
        // Any other type (none is read today): filtered piece by piece, then one chunk.
        _ => {
            let mut whole: Option<Column> = None;
            for (i, part) in parts.into_iter().enumerate() {
                let part = match mask_of(i) {
                    Some(mask) => {
                        part.filter(&BooleanChunked::from_slice("keep".into(), &mask.keep))?
                    }
                    None => part,
                };
                match &mut whole {
                    None => whole = Some(part),
                    Some(w) => {
                        w.append_owned(part)?;
                    }
                }
            }
            whole
                .map(|w| w.rechunk())
                .unwrap_or_else(|| Column::new_empty(name, &dtype))
        }
    };
    Ok(column)
}

/// [`filter_concat`], except that text keeps each piece as chunks of the column, its kept
/// views moved within its own buffer ([`strings_in_place`]): merging text then maps no new
/// memory. For columns read again and again later, [`filter_concat`] is better (most readers
/// take a step per value through a column's chunks).
pub(crate) fn filter_chunks(parts: Vec<Column>, masks: &[Option<&Mask>]) -> PolarsResult<Column> {
    let (name, dtype) = checked(&parts, masks)?;
    if dtype != DataType::String {
        return filter_concat(parts, masks);
    }
    Ok(strings_in_place(name, parts, |i| masks.get(i).copied().flatten())?.into_column())
}

/// Text in one chunk, as [`ChunkedArray::rechunk`] gives it, but with only the views copied:
/// they point into the chunks' own buffers (a rechunk may copy every value's bytes).
pub(crate) fn single_chunk(text: &StringChunked) -> StringChunked {
    if text.chunks().len() == 1 {
        return text.clone();
    }
    strings(text.name().clone(), &[text], |_| None)
}

/// The pieces' name and type, once checked: one type, and each mask as long as its piece.
fn checked(parts: &[Column], masks: &[Option<&Mask>]) -> PolarsResult<(PlSmallStr, DataType)> {
    let Some(first) = parts.first() else {
        polars_bail!(ComputeError: "no piece to merge");
    };
    let (name, dtype) = (first.name().clone(), first.dtype().clone());
    for (i, part) in parts.iter().enumerate() {
        polars_ensure!(part.dtype() == &dtype, SchemaMismatch: "pieces of column {name} differ in type");
        if let Some(Some(mask)) = masks.get(i) {
            polars_ensure!(mask.len() == part.len(), ShapeMismatch: "a mask of column {name} differs in length from its piece");
        }
    }
    Ok((name, dtype))
}

/// Each piece as the chunked array `as_typed` gives (an error for a piece of another type).
fn typed<'a, T: PolarsDataType>(
    parts: &'a [Column],
    as_typed: impl Fn(&'a Column) -> PolarsResult<&'a ChunkedArray<T>>,
) -> PolarsResult<Vec<&'a ChunkedArray<T>>> {
    parts.iter().map(as_typed).collect()
}

/// The kept rows of all pieces.
fn kept<'a>(
    lens: impl Iterator<Item = usize>,
    mask_of: impl Fn(usize) -> Option<&'a Mask>,
) -> usize {
    lens.enumerate()
        .map(|(i, n)| mask_of(i).map_or(n, |m| m.bits.set_bits()))
        .sum()
}

/// `values[i]` appended to `out` where `mask[i]`, each moved by `step` on the way. Without a
/// branch per value: each is written at the end, which moves on only when it is kept.
/// A value not kept is written one past the last kept one, so `out` needs room for one more
/// than it keeps: callers size it to the kept total and one, and it never grows.
fn compact<T: Copy>(out: &mut Vec<T>, values: &[T], mask: &[bool], step: impl Fn(T) -> T) {
    let n = values.len().min(mask.len());
    let kept: usize = mask[..n].iter().map(|&k| usize::from(k)).sum();
    out.reserve(kept + 1);
    let mut len = out.len();
    let end = out.as_mut_ptr();
    for (&v, &k) in values[..n].iter().zip(&mask[..n]) {
        // SAFETY: `len` starts at `out.len()` and ends at `out.len() + kept`, so every write
        // is at most at `out.len() + kept`, within the capacity reserved.
        unsafe { end.add(len).write(step(v)) };
        len += usize::from(k);
    }
    // SAFETY: the first `len` slots hold values written above or before.
    unsafe { out.set_len(len) };
}

/// Each array of each piece with its slice of the piece's mask.
fn arrays_with_masks<'a, 'b, T: PolarsDataType>(
    parts: &'b [&'a ChunkedArray<T>],
    mask_of: impl Fn(usize) -> Option<&'b Mask> + 'b,
) -> impl Iterator<Item = (&'a T::Array, Option<Slice<'b>>)> + 'b
where
    'a: 'b,
{
    parts.iter().enumerate().flat_map(move |(i, part)| {
        let mask = mask_of(i);
        let mut start = 0;
        part.downcast_iter().map(move |arr| {
            let n = arr.len();
            let slice = Slice::of(mask, start, n);
            start += n;
            (arr, slice)
        })
    })
}

/// Validity of the kept rows, or none when no piece has a missing value.
fn validity_of<'a, 'b, A: Array + 'a>(
    arrays: impl Iterator<Item = (&'a A, Option<Slice<'b>>)>,
    total: usize,
) -> Option<MutableBitmap> {
    let mut validity = MutableBitmap::with_capacity(total);
    let mut any_null = false;
    for (arr, mask) in arrays {
        any_null |= arr.null_count() > 0;
        match (arr.validity(), mask) {
            (None, None) => validity.extend_constant(arr.len(), true),
            (None, Some(mask)) => validity.extend_constant(mask.bits.set_bits(), true),
            (Some(valid), None) => validity.extend_from_bitmap(valid),
            (Some(valid), Some(mask)) => {
                validity.extend_from_bitmap(&filter_boolean_kernel(valid, &mask.bits))
            }
        }
    }
    any_null.then_some(validity)
}

fn numbers<'b, T: PolarsNumericType>(
    name: PlSmallStr,
    parts: &'b [&'b ChunkedArray<T>],
    mask_of: impl Fn(usize) -> Option<&'b Mask> + Copy + 'b,
) -> ChunkedArray<T> {
    let total = kept(parts.iter().map(|p| p.len()), mask_of);
    let mut values: Vec<T::Native> = Vec::with_capacity(total + 1);
    for (arr, mask) in arrays_with_masks(parts, mask_of) {
        let v = arr.values().as_slice();
        match mask {
            None => values.extend_from_slice(v),
            Some(mask) => compact(&mut values, v, mask.keep, |x| x),
        }
    }
    let validity = validity_of(arrays_with_masks(parts, mask_of), total);
    let arr = PrimitiveArray::new(
        T::get_static_dtype().to_arrow(CompatLevel::newest()),
        values.into(),
        validity.map(Into::into),
    );
    ChunkedArray::with_chunk(name, arr)
}

fn booleans<'b>(
    name: PlSmallStr,
    parts: &'b [&'b BooleanChunked],
    mask_of: impl Fn(usize) -> Option<&'b Mask> + Copy + 'b,
) -> BooleanChunked {
    let total = kept(parts.iter().map(|p| p.len()), mask_of);
    let mut values = MutableBitmap::with_capacity(total);
    for (arr, mask) in arrays_with_masks(parts, mask_of) {
        match mask {
            None => values.extend_from_bitmap(arr.values()),
            Some(mask) => {
                values.extend_from_bitmap(&filter_boolean_kernel(arr.values(), &mask.bits))
            }
        }
    }
    let validity = validity_of(arrays_with_masks(parts, mask_of), total);
    let arr = BooleanArray::new(
        ArrowDataType::Boolean,
        values.into(),
        validity.map(Into::into),
    );
    ChunkedArray::with_chunk(name, arr)
}

/// Text: the kept views, each pointing into its piece's buffers (all pieces' buffers, in
/// order, are the new column's; a view's buffer index moves by the buffers before its piece).
fn strings<'b>(
    name: PlSmallStr,
    parts: &'b [&'b StringChunked],
    mask_of: impl Fn(usize) -> Option<&'b Mask> + Copy + 'b,
) -> StringChunked {
    let total = kept(parts.iter().map(|p| p.len()), mask_of);
    let mut views: Vec<View> = Vec::with_capacity(total + 1);
    let mut buffers: Vec<Buffer<u8>> = Vec::new();
    for (arr, mask) in arrays_with_masks(parts, mask_of) {
        let base = buffers.len() as u32;
        buffers.extend(arr.data_buffers().iter().cloned());
        let moved = |mut view: View| {
            if view.length > View::MAX_INLINE_SIZE {
                view.buffer_idx += base;
            }
            view
        };
        let v = arr.views().as_slice();
        match mask {
            None => views.extend(v.iter().map(|&view| moved(view))),
            Some(mask) => compact(&mut views, v, mask.keep, moved),
        }
    }
    let validity = validity_of(arrays_with_masks(parts, mask_of), total);
    let total_buffer_len = buffers.iter().map(|b| b.len()).sum();
    // SAFETY: every view is one of a valid UTF-8 view array's, its buffer index moved to the
    // same buffer in `buffers`; inline views are unchanged. The validity has one bit per view.
    let arr = unsafe {
        Utf8ViewArray::new_unchecked_unknown_md(
            ArrowDataType::Utf8View,
            views.into(),
            buffers.into(),
            validity.map(Into::into),
            Some(total_buffer_len),
        )
    };
    ChunkedArray::with_chunk(name, arr)
}

/// Text, each piece's arrays kept as chunks of the column: a piece's kept views are moved
/// to the front of its own views buffer, without a copy when the piece alone holds it (a
/// slice just typed), so that merging text maps no new memory. Empty pieces are left out
/// (one empty chunk stays when every piece is empty).
fn strings_in_place<'b>(
    name: PlSmallStr,
    parts: Vec<Column>,
    mask_of: impl Fn(usize) -> Option<&'b Mask>,
) -> PolarsResult<StringChunked> {
    let mut chunks: Vec<Utf8ViewArray> = Vec::new();
    for (i, part) in parts.into_iter().enumerate() {
        // The piece's own arrays: the column is let go, so that its buffers are held once.
        let arrays: Vec<Utf8ViewArray> = {
            let ca = part.str()?.clone();
            drop(part);
            ca.downcast_into_iter().collect()
        };
        let mask = mask_of(i);
        let mut start = 0;
        for arr in arrays {
            let n = arr.len();
            let slice = Slice::of(mask, start, n);
            start += n;
            let arr = match slice {
                None => arr,
                Some(slice) => compact_views(arr, &slice),
            };
            if !arr.is_empty() {
                chunks.push(arr);
            }
        }
    }
    if chunks.is_empty() {
        return Ok(StringChunked::full_null(name, 0));
    }
    Ok(StringChunked::from_chunk_iter(name, chunks))
}

/// The rows of `arr` that `mask` keeps: its views moved in place (a copy when the views
/// buffer is shared), its data buffers as they are.
fn compact_views(arr: Utf8ViewArray, mask: &Slice<'_>) -> Utf8ViewArray {
    let validity = arr
        .validity()
        .map(|valid| filter_boolean_kernel(valid, &mask.bits));
    let buffers = arr.data_buffers().clone();
    let total_buffer_len = arr.total_buffer_len();
    let views = arr.views().clone();
    drop(arr);
    let mut views: Vec<View> = match views.into_mut() {
        polars_arrow::Either::Right(vec) => vec,
        polars_arrow::Either::Left(shared) => shared.as_slice().to_vec(),
    };
    let mut len = 0;
    for i in 0..views.len().min(mask.keep.len()) {
        views[len] = views[i];
        len += usize::from(mask.keep[i]);
    }
    views.truncate(len);
    // SAFETY: the views are a valid UTF-8 view array's, fewer of them, with the same data
    // buffers; the validity is filtered by the same mask, so it has one bit per view.
    unsafe {
        Utf8ViewArray::new_unchecked_unknown_md(
            ArrowDataType::Utf8View,
            views.into(),
            buffers,
            validity,
            Some(total_buffer_len),
        )
    }
}

/// A column of numbers as a vector (missing values as whatever their slots hold, as
/// `into_no_null_iter` gives them): the column's own buffer, without a copy, when it is one
/// chunk that nothing else shares (a column just merged by [`filter_concat`]); else a copy.
pub(crate) fn into_values<T: PolarsNumericType>(ca: ChunkedArray<T>) -> Vec<T::Native> {
    if ca.chunks().len() == 1 {
        if let Some(arr) = ca.downcast_into_iter().next() {
            let (_, values, _) = arr.into_inner();
            return match values.into_mut() {
                polars_arrow::Either::Right(vec) => vec,
                polars_arrow::Either::Left(shared) => shared.as_slice().to_vec(),
            };
        }
        return Vec::new();
    }
    ca.into_no_null_iter().collect()
}

/// Column `name` taken out of `df` as its values ([`into_values`]; the column is let go first,
/// so that a buffer only it held becomes the vector without a copy).
pub(crate) fn take_values<T: PolarsNumericType + PolarsPhysicalType>(
    df: &mut DataFrame,
    name: &str,
) -> PolarsResult<Vec<T::Native>> {
    let column = df.drop_in_place(name)?;
    let values = column.as_materialized_series().unpack::<T>()?.clone();
    drop(column);
    Ok(into_values(values))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-pass merge against polars' filter, append and rechunk.
    fn by_polars(parts: &[Column], masks: &[Option<&[bool]>]) -> Column {
        let mut whole: Option<Column> = None;
        for (i, part) in parts.iter().enumerate() {
            let part = match masks[i] {
                Some(m) => part
                    .filter(&BooleanChunked::from_slice("k".into(), m))
                    .unwrap(),
                None => part.clone(),
            };
            match &mut whole {
                None => whole = Some(part),
                Some(w) => {
                    w.append_owned(part).unwrap();
                }
            }
        }
        whole.unwrap().rechunk()
    }

    fn check(parts: Vec<Column>, masks: &[Option<&[bool]>]) {
        let expected = by_polars(&parts, masks);
        let owned: Vec<Option<Mask>> = masks
            .iter()
            .map(|m| m.map(|m| Mask::new(m.to_vec())))
            .collect();
        let masks: Vec<Option<&Mask>> = owned.iter().map(Option::as_ref).collect();
        let chunked = filter_chunks(parts.clone(), &masks).unwrap();
        let got = filter_concat(parts, &masks).unwrap();
        assert_eq!(got.n_chunks(), 1);
        // Pieces kept as chunks: the same values; text in one chunk per non-empty array.
        assert_eq!(chunked.dtype(), expected.dtype());
        assert!(
            chunked
                .as_materialized_series()
                .equals_missing(expected.as_materialized_series()),
            "{chunked:?} != {expected:?}"
        );
        if let Ok(text) = chunked.str() {
            assert!(text.downcast_iter().all(|a| !a.is_empty()) || text.is_empty());
            let whole = single_chunk(text);
            assert_eq!(whole.chunks().len(), 1);
            assert!(
                whole
                    .into_series()
                    .equals_missing(expected.as_materialized_series())
            );
        }
        assert_eq!(got.dtype(), expected.dtype());
        assert_eq!(got.len(), expected.len());
        assert_eq!(got.null_count(), expected.null_count());
        assert!(
            got.as_materialized_series()
                .equals_missing(expected.as_materialized_series()),
            "{got:?} != {expected:?}"
        );
    }

    const LONG: &str = "a value longer than twelve bytes";

    fn texts(values: &[Option<&str>]) -> Column {
        Column::new("t".into(), values)
    }

    #[test]
    fn text_pieces_keep_their_rows_and_long_values() {
        // Long values live in the pieces' buffers: their views must point at the right one.
        let a = texts(&[
            Some("x"),
            Some(LONG),
            None,
            Some("a second long value here"),
        ]);
        let mut b = texts(&[Some("another long value, in b"), Some("y")]);
        // A piece of two chunks, the second with its own buffers.
        b.append_owned(texts(&[Some("z"), Some("long value of the third chunk")]))
            .unwrap();
        let c = texts(&[None, Some(LONG)]);
        let mask_a = [true, false, true, true];
        let mask_b = [true, true, false, true];
        check(
            vec![a.clone(), b.clone(), c.clone()],
            &[Some(&mask_a), Some(&mask_b), None],
        );
        check(vec![a, b, c], &[None, None, None]);
        // Everything dropped.
        let none = [false, false];
        check(vec![texts(&[Some(LONG), None])], &[Some(&none)]);
    }

    #[test]
    fn numbers_flags_and_times_keep_their_rows() {
        let mask = [false, true, true];
        let f = |v: &[Option<f64>]| Column::new("f".into(), v);
        check(
            vec![f(&[Some(1.5), None, Some(3.0)]), f(&[Some(4.0), Some(5.0)])],
            &[Some(&mask), None],
        );
        // No missing value anywhere: no validity.
        check(
            vec![f(&[Some(1.5), Some(2.0), Some(3.0)]), f(&[Some(4.0)])],
            &[Some(&mask), None],
        );
        let b = |v: &[Option<bool>]| Column::new("b".into(), v);
        check(
            vec![b(&[Some(true), Some(false), None]), b(&[None, Some(true)])],
            &[Some(&mask), None],
        );
        let t = |v: &[Option<i64>]| {
            Int64Chunked::new("t".into(), v)
                .into_datetime(TimeUnit::Milliseconds, None)
                .into_column()
        };
        check(
            vec![t(&[Some(1), Some(2), None]), t(&[Some(7)])],
            &[Some(&mask), None],
        );
        let u = |v: &[u32]| Column::new("u".into(), v);
        check(vec![u(&[1, 2, 3]), u(&[9])], &[Some(&mask), None]);
        // Another type goes the long way round.
        let i = |v: &[i32]| Column::new("i".into(), v);
        check(vec![i(&[1, 2, 3]), i(&[9])], &[Some(&mask), None]);
    }

    #[test]
    fn compact_keeps_the_masked_values_in_order() {
        let mut out = vec![7u32];
        compact(
            &mut out,
            &[1, 2, 3, 4, 5],
            &[true, false, false, true, true],
            |x| x * 10,
        );
        assert_eq!(out, [7, 10, 40, 50]);
        compact(&mut out, &[6, 8], &[false, false], |x| x);
        assert_eq!(out, [7, 10, 40, 50]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Pieces of text and numbers, with missing values, each with or without a mask.
        #[test]
        fn pieces_merge_as_polars_merges_them(
            pieces in proptest::collection::vec(
                (
                    proptest::collection::vec(
                        (proptest::option::of("[a-z]{0,20}"), proptest::option::of(-5.0f64..5.0), proptest::prelude::any::<bool>()),
                        0..40,
                    ),
                    proptest::prelude::any::<bool>(),
                ),
                1..5,
            )
        ) {
            let text: Vec<Column> = pieces
                .iter()
                .map(|(rows, _)| Column::new("t".into(), rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>()))
                .collect();
            let numbers: Vec<Column> = pieces
                .iter()
                .map(|(rows, _)| Column::new("n".into(), rows.iter().map(|r| r.1).collect::<Vec<_>>()))
                .collect();
            let masks: Vec<Option<Vec<bool>>> = pieces
                .iter()
                .map(|(rows, masked)| masked.then(|| rows.iter().map(|r| r.2).collect()))
                .collect();
            let masks: Vec<Option<&[bool]>> = masks.iter().map(Option::as_deref).collect();
            check(text, &masks);
            check(numbers, &masks);
        }
    }

    #[test]
    fn values_come_out_whole_or_copied() {
        // One chunk, its own: no copy (the vector is the buffer the column held).
        let one = UInt32Chunked::from_vec("u".into(), vec![3, 1, 2]);
        let at = one.downcast_as_array().values().as_slice().as_ptr();
        let values = into_values(one);
        assert_eq!(values, [3, 1, 2]);
        assert_eq!(values.as_ptr(), at);
        // Shared with another column, or in two chunks, or sliced: copied, the same values.
        let shared = UInt32Chunked::from_vec("u".into(), vec![4, 5]);
        let other = shared.clone();
        assert_eq!(into_values(shared), [4, 5]);
        assert_eq!(other.into_no_null_iter().collect::<Vec<_>>(), [4, 5]);
        let mut two = Int64Chunked::from_vec("i".into(), vec![1, 2]);
        two.append(&Int64Chunked::from_vec("i".into(), vec![3]))
            .unwrap();
        assert_eq!(into_values(two), [1, 2, 3]);
        let sliced = Int64Chunked::from_vec("i".into(), vec![1, 2, 3, 4]).slice(1, 2);
        assert_eq!(into_values(sliced), [2, 3]);
        assert!(into_values(Int64Chunked::from_vec("i".into(), vec![])).is_empty());
    }

    /// The address of each chunk's views, and of each of its data buffers.
    fn places(text: &StringChunked) -> (Vec<usize>, Vec<usize>) {
        let views = text
            .downcast_iter()
            .map(|a| a.views().as_slice().as_ptr() as usize)
            .collect();
        let buffers = text
            .downcast_iter()
            .flat_map(|a| {
                a.data_buffers()
                    .iter()
                    .map(|b| b.as_slice().as_ptr() as usize)
            })
            .collect();
        (views, buffers)
    }

    #[test]
    fn text_pieces_are_filtered_where_they_lie() {
        let piece = |values: &[Option<&str>]| StringChunked::new("t".into(), values);
        let (a, b) = (
            piece(&[Some(LONG), Some("x"), None, Some("second long value, in a")]),
            piece(&[Some("y"), Some("long value of piece b here")]),
        );
        let ((views_a, buffers_a), (views_b, buffers_b)) = (places(&a), places(&b));
        let mask = Mask::new(vec![false, true, true, true]);
        let got =
            filter_chunks(vec![a.into_column(), b.into_column()], &[Some(&mask), None]).unwrap();
        let got = got.str().unwrap();
        assert_eq!(
            got.iter().collect::<Vec<_>>(),
            [
                Some("x"),
                None,
                Some("second long value, in a"),
                Some("y"),
                Some("long value of piece b here")
            ]
        );
        // Each piece its own chunk, in its own views and buffers: nothing copied.
        let (views, buffers) = places(got);
        assert_eq!(views, [views_a[0], views_b[0]]);
        assert_eq!(buffers, [buffers_a, buffers_b].concat());
        // In one chunk: the views copied, the values' bytes where they were.
        let whole = single_chunk(got);
        assert_eq!(whole.chunks().len(), 1);
        assert_eq!(places(&whole).1, buffers);
        assert_eq!(
            whole.iter().collect::<Vec<_>>(),
            got.iter().collect::<Vec<_>>()
        );
        // A piece whose views another column shares is copied, the other left as it was.
        let shared = piece(&[Some(LONG), Some("z")]);
        let other = shared.clone();
        let keep_last = Mask::new(vec![false, true]);
        let got = filter_chunks(vec![shared.into_column()], &[Some(&keep_last)]).unwrap();
        assert_eq!(got.str().unwrap().get(0), Some("z"));
        assert_eq!(other.iter().collect::<Vec<_>>(), [Some(LONG), Some("z")]);
        // Every row dropped: one empty column.
        let none = Mask::new(vec![false, false]);
        let got = filter_chunks(vec![other.into_column()], &[Some(&none)]).unwrap();
        assert_eq!((got.len(), got.dtype()), (0, &DataType::String));
    }

    #[test]
    fn pieces_must_agree() {
        let a = Column::new("a".into(), &[1.0f64]);
        let b = Column::new("a".into(), &["x"]);
        assert!(filter_concat(vec![a.clone(), b], &[None, None]).is_err());
        let short = Mask::new(vec![true, false]);
        assert!(filter_concat(vec![a], &[Some(&short)]).is_err());
        let t = Column::new("t".into(), &["x"]);
        assert!(filter_chunks(vec![t], &[Some(&short)]).is_err());
    }
}
