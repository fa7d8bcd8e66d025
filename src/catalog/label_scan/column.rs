//! Decoding one flat INT32 column chunk (dictionary or plain pages, v1 or v2) straight into an
//! Arrow integer array of the column's own type (`Int8` for labels): the dictionary is
//! converted once, not every value.

use std::sync::Arc;

use arrow::array::PrimitiveArray;
use arrow::buffer::{NullBuffer, ScalarBuffer};
use arrow::datatypes::ArrowPrimitiveType;
use bytes::{Buf, Bytes};
use parquet::basic::{Encoding, Type as PhysicalType};
use parquet::column::page::{Page, PageReader};
use parquet::errors::ParquetError;
use parquet::file::metadata::ColumnChunkMetaData;
use parquet::file::reader::{ChunkReader, Length};
use parquet::file::serialized_reader::SerializedPageReader;

use super::hybrid::{self, Unsupported};

/// One column chunk's bytes, addressed by file offset (what `SerializedPageReader` asks for).
struct ChunkBytes {
    start: u64,
    data: Bytes,
}

impl Length for ChunkBytes {
    fn len(&self) -> u64 {
        self.start + self.data.len() as u64
    }
}

impl ChunkBytes {
    /// The position in `data` of file offset `start`, when `length` bytes from there exist.
    fn offset(&self, start: u64, length: usize) -> parquet::errors::Result<usize> {
        start
            .checked_sub(self.start)
            .and_then(|x| usize::try_from(x).ok())
            .filter(|&x| x.saturating_add(length) <= self.data.len())
            .ok_or_else(|| ParquetError::EOF(format!("offset {start} outside the column chunk")))
    }
}

impl ChunkReader for ChunkBytes {
    type T = bytes::buf::Reader<Bytes>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(self.data.slice(self.offset(start, 0)?..).reader())
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        let from = self.offset(start, length)?;
        Ok(self.data.slice(from..from + length))
    }
}

/// Decodes column chunk `meta` (a flat INT32 column, `nullable` when its definition level is 1)
/// of a row group with `num_rows` rows, read from `source` (a file, or fetched ranges of an
/// object), as `T` (a value that does not fit is
/// `Unsupported`): every row, or only `rows` (ascending row numbers in the row group), whose
/// values alone are unpacked.
pub fn read_ints<T: ArrowPrimitiveType>(
    source: &impl ChunkReader,
    meta: &ColumnChunkMetaData,
    nullable: bool,
    num_rows: usize,
    rows: Option<&[u32]>,
) -> Result<PrimitiveArray<T>, Unsupported>
where
    T::Native: TryFrom<i32>,
{
    if meta.column_type() != PhysicalType::INT32 {
        return Err(Unsupported::new("not an INT32 column"));
    }
    let (start, len) = meta.byte_range();
    let len = usize::try_from(len).map_err(|_| Unsupported::new("column chunk too large"))?;
    let data = source
        .get_bytes(start, len)
        .map_err(|e| Unsupported::new(format!("reading the column chunk: {e}")))?;
    let chunk = Arc::new(ChunkBytes { start, data });
    let mut pages = SerializedPageReader::new(chunk, meta, num_rows, None)
        .map_err(|e| Unsupported::new(e.to_string()))?;
    let mut dict: Vec<T::Native> = Vec::new();
    let mut raw: Vec<i32> = Vec::new();
    let mut out = Output::<T::Native> {
        values: Vec::with_capacity(rows.map_or(num_rows, <[u32]>::len)),
        valid: None,
        rows_seen: 0,
        rows,
    };
    while let Some(page) = pages
        .get_next_page()
        .map_err(|e| Unsupported::new(e.to_string()))?
    {
        match page {
            Page::DictionaryPage {
                buf,
                num_values,
                encoding,
                ..
            } => {
                if !matches!(encoding, Encoding::PLAIN | Encoding::PLAIN_DICTIONARY) {
                    return Err(Unsupported::new(format!("dictionary page encoding {encoding}")));
                }
                raw.clear();
                plain(&buf, num_values as usize, &mut raw)?;
                dict = raw.iter().map(|&v| narrow(v)).collect::<Result<_, _>>()?;
            }
            Page::DataPage {
                buf,
                num_values,
                encoding,
                def_level_encoding,
                ..
            } => {
                let (levels, values) = if nullable {
                    if def_level_encoding != Encoding::RLE {
                        return Err(Unsupported::new(format!("level encoding {def_level_encoding}")));
                    }
                    let n = buf
                        .get(..4)
                        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
                        .ok_or_else(|| Unsupported::new("page too short for its levels"))?;
                    let body = buf
                        .get(4..4 + n)
                        .ok_or_else(|| Unsupported::new("levels past the page"))?;
                    (Some(body), &buf[4 + n..])
                } else {
                    (None, &buf[..])
                };
                out.page(levels, values, encoding, num_values as usize, &dict)?;
            }
            Page::DataPageV2 {
                buf,
                num_values,
                encoding,
                def_levels_byte_len,
                rep_levels_byte_len,
                ..
            } => {
                let from = rep_levels_byte_len as usize;
                let to = from + def_levels_byte_len as usize;
                let body = buf
                    .get(from..to)
                    .ok_or_else(|| Unsupported::new("levels past the page"))?;
                out.page(
                    nullable.then_some(body),
                    &buf[to..],
                    encoding,
                    num_values as usize,
                    &dict,
                )?;
            }
        }
    }
    if out.rows_seen != num_rows {
        return Err(Unsupported::new(format!(
            "pages hold {} rows, the row group {num_rows}",
            out.rows_seen
        )));
    }
    let nulls = out.valid.map(NullBuffer::from);
    Ok(PrimitiveArray::new(ScalarBuffer::from(out.values), nulls))
}

