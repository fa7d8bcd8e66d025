//! Reading one row group of a label scan: the filter columns first, then only the selected rows
//! of the projected columns (integer label columns decoded here, the rest by arrow-rs).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, RecordBatchOptions, RecordBatchReader};
use arrow::compute::{CastOptions, FilterBuilder, cast_with_options, concat_batches, filter};
use arrow::datatypes::{DataType, Int8Type, Int16Type, Int32Type, SchemaRef, UInt8Type, UInt16Type};
use datafusion::common::ScalarValue;
use datafusion::common::{DataFusionError, Result, exec_datafusion_err};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ParquetRecordBatchReaderBuilder, RowSelection};
use parquet::basic::Type as PhysicalType;

use super::column;
use super::filter::{LabelFilter, conjunction};
use super::source::{Chunks, Place};

/// A selection of under 1 row in `SPARSE` is read row by row, a denser one whole then filtered.
const SPARSE: usize = 4;

/// Where a table column lives in the file, and whether it is decoded here.
#[derive(Debug, Clone, Copy)]
struct Source {
    /// Root column index in the file.
    root: usize,
    /// Its leaf columns (one for a primitive column, several for a struct or list): first, end.
    leaves: (usize, usize),
    /// A flat INT32 column of a type up to 32 bits: decoded by `column::read_ints`.
    fast: bool,
    /// Its definition level can be 1 (the column is optional).
    nullable: bool,
}

/// One file of a label scan: where it is, its footer, and how its columns map to the table.
#[derive(Debug)]
pub struct Part {
    /// The file.
    pub place: Place,
    meta: Arc<ArrowReaderMetadata>,
    /// The file column of each of the table's file columns (partition columns are not in it).
    sources: Vec<Source>,
    /// The value of each partition column for this file's rows.
    partition_values: Vec<ScalarValue>,
}

impl Part {
    /// A file of the table: `meta` is its footer, `partition_values` its partition columns'
    /// values; an error (the reason) when it is not flat or does not match the table.
    pub fn try_new(
        place: Place,
        meta: Arc<ArrowReaderMetadata>,
        file_columns: &SchemaRef,
        partition_values: Vec<ScalarValue>,
    ) -> std::result::Result<Self, String> {
        let sources = sources(&meta, file_columns)?;
        Ok(Part {
            place,
            meta,
            sources,
            partition_values,
        })
    }

    /// The number of rows in each row group.
    pub fn row_group_rows(&self) -> Vec<usize> {
        let rgs = self.meta.metadata().row_groups();
        rgs.iter().map(|rg| rg.num_rows().max(0) as usize).collect()
    }
}

/// A filtered, projected scan of flat Parquet files (one, or the parts of a partitioned table).
#[derive(Debug)]
pub struct LabelScan {
    table: SchemaRef,
    /// The table's columns stored in the files (the first ones; partition columns follow).
    file_columns: usize,
    /// The files, in listing order.
    pub parts: Vec<Part>,
    /// Table column indices to return.
    pub projection: Vec<usize>,
    /// The output schema (`table` projected).
    pub output: SchemaRef,
    /// The filters every returned row passes.
    pub filters: Vec<LabelFilter>,
}

/// Maps every table column to its file column; an error when a column is missing or cannot be
/// cast to the table's type. Nested columns (structs, lists) are read by arrow-rs.
fn sources(meta: &ArrowReaderMetadata, table: &SchemaRef) -> std::result::Result<Vec<Source>, String> {
    let file_schema = meta.schema();
    let descr = meta.parquet_schema();
    // The leaves of each root column (contiguous, in schema order).
    let mut leaves = vec![(usize::MAX, 0usize); descr.root_schema().get_fields().len()];
    for leaf in 0..descr.num_columns() {
        let root = descr.get_column_root_idx(leaf);
        if let Some(l) = leaves.get_mut(root) {
            l.0 = l.0.min(leaf);
            l.1 = leaf + 1;
        }
    }
    if leaves.len() != file_schema.fields().len() {
        return Err("the file's columns do not map to its schema".into());
    }
    table
        .fields()
        .iter()
        .map(|field| {
            let root = file_schema
                .index_of(field.name())
                .map_err(|_| format!("column {} is not in the file", field.name()))?;
            let file_type = file_schema.field(root).data_type();
            if !arrow::compute::can_cast_types(file_type, field.data_type()) {
                return Err(format!(
                    "column {}: {file_type} cannot be read as {}",
                    field.name(),
                    field.data_type()
                ));
            }
            let range = leaves[root];
            let leaf = descr.column(range.0);
            let primitive = range.1 == range.0 + 1 && !file_type.is_nested();
            let small_int = matches!(
                field.data_type(),
                DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::UInt8 | DataType::UInt16
            );
            Ok(Source {
                root,
                leaves: range,
                fast: primitive
                    && small_int
                    && file_type == field.data_type()
                    && leaf.physical_type() == PhysicalType::INT32
                    && leaf.max_rep_level() == 0
                    && leaf.max_def_level() <= 1,
                nullable: leaf.max_def_level() == 1,
            })
        })
        .collect()
}

