//! Reading one row group of a label scan: the filter columns first, then only the selected rows
//! of the projected columns (integer label columns decoded here, the rest by arrow-rs).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, RecordBatchOptions, RecordBatchReader};
use arrow::compute::{CastOptions, FilterBuilder, cast_with_options, concat_batches, filter};
use arrow::datatypes::{DataType, Int8Type, Int16Type, Int32Type, SchemaRef, UInt8Type, UInt16Type};
use datafusion::common::{DataFusionError, Result, exec_datafusion_err};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder, RowSelection,
};
use parquet::basic::Type as PhysicalType;

use super::column;
use super::filter::{LabelFilter, conjunction};

/// A selection of under 1 row in `SPARSE` is read row by row, a denser one whole then filtered.
const SPARSE: usize = 4;

/// Where a table column lives in the file, and whether it is decoded here.
#[derive(Debug, Clone, Copy)]
struct Source {
    /// Root (and, in a flat file, leaf) index in the file.
    root: usize,
    /// A flat INT32 column of a type up to 32 bits: decoded by `column::read_ints`.
    fast: bool,
    /// Its definition level can be 1 (the column is optional).
    nullable: bool,
}

/// A filtered, projected scan of one flat Parquet file.
#[derive(Debug)]
pub struct LabelScan {
    path: PathBuf,
    meta: ArrowReaderMetadata,
    table: SchemaRef,
    sources: Vec<Source>,
    /// Table column indices to return.
    pub projection: Vec<usize>,
    /// The output schema (`table` projected).
    pub output: SchemaRef,
    /// The filters every returned row passes.
    pub filters: Vec<LabelFilter>,
}

/// Why a file is not flat enough for a label scan (it is then read by DataFusion alone).
pub fn check_flat(path: &Path, table: &SchemaRef) -> std::result::Result<(), String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let meta = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new()).map_err(|e| e.to_string())?;
    sources(&meta, table).map(|_| ())
}