/// `v` as `N`, or why not.
fn narrow<N: TryFrom<i32>>(v: i32) -> Result<N, Unsupported> {
    N::try_from(v).map_err(|_| Unsupported::new(format!("value {v} outside the column's type")))
}

/// The decoded rows so far.
struct Output<'a, N> {
    values: Vec<N>,
    /// Validity of each output row once a null has been met (null rows hold value 0); `None`
    /// while every row so far is valid.
    valid: Option<Vec<bool>>,
    /// Rows of the row group in the pages decoded so far.
    rows_seen: usize,
    /// The rows wanted (all when `None`).
    rows: Option<&'a [u32]>,
}

impl<N: Copy + Default + TryFrom<i32>> Output<'_, N> {
    /// Decodes one data page of `n` rows: definition `levels` (optional columns), then values.
    fn page(
        &mut self,
        levels: Option<&[u8]>,
        buf: &[u8],
        encoding: Encoding,
        n: usize,
        dict: &[N],
    ) -> Result<(), Unsupported> {
        let first = self.rows_seen;
        self.rows_seen += n;
        // The wanted rows of this page, relative to its first row.
        let wanted: Option<Vec<u32>> = self.rows.map(|rows| {
            let lo = rows.partition_point(|&r| (r as usize) < first);
            let hi = rows.partition_point(|&r| (r as usize) < first + n);
            rows[lo..hi].iter().map(|&r| r - first as u32).collect()
        });
        let Some(levels) = levels else {
            return page_values(buf, encoding, n, wanted.as_deref(), dict, &mut self.values);
        };
        if hybrid::repeats(levels, 1, n, 1) {
            // No null in the page (an optional column that has none, as many writers mark
            // every column): its values are its rows.
            if let Some(out) = self.valid.as_mut() {
                out.resize(out.len() + wanted.as_ref().map_or(n, Vec::len), true);
            }
            return page_values(buf, encoding, n, wanted.as_deref(), dict, &mut self.values);
        }
        let mut valid = Vec::with_capacity(n);
        hybrid::decode(levels, 1, n, &[false, true], &mut valid)?;
        let present = valid.iter().filter(|&&v| v).count();
        // Output rows of this page: (valid, position among the present values).
        let picked: Vec<(bool, u32)> = match &wanted {
            None => {
                let mut rank = 0u32;
                valid
                    .iter()
                    .map(|&v| {
                        let at = rank;
                        rank += u32::from(v);
                        (v, at)
                    })
                    .collect()
            }
            Some(rows) => {
                // Present values before each wanted row, counted run by run between them.
                let (mut rank, mut from) = (0u32, 0usize);
                rows.iter()
                    .map(|&r| {
                        let r = r as usize;
                        rank += valid[from..r].iter().filter(|&&v| v).count() as u32;
                        from = r;
                        (valid[r], rank)
                    })
                    .collect()
            }
        };
        let positions: Vec<u32> = picked.iter().filter(|p| p.0).map(|p| p.1).collect();
        let mut present_values = Vec::with_capacity(positions.len());
        let all = positions.len() == present;
        page_values(
            buf,
            encoding,
            present,
            (!all).then_some(&positions[..]),
            dict,
            &mut present_values,
        )?;
        let mut it = present_values.into_iter();
        // The first nulls of the chunk: the rows before them were all valid.
        let before = self.values.len();
        let out_valid = self.valid.get_or_insert_with(|| vec![true; before]);
        for (v, _) in picked {
            self.values.push(if v {
                it.next().unwrap_or_default()
            } else {
                N::default()
            });
            out_valid.push(v);
        }
        Ok(())
    }
}