impl LabelScan {
    /// Plans a scan of `parts` (a table of schema `table` whose first `file_columns` columns
    /// are stored in the files) returning `projection` of the rows that pass every filter.
    pub fn new(
        table: SchemaRef,
        file_columns: usize,
        parts: Vec<Part>,
        projection: Vec<usize>,
        filters: Vec<LabelFilter>,
    ) -> Result<Self> {
        let output = Arc::new(table.project(&projection)?);
        Ok(LabelScan {
            table,
            file_columns,
            parts,
            projection,
            output,
            filters,
        })
    }

    /// The name of table column `c`.
    pub fn column_name(&self, c: usize) -> &str {
        self.table.field(c).name()
    }

    /// The file byte ranges a read of row group `rg` of part `p` needs: the column chunks of
    /// the filter columns and of the projected file columns.
    pub fn ranges(&self, p: usize, rg: usize) -> Vec<std::ops::Range<u64>> {
        let part = &self.parts[p];
        let group = part.meta.metadata().row_group(rg);
        let mut leaves: Vec<usize> = self
            .filters
            .iter()
            .map(|f| f.column)
            .chain(self.projection.iter().copied())
            .filter(|&c| c < self.file_columns)
            .flat_map(|c| part.sources[c].leaves.0..part.sources[c].leaves.1)
            .collect();
        leaves.sort_unstable();
        leaves.dedup();
        leaves
            .into_iter()
            .map(|r| {
                let (start, len) = group.column(r).byte_range();
                start..start + len
            })
            .collect()
    }

