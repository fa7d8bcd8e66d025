//! Parquet's RLE / bit-packed hybrid encoding (dictionary indices, definition levels), decoded
//! straight into looked-up values.
//!
//! The format (parquet-format, Encodings.md): a sequence of runs, each opened by a ULEB128
//! header. An even header `h` is an RLE run of `h >> 1` copies of one value stored in
//! `ceil(bit_width / 8)` little-endian bytes; an odd header is a bit-packed run of `h >> 1`
//! groups of 8 values, `bit_width` bits each, least significant bit first.

/// Why a page could not be decoded here; the scan then reads that column with arrow-rs, which
/// reports the problem in its own words if the file is really damaged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported(pub String);

impl Unsupported {
    /// An `Unsupported` with this reason.
    pub fn new(reason: impl Into<String>) -> Self {
        Unsupported(reason.into())
    }
}

/// Reads an unsigned LEB128 integer at `*pos`, advancing `*pos`.
fn uleb128(buf: &[u8], pos: &mut usize) -> Result<u64, Unsupported> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *buf
            .get(*pos)
            .ok_or_else(|| Unsupported::new("run header past the end of the page"))?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(Unsupported::new("run header longer than 64 bits"))
}

/// Decodes `n` values of the hybrid encoding with `bit_width` bits each from `buf`; each decoded
/// integer is an index into `lookup`, whose entry is appended to `out`. Returns the number of
/// bytes read.
pub fn decode<T: Copy + Default>(
    buf: &[u8],
    bit_width: u8,
    n: usize,
    lookup: &[T],
    out: &mut Vec<T>,
) -> Result<usize, Unsupported> {
    let start = out.len();
    out.resize(start + n, T::default());
    let result = decode_into(buf, bit_width, lookup, &mut out[start..]);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// `decode` into a slice: fills all of `out`.
fn decode_into<T: Copy + Default>(
    buf: &[u8],
    bit_width: u8,
    lookup: &[T],
    out: &mut [T],
) -> Result<usize, Unsupported> {
    if bit_width > 32 {
        return Err(Unsupported::new(format!("bit width {bit_width} over 32")));
    }
    let bw = usize::from(bit_width);
    let outside = |i: u64| Unsupported::new(format!("index {i} outside a dictionary of {}", lookup.len()));
    // Small widths index a 256-entry table: no bounds check per value, one range check per run.
    let mut table = [T::default(); 256];
    if bw <= 8 {
        for (t, v) in table.iter_mut().zip(lookup) {
            *t = *v;
        }
    }
    let mut filled = 0usize;
    let mut pos = 0usize;
    while filled < out.len() {
        let wanted = out.len() - filled;
        match next_run(buf, &mut pos, bw)? {
            Run::Repeated { count, index } => {
                let value = *lookup.get(index as usize).ok_or_else(|| outside(index))?;
                let take = count.min(wanted);
                out[filled..filled + take].fill(value);
                filled += take;
            }
            Run::Packed { count, bytes } => {
                let take = count.min(wanted);
                // Writers may end the last run early: only the bytes of the values used must exist.
                let end = pos.saturating_add(bytes).min(buf.len());
                if end - pos < (take * bw).div_ceil(8) {
                    return Err(Unsupported::new("bit-packed run past the end of the page"));
                }
                let dest = &mut out[filled..filled + take];
                // Loads may read past the run into the next header: those bits are masked off,
                // and reading whole words avoids a padded copy at the end of every run.
                let highest = if bw <= 8 {
                    unpack_small(&buf[pos..], bw, &table, dest)
                } else {
                    unpack_wide(&buf[pos..], bw, lookup, dest)?
                };
                if highest as usize >= lookup.len() {
                    return Err(outside(highest));
                }
                filled += take;
                pos = end;
            }
        }
    }
    Ok(pos)
}

/// Like `decode`, but unpacks only the values at `positions` (ascending, each below `n`) and
/// appends those: runs without a wanted position are skipped over by their headers.
pub fn decode_at<T: Copy>(
    buf: &[u8],
    bit_width: u8,
    n: usize,
    positions: &[u32],
    lookup: &[T],
    out: &mut Vec<T>,
) -> Result<(), Unsupported> {
    if bit_width > 32 {
        return Err(Unsupported::new(format!("bit width {bit_width} over 32")));
    }
    if positions.last().is_some_and(|&p| p as usize >= n) {
        return Err(Unsupported::new(format!(
            "position past the {n} values of the page"
        )));
    }
    let bw = usize::from(bit_width);
    let mask = if bw == 0 { 0 } else { u64::MAX >> (64 - bw) };
    let get = |i: u64| {
        lookup
            .get(i as usize)
            .copied()
            .ok_or_else(|| Unsupported::new(format!("index {i} outside a dictionary of {}", lookup.len())))
    };
    out.reserve(positions.len());
    let mut next = 0usize; // into positions
    let mut run_start = 0usize; // value index of the current run's first value
    let mut pos = 0usize;
    while next < positions.len() {
        match next_run(buf, &mut pos, bw)? {
            Run::Repeated { count, index } => {
                let end = run_start.saturating_add(count);
                let here = wanted_in(&positions[next..], end);
                if here > 0 {
                    out.extend(std::iter::repeat_n(get(index)?, here));
                    next += here;
                }
                run_start = end;
            }
            Run::Packed { count, bytes } => {
                let data = buf.get(pos..).unwrap_or(&[]);
                let end = run_start.saturating_add(count);
                let here = wanted_in(&positions[next..], end);
                if here > 0 {
                    let last = positions[next + here - 1] as usize - run_start;
                    if ((last + 1) * bw).div_ceil(8) > data.len() {
                        return Err(Unsupported::new("bit-packed run past the end of the page"));
                    }
                    for &p in &positions[next..next + here] {
                        let bit = (p as usize - run_start) * bw;
                        out.push(get((load_u64(data, bit / 8) >> (bit % 8)) & mask)?);
                    }
                    next += here;
                }
                pos = pos.saturating_add(bytes);
                run_start = end;
            }
        }
    }
    Ok(())
}

/// Whether the first `n` values of `buf` (bit width `bit_width`) are all dictionary index
/// `index`, told from the run headers alone: true when RLE runs of `index` cover them (a page
/// of an optional column without nulls: its definition levels are one run of 1). Bit-packed
/// runs, or damaged input, answer false (the caller decodes instead).
pub fn repeats(buf: &[u8], bit_width: u8, n: usize, index: u64) -> bool {
    let (mut pos, mut covered) = (0usize, 0usize);
    while covered < n {
        match next_run(buf, &mut pos, usize::from(bit_width)) {
            Ok(Run::Repeated { count, index: i }) if i == index => covered = covered.saturating_add(count),
            _ => return false,
        }
    }
    true
}

/// One run of the hybrid encoding.
enum Run {
    /// `count` copies of the dictionary entry `index`.
    Repeated { count: usize, index: u64 },
    /// `count` values (a multiple of 8) bit-packed in the `bytes` bytes after the header.
    Packed { count: usize, bytes: usize },
}

/// Reads the run header at `*pos` (and a repeated run's value), leaving `*pos` at the run's
/// packed bytes or past the run.
fn next_run(buf: &[u8], pos: &mut usize, bw: usize) -> Result<Run, Unsupported> {
    let header = uleb128(buf, pos)?;
    let n = usize::try_from(header >> 1).unwrap_or(usize::MAX);
    if n == 0 {
        return Err(Unsupported::new("empty run"));
    }
    if header & 1 == 1 {
        return Ok(Run::Packed {
            count: n.saturating_mul(8),
            bytes: n.saturating_mul(bw),
        });
    }
    let value_bytes = bw.div_ceil(8);
    let bytes = buf
        .get(*pos..*pos + value_bytes)
        .ok_or_else(|| Unsupported::new("RLE run value past the end of the page"))?;
    *pos += value_bytes;
    let mut raw = [0u8; 8];
    raw[..value_bytes].copy_from_slice(bytes);
    Ok(Run::Repeated {
        count: n,
        index: u64::from_le_bytes(raw),
    })
}

/// How many of `positions` (ascending) lie below `end`: a linear scan, as runs usually hold
/// few of them.
#[inline(always)]
fn wanted_in(positions: &[u32], end: usize) -> usize {
    positions.iter().take_while(|&&p| (p as usize) < end).count()
}

/// The 8 bytes of `data` at `start` as a little-endian integer, zero-padded past the end.
#[inline(always)]
fn load_u64(data: &[u8], start: usize) -> u64 {
    match data.get(start..start + 8) {
        Some(b) => u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
        None => {
            let mut raw = [0u8; 8];
            let tail = data.get(start..).unwrap_or(&[]);
            raw[..tail.len()].copy_from_slice(tail);
            u64::from_le_bytes(raw)
        }
    }
}

/// Unpacks `out.len()` values of `bw` <= 8 bits from `data` (LSB first) through `table`; returns
/// the highest index seen.
fn unpack_small<T: Copy>(data: &[u8], bw: usize, table: &[T; 256], out: &mut [T]) -> u64 {
    if bw == 0 {
        out.fill(table[0]);
        return 0;
    }
    let mask = (1u64 << bw) - 1;
    let mut highest = 0u64;
    // A group of 8 values fills exactly `bw` bytes: one 64-bit load per group.
    for (group, dest) in out.chunks_mut(8).enumerate() {
        let word = load_u64(data, group * bw);
        for (k, slot) in dest.iter_mut().enumerate() {
            let index = (word >> (k * bw)) & mask;
            highest = highest.max(index);
            *slot = table[index as usize & 0xff];
        }
    }
    highest
}

/// Unpacks `out.len()` values of `bw` > 8 bits from `data` through `lookup`; returns the highest
/// index seen (0 when every index was in range: out-of-range indices fail here).
fn unpack_wide<T: Copy>(data: &[u8], bw: usize, lookup: &[T], out: &mut [T]) -> Result<u64, Unsupported> {
    let mask = (1u64 << bw) - 1;
    for (i, slot) in out.iter_mut().enumerate() {
        let bit = i * bw;
        let index = (load_u64(data, bit / 8) >> (bit % 8)) & mask;
        *slot = *lookup.get(index as usize).ok_or_else(|| {
            Unsupported::new(format!("index {index} outside a dictionary of {}", lookup.len()))
        })?;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodes `values` as bit-packed runs only (what writers emit for varied data).
    fn bit_packed(values: &[u64], bw: usize) -> Vec<u8> {
        let groups = values.len().div_ceil(8);
        let mut out = vec![((groups << 1) | 1) as u8];
        let mut bits = vec![0u8; groups * bw];
        for (i, v) in values.iter().enumerate() {
            for b in 0..bw {
                if v >> b & 1 == 1 {
                    let bit = i * bw + b;
                    bits[bit / 8] |= 1 << (bit % 8);
                }
            }
        }
        out.extend(bits);
        out
    }

    #[test]
    fn rle_runs_repeat_the_looked_up_value() {
        // 5 copies of index 1, then 3 copies of index 2 (bit width 2: one value byte).
        let buf = [10, 1, 6, 2];
        let mut out = Vec::new();
        let used = decode(&buf, 2, 8, &[-1i32, 0, 1], &mut out).unwrap();
        assert_eq!(out, [0, 0, 0, 0, 0, 1, 1, 1]);
        assert_eq!(used, 4);
    }

    #[test]
    fn bit_packed_runs_match_every_width() {
        for bw in [1usize, 2, 3, 7, 8, 9, 13, 17] {
            let max = (1u64 << bw) - 1;
            let values: Vec<u64> = (0..21u64).map(|i| (i * 2_654_435_761) & max).collect();
            let identity: Vec<u64> = (0..=max).collect();
            let mut out = Vec::new();
            decode(
                &bit_packed(&values, bw),
                bw as u8,
                values.len(),
                &identity,
                &mut out,
            )
            .unwrap();
            assert_eq!(out, values, "bit width {bw}");
        }
    }

    #[test]
    fn runs_mix_and_stop_at_n() {
        let mut buf = vec![4, 2]; // RLE: 2 x index 2
        buf.extend(bit_packed(&[0, 1, 2, 3, 3, 2, 1, 0, 1, 1], 2)); // 16 slots, 10 used
        let mut out = Vec::new();
        decode(&buf, 2, 9, &[10u8, 11, 12, 13], &mut out).unwrap();
        assert_eq!(out, [12, 12, 10, 11, 12, 13, 13, 12, 11]);
    }

    #[test]
    fn damaged_input_is_an_error_not_a_panic() {
        let mut out = Vec::new();
        assert!(decode(&[], 2, 1, &[0u8], &mut out).is_err());
        assert!(decode(&[0x80], 2, 1, &[0u8], &mut out).is_err());
        assert!(
            decode(&[2, 7], 3, 1, &[0u8, 1], &mut out)
                .unwrap_err()
                .0
                .contains("index 7")
        );
        assert!(decode(&[0x03], 2, 8, &[0u8; 4], &mut out).is_err());
        assert!(decode(&[0], 2, 1, &[0u8], &mut out).is_err());
        assert!(decode(&[2], 40, 1, &[0u8], &mut out).is_err());
    }

    #[test]
    fn decoding_at_positions_matches_decoding_everything() {
        let mut buf = vec![20, 2]; // RLE: 10 x index 2
        let values: Vec<u64> = (0..37u64).map(|i| (i * 7 + i / 3) % 4).collect();
        buf.extend(bit_packed(&values, 2)); // 40 slots, 37 used
        buf.extend([6, 1]); // RLE: 3 x index 1
        let lookup = [-1i32, 0, 1, 2];
        let mut all = Vec::new();
        decode(&buf, 2, 50, &lookup, &mut all).unwrap();
        for positions in [
            vec![],
            vec![0],
            vec![9, 10, 11],
            vec![3, 17, 46, 47, 49],
            (0..50).collect::<Vec<u32>>(),
        ] {
            let mut some = Vec::new();
            decode_at(&buf, 2, 50, &positions, &lookup, &mut some).unwrap();
            let want: Vec<i32> = positions.iter().map(|&p| all[p as usize]).collect();
            assert_eq!(some, want, "{positions:?}");
        }
        let mut some = Vec::new();
        assert!(decode_at(&buf, 2, 50, &[50], &lookup, &mut some).is_err());
        assert!(decode_at(&buf[..6], 2, 50, &[45], &lookup, &mut some).is_err());
    }

    #[test]
    fn runs_of_one_index_are_told_from_their_headers() {
        // 5 x index 1, then 3 x index 1, then 2 x index 0 (bit width 1).
        let buf = [10, 1, 6, 1, 4, 0];
        assert!(repeats(&buf, 1, 8, 1));
        assert!(!repeats(&buf, 1, 9, 1));
        assert!(!repeats(&buf, 1, 5, 0));
        assert!(!repeats(&bit_packed(&[1; 8], 1), 1, 8, 1));
        assert!(!repeats(&[], 1, 1, 1));
        assert!(repeats(&[], 1, 0, 1));
    }

    #[test]
    fn zero_width_is_all_index_zero() {
        let mut out = Vec::new();
        decode(&[0x03], 0, 5, &[7i32], &mut out).unwrap();
        assert_eq!(out, [7; 5]);
    }
}
