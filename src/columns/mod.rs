//! polars' own arrays, buffers and kernels (`polars-arrow`, `polars-buffer`,
//! `polars::polars_compute`): the one module that reaches under polars' public `ChunkedArray`
//! API, so that a polars upgrade that moves its internals changes this module alone. Every
//! other module works with polars' frames, columns and chunked arrays, and names an array of
//! text as [`TextArray`].
//!
//! What is here, and why polars' own API does not do it:
//! - [`concat`]: a table's pieces filtered and put together in one pass (polars' filter and
//!   rechunk copy every row twice);
//! - text told apart by its views ([`TextViews`], [`all_text`]): equal views are equal text,
//!   and most values are judged from the view's length, prefix and last byte alone;
//! - text built from a few distinct values, each row pointing at its value's bytes
//!   ([`text_of_distinct`]), and numbers with a validity mask ([`numbers_with_validity`]).
//!
//! `polars`, `polars-arrow` and `polars-buffer` are pinned to one version in `Cargo.toml`.

mod concat;

pub(crate) use concat::{Mask, filter_chunks, filter_concat, single_chunk, take_values};

use polars::prelude::*;
use polars_arrow::array::{Array, MutableBinaryViewArray, Utf8ViewArray, View};
use polars_arrow::bitmap::Bitmap;

/// One array of a text column (a chunk of a [`StringChunked`]), as `downcast_iter` gives it.
pub type TextArray = <StringType as PolarsDataType>::Array;

impl crate::index::Keys for Utf8ViewArray {
    fn len(&self) -> usize {
        Array::len(self)
    }
    fn key(&self, i: usize) -> Option<&str> {
        self.get(i)
    }
    fn held(&self, i: usize) -> &str {
        self.value(i)
    }
}

/// The values of one array of text, each with its view: within one array, two values with
/// the same view (the same inline bytes, or the same place in the same buffer, as a Parquet
/// dictionary's values are decoded) are the same text. Views name text only within their
/// own array.
pub struct TextViews<'a> {
    array: &'a TextArray,
}

impl<'a> TextViews<'a> {
    /// Each array of `text`, in order.
    pub fn of(text: &'a StringChunked) -> impl Iterator<Item = TextViews<'a>> {
        text.downcast_iter().map(|array| TextViews { array })
    }

    pub fn len(&self) -> usize {
        Array::len(self.array)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Value `i`'s view as a number (equal numbers: equal text), `None` when it is null.
    pub fn view(&self, i: usize) -> Option<u128> {
        (!self.array.is_null(i)).then(|| self.array.views()[i].as_u128())
    }

    pub fn null_count(&self) -> usize {
        self.array.null_count()
    }

    /// The values in order, `None` for null.
    pub fn iter(&self) -> impl Iterator<Item = Option<&'a str>> + 'a {
        self.array.iter()
    }

    /// Value `i`'s text (whatever its validity).
    pub fn value(&self, i: usize) -> &'a str {
        self.array.value(i)
    }
}

/// True when every value of `values` is null or passes `keep`, with most values decided from
/// their views alone: a value of `len > 0` bytes whose first and last bytes make
/// `quick(len, first, last)` true passes without its text being looked at.
pub fn all_text(
    values: &TextViews,
    quick: impl Fn(usize, u8, u8) -> bool,
    keep: impl Fn(&str) -> bool,
) -> bool {
    let values = values.array;
    let buffers = values.data_buffers();
    let last_byte = |v: &View| match v.get_inlined_slice() {
        Some(inline) => inline.last().copied(),
        None => buffers
            .get(v.buffer_idx as usize)?
            .get(v.offset as usize + v.length as usize - 1)
            .copied(),
    };
    values.views().iter().enumerate().all(|(i, v)| {
        let quick = v.length > 0
            && last_byte(v).is_some_and(|last| quick(v.length as usize, v.prefix as u8, last));
        quick || values.is_null(i) || keep(values.value(i))
    })
}

/// Text of one chunk whose row `r` is `distinct[rows[r]]` (null for `None`): each distinct
/// value's bytes are held once, and the rows' views point at them.
pub fn text_of_distinct<S: AsRef<str>>(
    name: &str,
    distinct: impl IntoIterator<Item = S>,
    rows: impl ExactSizeIterator<Item = Option<u32>>,
) -> StringChunked {
    let mut held = MutableBinaryViewArray::<str>::new();
    for v in distinct {
        held.push_value(v.as_ref());
    }
    let held: Utf8ViewArray = held.freeze();
    let mut out = MutableBinaryViewArray::<str>::with_capacity(rows.len());
    for at in rows {
        match at {
            Some(at) => out.push_view(held.views()[at as usize], held.data_buffers()),
            None => out.push_null(),
        }
    }
    StringChunked::with_chunk(name.into(), out.freeze())
}

/// Numbers with `valid[i]` false where value `i` is missing.
pub fn numbers_with_validity(name: &str, values: Vec<f64>, valid: &[bool]) -> Float64Chunked {
    Float64Chunked::from_vec_validity(name.into(), values, Some(Bitmap::from(valid)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_of_distinct_reads_back_its_values() {
        let long = "a value longer than twelve bytes";
        let text = text_of_distinct(
            "t",
            ["a", long],
            [Some(1), None, Some(0), Some(1)].into_iter(),
        );
        let got: Vec<Option<&str>> = text.iter().collect();
        assert_eq!(got, [Some(long), None, Some("a"), Some(long)]);
        // The repeated long value is held once: both rows' views are the same.
        let views = TextViews::of(&text).next().unwrap();
        assert_eq!(views.view(0), views.view(3));
        assert_eq!(views.view(1), None);
    }

    #[test]
    fn all_text_asks_keep_only_when_quick_says_no() {
        let text = StringChunked::from_iter_options(
            "t".into(),
            [
                Some("ok"),
                None,
                Some(" padded "),
                Some("a long value, not inlined"),
            ]
            .into_iter(),
        );
        let array = &TextViews::of(&text).next().unwrap();
        let graphic = |_: usize, first: u8, last: u8| first != b' ' && last != b' ';
        assert!(!all_text(array, graphic, |v| v.trim() == v));
        assert!(all_text(array, graphic, |_| true));
        // Asked only of the padded value.
        let asked = std::sync::Mutex::new(Vec::new());
        all_text(array, graphic, |v| {
            asked.lock().unwrap().push(v.to_string());
            true
        });
        assert_eq!(asked.into_inner().unwrap(), [" padded "]);
    }

    #[test]
    fn numbers_with_validity_masks_the_invalid() {
        let n = numbers_with_validity("n", vec![1.0, 2.0, 3.0], &[true, false, true]);
        assert_eq!(n.iter().collect::<Vec<_>>(), [Some(1.0), None, Some(3.0)]);
    }
}
