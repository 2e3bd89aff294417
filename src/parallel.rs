//! Helpers for parallel loops that write their results straight into place.

/// `buf` cut into consecutive pieces of the given lengths, in order (each piece for one task
/// to fill): a result is written where it belongs instead of being gathered from per-task
/// copies, which at 10M leads would double its memory. The lengths must add up to at most
/// `buf.len()`; what is left after them is not returned.
pub fn split_lengths<T>(
    mut buf: &mut [T],
    lengths: impl IntoIterator<Item = usize>,
) -> Vec<&mut [T]> {
    lengths
        .into_iter()
        .map(|len| {
            let (piece, rest) = std::mem::take(&mut buf).split_at_mut(len);
            buf = rest;
            piece
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_follow_the_lengths_in_order() {
        let mut v: Vec<u32> = (0..10).collect();
        let pieces = split_lengths(&mut v, [3, 0, 4, 2]);
        let got: Vec<Vec<u32>> = pieces.iter().map(|p| p.to_vec()).collect();
        assert_eq!(got, [vec![0, 1, 2], vec![], vec![3, 4, 5, 6], vec![7, 8]]);
    }
}