/// Maps every table column to its file column; an error when the file is not flat or a column
/// cannot be cast to the table's type.
fn sources(meta: &ArrowReaderMetadata, table: &SchemaRef) -> std::result::Result<Vec<Source>, String> {
    let file_schema = meta.schema();
    let descr = meta.parquet_schema();
    if descr.num_columns() != file_schema.fields().len() {
        return Err("nested columns".into());
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
            let leaf = descr.column(root);
            let small_int = matches!(
                field.data_type(),
                DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::UInt8 | DataType::UInt16
            );
            Ok(Source {
                root,
                fast: small_int
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
    /// Plans a scan of `path` (registered with schema `table`) returning `projection` of the
    /// rows that pass every filter.
    pub fn try_new(
        path: &Path,
        table: SchemaRef,
        projection: Vec<usize>,
        filters: Vec<LabelFilter>,
    ) -> Result<Self> {
        let file = File::open(path).map_err(|e| exec_datafusion_err!("{}: {e}", path.display()))?;
        let meta = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
            .map_err(|e| exec_datafusion_err!("{}: {e}", path.display()))?;
        let sources = sources(&meta, &table).map_err(|e| {
            exec_datafusion_err!(
                "{}: the file changed since it was registered ({e}); register it again",
                path.display()
            )
        })?;
        let output = Arc::new(table.project(&projection)?);
        Ok(LabelScan {
            path: path.to_path_buf(),
            meta,
            table,
            sources,
            projection,
            output,
            filters,
        })
    }

    /// The file scanned.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The name of table column `c`.
    pub fn column_name(&self, c: usize) -> &str {
        self.table.field(c).name()
    }

    /// The number of rows in each row group.
    pub fn row_group_rows(&self) -> Vec<usize> {
        let rgs = self.meta.metadata().row_groups();
        rgs.iter().map(|rg| rg.num_rows().max(0) as usize).collect()
    }

    /// Reads row group `rg` through `file`: the rows passing the filters, projected; `None` when
    /// no row passes.
    pub fn read_row_group(&self, file: &File, rg: usize) -> Result<Option<RecordBatch>> {
        let rows = self.meta.metadata().row_group(rg).num_rows().max(0) as usize;
        let mut whole: HashMap<usize, ArrayRef> = HashMap::new();
        let mut masks = Vec::with_capacity(self.filters.len());
        for f in &self.filters {
            let array = match whole.entry(f.column) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(match self.decode(file, rg, f.column, rows, None) {
                    Some(a) => a,
                    None => self.read_arrow(file, rg, &[f.column], None)?.remove(0),
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
            let array = match whole.get(&c) {
                Some(a) => Some(keep(Arc::clone(a))?),
                None => match self.decode(file, rg, c, rows, rows_at.as_deref()) {
                    Some(a) if rows_at.is_some() => Some(a),
                    Some(a) => Some(keep(a)?),
                    None => None,
                },
            };
            match array {
                Some(a) => columns[k] = Some(self.to_table_type(c, &a)?),
                None => rest.push(k),
            }
        }
        if !rest.is_empty() {
            let cols: Vec<usize> = rest.iter().map(|&k| self.projection[k]).collect();
            let arrays = match rows_at {
                Some(_) => self.read_arrow(file, rg, &cols, selection.as_ref())?,
                None => self
                    .read_arrow(file, rg, &cols, None)?
                    .into_iter()
                    .map(keep)
                    .collect::<Result<_>>()?,
            };
            for (k, a) in rest.into_iter().zip(arrays) {
                columns[k] = Some(self.to_table_type(self.projection[k], &a)?);
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

    /// Table column `c` of row group `rg` (all `rows`, or only `rows_at`), decoded here when it
    /// is a label column; `None` sends it to arrow-rs (other types, or pages this decoder does
    /// not handle).
    fn decode(
        &self,
        file: &File,
        rg: usize,
        c: usize,
        rows: usize,
        rows_at: Option<&[u32]>,
    ) -> Option<ArrayRef> {
        let s = self.sources[c];
        if !s.fast {
            return None;
        }
        let meta = self.meta.metadata().row_group(rg).column(s.root);
        let (n, at) = (s.nullable, rows_at);
        let decoded: std::result::Result<ArrayRef, _> = match self.table.field(c).data_type() {
            DataType::Int8 => {
                column::read_ints::<Int8Type>(file, meta, n, rows, at).map(|a| Arc::new(a) as _)
            }
            DataType::Int16 => {
                column::read_ints::<Int16Type>(file, meta, n, rows, at).map(|a| Arc::new(a) as _)
            }
            DataType::Int32 => {
                column::read_ints::<Int32Type>(file, meta, n, rows, at).map(|a| Arc::new(a) as _)
            }
            DataType::UInt8 => {
                column::read_ints::<UInt8Type>(file, meta, n, rows, at).map(|a| Arc::new(a) as _)
            }
            DataType::UInt16 => {
                column::read_ints::<UInt16Type>(file, meta, n, rows, at).map(|a| Arc::new(a) as _)
            }
            other => Err(super::hybrid::Unsupported::new(format!("type {other}"))),
        };
        match decoded {
            Ok(a) => Some(a),
            Err(why) => {
                log::debug!(
                    "{}: column {c} of row group {rg} read by arrow-rs: {}",
                    self.path.display(),
                    why.0
                );
                None
            }
        }
    }

    /// Table columns `cols` of row group `rg` through arrow-rs, only the `selection` rows.
    fn read_arrow(
        &self,
        file: &File,
        rg: usize,
        cols: &[usize],
        selection: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let at =
            |e: &dyn std::fmt::Display| exec_datafusion_err!("{}: row group {rg}: {e}", self.path.display());
        let roots: Vec<usize> = cols.iter().map(|&c| self.sources[c].root).collect();
        let input = file.try_clone().map_err(|e| at(&e))?;
        let rows = self.meta.metadata().row_group(rg).num_rows().max(1) as usize;
        let mut builder = ParquetRecordBatchReaderBuilder::new_with_metadata(input, self.meta.clone())
            .with_row_groups(vec![rg])
            .with_projection(ProjectionMask::roots(self.meta.parquet_schema(), roots))
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
    fn to_table_type(&self, c: usize, array: &ArrayRef) -> Result<ArrayRef> {
        let field = self.table.field(c);
        if array.data_type() == field.data_type() {
            return Ok(Arc::clone(array));
        }
        let options = CastOptions {
            safe: false,
            ..Default::default()
        };
        cast_with_options(array, field.data_type(), &options).map_err(|e| {
            DataFusionError::Execution(format!("{}: column {}: {e}", self.path.display(), field.name()))
        })
    }
}