    /// Reads row group `rg` of part `p` through `chunks`: the rows passing the filters,
    /// projected; `None` when no row passes.
    pub fn read_row_group(&self, p: usize, chunks: &Chunks, rg: usize) -> Result<Option<RecordBatch>> {
        let part = &self.parts[p];
        let rows = part.meta.metadata().row_group(rg).num_rows().max(0) as usize;
        let mut whole: HashMap<usize, ArrayRef> = HashMap::new();
        let mut masks = Vec::with_capacity(self.filters.len());
        for f in &self.filters {
            let array = match whole.entry(f.column) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(match self.decode(part, chunks, rg, f.column, rows, None) {
                    Some(a) => a,
                    None => self.read_arrow(part, chunks, rg, &[f.column], None)?.remove(0),
                }),
            };
            masks.push(f.evaluate(array)?);
        }
        let selection = conjunction(masks)?;
        let selected = selection.as_ref().map_or(rows, BooleanArray::true_count);
        if selected == 0 {
            return Ok(None);
        }
        // A sparse selection (a subgroup) is read row by row: label values are unpacked only at
        // the selected rows, arrow-rs skips the others. A dense one (a coarse slice such as
        // `Male = 1`) is cheaper to decode whole and filter.
        let rows_at: Option<Vec<u32>> = selection
            .as_ref()
            .filter(|_| selected * SPARSE < rows)
            .map(|s| s.values().set_indices().map(|i| i as u32).collect());
        // The filter's plan (indices or slices) is worked out once for all dense columns.
        let predicate = match (&selection, &rows_at) {
            (Some(s), None) => Some(FilterBuilder::new(s).optimize().build()),
            _ => None,
        };
        let keep = |a: ArrayRef| -> Result<ArrayRef> {
            Ok(match (&predicate, &selection) {
                (Some(p), _) => p.filter(&a)?,
                (None, Some(s)) => filter(&a, s)?,
                (None, None) => a,
            })
        };
        let mut columns: Vec<Option<ArrayRef>> = vec![None; self.projection.len()];
        let mut rest = Vec::new();
        for (k, &c) in self.projection.iter().enumerate() {
            if c >= self.file_columns {
                columns[k] = Some(self.partition_column(part, c, selected)?);
                continue;
            }
            let array = match whole.get(&c) {
                Some(a) => Some(keep(Arc::clone(a))?),
                None => match self.decode(part, chunks, rg, c, rows, rows_at.as_deref()) {
                    Some(a) if rows_at.is_some() => Some(a),
                    Some(a) => Some(keep(a)?),
                    None => None,
                },
            };
            match array {
                Some(a) => columns[k] = Some(self.to_table_type(part, c, &a)?),
                None => rest.push(k),
            }
        }
        if !rest.is_empty() {
            let cols: Vec<usize> = rest.iter().map(|&k| self.projection[k]).collect();
            let arrays = match rows_at {
                Some(_) => self.read_arrow(part, chunks, rg, &cols, selection.as_ref())?,
                None => self
                    .read_arrow(part, chunks, rg, &cols, None)?
                    .into_iter()
                    .map(keep)
                    .collect::<Result<_>>()?,
            };
            for (k, a) in rest.into_iter().zip(arrays) {
                columns[k] = Some(self.to_table_type(part, self.projection[k], &a)?);
            }
        }
        let columns: Vec<ArrayRef> = columns.into_iter().flatten().collect();
        let options = RecordBatchOptions::new().with_row_count(Some(selected));
        Ok(Some(RecordBatch::try_new_with_options(
            Arc::clone(&self.output),
            columns,
            &options,
        )?))
    }

    /// Partition column `c` for `rows` rows of `part`: its value repeated, as the table's type.
    fn partition_column(&self, part: &Part, c: usize, rows: usize) -> Result<ArrayRef> {
        let value = part.partition_values.get(c - self.file_columns).ok_or_else(|| {
            exec_datafusion_err!(
                "{}: no value for partition column {}",
                part.place.name(),
                self.column_name(c)
            )
        })?;
        let array = value.to_array_of_size(rows)?;
        self.to_table_type(part, c, &array)
    }

    /// Table column `c` of row group `rg` (all `rows`, or only `rows_at`), decoded here when it
    /// is a label column; `None` sends it to arrow-rs (other types, or pages this decoder does
    /// not handle).
    fn decode(
        &self,
        part: &Part,
        chunks: &Chunks,
        rg: usize,
        c: usize,
        rows: usize,
        rows_at: Option<&[u32]>,
    ) -> Option<ArrayRef> {
        let s = part.sources[c];
        if !s.fast {
            return None;
        }
        let meta = part.meta.metadata().row_group(rg).column(s.leaves.0);
        let (n, at, f) = (s.nullable, rows_at, chunks);
        let decoded: std::result::Result<ArrayRef, _> = match self.table.field(c).data_type() {
            DataType::Int8 => column::read_ints::<Int8Type>(f, meta, n, rows, at).map(|a| Arc::new(a) as _),
            DataType::Int16 => column::read_ints::<Int16Type>(f, meta, n, rows, at).map(|a| Arc::new(a) as _),
            DataType::Int32 => column::read_ints::<Int32Type>(f, meta, n, rows, at).map(|a| Arc::new(a) as _),
            DataType::UInt8 => column::read_ints::<UInt8Type>(f, meta, n, rows, at).map(|a| Arc::new(a) as _),
            DataType::UInt16 => {
                column::read_ints::<UInt16Type>(f, meta, n, rows, at).map(|a| Arc::new(a) as _)
            }
            other => Err(super::hybrid::Unsupported::new(format!("type {other}"))),
        };
        match decoded {
            Ok(a) => Some(a),
            Err(why) => {
                log::debug!(
                    "{}: column {c} of row group {rg} read by arrow-rs: {}",
                    part.place.name(),
                    why.0
                );
                None
            }
        }
    }

    /// Table columns `cols` of row group `rg` through arrow-rs, only the `selection` rows.
    fn read_arrow(
        &self,
        part: &Part,
        chunks: &Chunks,
        rg: usize,
        cols: &[usize],
        selection: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let at =
            |e: &dyn std::fmt::Display| exec_datafusion_err!("{}: row group {rg}: {e}", part.place.name());
        let roots: Vec<usize> = cols.iter().map(|&c| part.sources[c].root).collect();
        let meta = ArrowReaderMetadata::clone(&part.meta);
        let rows = meta.metadata().row_group(rg).num_rows().max(1) as usize;
        let mask = ProjectionMask::roots(meta.parquet_schema(), roots);
        let mut builder = ParquetRecordBatchReaderBuilder::new_with_metadata(chunks.clone(), meta)
            .with_row_groups(vec![rg])
            .with_projection(mask)
            .with_batch_size(rows);
        if let Some(s) = selection {
            builder = builder.with_row_selection(RowSelection::from_filters(std::slice::from_ref(s)));
        }
        let reader = builder.build().map_err(|e| at(&e))?;
        let schema = reader.schema();
        let batches = reader
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| at(&e))?;
        let batch = concat_batches(&schema, &batches)?;
        cols.iter()
            .map(|&c| {
                let name = self.table.field(c).name();
                batch
                    .column_by_name(name)
                    .cloned()
                    .ok_or_else(|| at(&format!("column {name} missing from the read")))
            })
            .collect()
    }

    /// `array` (file form) as the table's type for column `c`; values that do not fit are an error.
    fn to_table_type(&self, part: &Part, c: usize, array: &ArrayRef) -> Result<ArrayRef> {
        let field = self.table.field(c);
        if array.data_type() == field.data_type() {
            return Ok(Arc::clone(array));
        }
        let options = CastOptions {
            safe: false,
            ..Default::default()
        };
        cast_with_options(array, field.data_type(), &options).map_err(|e| {
            DataFusionError::Execution(format!("{}: column {}: {e}", part.place.name(), field.name()))
        })
    }
}