/// Decodes the `n` values of one data page into `out`, or only those at `positions`.
fn page_values<N: Copy + Default + TryFrom<i32>>(
    buf: &[u8],
    encoding: Encoding,
    n: usize,
    positions: Option<&[u32]>,
    dict: &[N],
    out: &mut Vec<N>,
) -> Result<(), Unsupported> {
    match (encoding, positions) {
        (Encoding::PLAIN, None) => {
            let mut raw = Vec::with_capacity(n);
            plain(buf, n, &mut raw)?;
            out.reserve(n);
            for v in raw {
                out.push(narrow(v)?);
            }
            Ok(())
        }
        (Encoding::PLAIN, Some(at)) => {
            if buf.len() < n * 4 {
                return Err(Unsupported::new("plain values past the end of the page"));
            }
            for &p in at {
                let i = p as usize * 4;
                out.push(narrow(i32::from_le_bytes([
                    buf[i],
                    buf[i + 1],
                    buf[i + 2],
                    buf[i + 3],
                ]))?);
            }
            Ok(())
        }
        (Encoding::PLAIN_DICTIONARY | Encoding::RLE_DICTIONARY, _) => {
            if n == 0 {
                return Ok(());
            }
            let (&bw, rest) = buf
                .split_first()
                .ok_or_else(|| Unsupported::new("empty dictionary-encoded page"))?;
            match positions {
                None => hybrid::decode(rest, bw, n, dict, out).map(|_| ()),
                Some(at) => hybrid::decode_at(rest, bw, n, at, dict, out),
            }
        }
        (other, _) => Err(Unsupported::new(format!("value encoding {other}"))),
    }
}

/// Appends `n` little-endian INT32 values.
fn plain(buf: &[u8], n: usize, out: &mut Vec<i32>) -> Result<(), Unsupported> {
    let bytes = buf
        .get(..n * 4)
        .ok_or_else(|| Unsupported::new("plain values past the end of the page"))?;
    out.extend(
        bytes
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Array, ArrayRef, Int8Array, Int16Array, Int32Array, RecordBatch, UInt8Array};
    use arrow::compute::cast;
    use arrow::datatypes::{DataType, Int8Type, Int32Type};
    use parquet::arrow::ArrowWriter;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::basic::{Compression, ZstdLevel};
    use parquet::file::properties::{WriterProperties, WriterVersion};
    use parquet::file::reader::{FileReader, SerializedFileReader};

    use super::read_ints;

    /// Labels (-1 / 0 / 1, some NULL, some optional without NULLs), a wide-range INT32 and
    /// narrow integer types.
    fn batch(rows: usize) -> RecordBatch {
        let mut seed = 0x9e37_79b9_u32;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let mut male = Vec::new();
        let (mut senior, mut asian, mut smiling, mut score, mut bald) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for i in 0..rows {
            let r = next();
            male.push((r % 11 != 0).then_some((r % 3) as i8 - 1));
            // Long runs of one value (RLE runs) in the second half.
            senior.push(if i > rows / 2 { 1 } else { (r / 3 % 3) as i8 - 1 });
            asian.push((r / 9 % 3) as i16 - 1);
            smiling.push((r / 27 % 2) as u8);
            score.push((r % 100_000) as i32 - 50_000);
            // Optional, NULL only in the second half: pages without nulls come first.
            bald.push((i < rows / 2 || r % 7 != 0).then_some((r / 5 % 3) as i8 - 1));
        }
        let cols: Vec<(&str, ArrayRef)> = vec![
            ("Male", Arc::new(Int8Array::from(male))),
            ("Senior", Arc::new(Int8Array::from(senior))),
            ("Asian", Arc::new(Int16Array::from(asian))),
            ("Smiling", Arc::new(UInt8Array::from(smiling))),
            ("score", Arc::new(Int32Array::from(score))),
            ("Bald", Arc::new(Int8Array::from(bald))),
        ];
        RecordBatch::try_from_iter(cols).unwrap()
    }

    fn configs() -> Vec<(&'static str, WriterProperties)> {
        let b = || WriterProperties::builder().set_max_row_group_row_count(Some(3_000));
        vec![
            ("dictionary v1", b().build()),
            (
                "plain zstd",
                b().set_dictionary_enabled(false)
                    .set_compression(Compression::ZSTD(ZstdLevel::default()))
                    .build(),
            ),
            (
                "v2 snappy small pages",
                b().set_writer_version(WriterVersion::PARQUET_2_0)
                    .set_compression(Compression::SNAPPY)
                    .set_data_page_row_count_limit(100)
                    .set_write_batch_size(50)
                    .build(),
            ),
            // The dictionary overflows: later pages of `score` fall back to PLAIN.
            (
                "dictionary fallback",
                b().set_dictionary_page_size_limit(4_000)
                    .set_write_batch_size(100)
                    .build(),
            ),
        ]
    }

    #[test]
    fn every_writer_layout_decodes_like_arrow_rs() {
        let dir = tempfile::tempdir().unwrap();
        let data = batch(7_500);
        for (name, props) in configs() {
            let path = dir.path().join(format!("{name}.parquet"));
            let mut w =
                ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), data.schema(), Some(props))
                    .unwrap();
            w.write(&data).unwrap();
            w.close().unwrap();

            let file = std::fs::File::open(&path).unwrap();
            let reader = SerializedFileReader::new(file.try_clone().unwrap()).unwrap();
            let expected = ParquetRecordBatchReaderBuilder::try_new(file.try_clone().unwrap())
                .unwrap()
                .with_batch_size(3_000)
                .build()
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            let meta = reader.metadata();
            assert_eq!(meta.num_row_groups(), 3, "{name}");
            for (rg, want) in expected.iter().enumerate() {
                let group = meta.row_group(rg);
                for c in 0..data.num_columns() {
                    let nullable = group.column(c).column_descr().max_def_level() == 1;
                    let got = read_ints::<Int32Type>(
                        &file,
                        group.column(c),
                        nullable,
                        group.num_rows() as usize,
                        None,
                    )
                    .unwrap_or_else(|e| panic!("{name}, row group {rg}, column {c}: {e:?}"));
                    let want = cast(want.column(c), &DataType::Int32).unwrap();
                    assert_eq!(
                        &got as &dyn Array,
                        want.as_ref(),
                        "{name}, row group {rg}, column {c}"
                    );
                    // Only some rows: sparse, in runs, at page edges.
                    let rows: Vec<u32> = (0..group.num_rows() as u32)
                        .filter(|r| r % 37 == 0 || r % 1000 < 3)
                        .collect();
                    let got = read_ints::<Int32Type>(
                        &file,
                        group.column(c),
                        nullable,
                        group.num_rows() as usize,
                        Some(&rows),
                    )
                    .unwrap_or_else(|e| panic!("{name}, row group {rg}, column {c}, some rows: {e:?}"));
                    let idx = arrow::array::UInt32Array::from(rows.clone());
                    let want = arrow::compute::take(want.as_ref(), &idx, None).unwrap();
                    assert_eq!(
                        &got as &dyn Array,
                        want.as_ref(),
                        "{name}, row group {rg}, column {c}, some rows"
                    );
                }
            }
        }
    }

    #[test]
    fn a_truncated_chunk_is_unsupported_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let data = batch(1_000);
        let mut w = ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), data.schema(), None).unwrap();
        w.write(&data).unwrap();
        w.close().unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let reader = SerializedFileReader::new(file.try_clone().unwrap()).unwrap();
        let group = reader.metadata().row_group(0);
        // Claim more rows than the pages hold.
        assert!(read_ints::<Int8Type>(&file, group.column(1), false, 1_001, None).is_err());
        // Labels decode as their own type; a value that does not fit is refused, not wrapped.
        let male = read_ints::<Int8Type>(&file, group.column(0), true, 1_000, None).unwrap();
        assert_eq!(male.len(), 1_000);
        let wide = group.column(4);
        let err = read_ints::<Int8Type>(&file, wide, false, 1_000, None).unwrap_err();
        assert!(err.0.contains("outside the column's type"), "{err:?}");
    }
}
