//! `images('folder')`: a table of the image files under a folder (recursively), with columns
//! `path` (Utf8), `dataset` (the image's parent folder name) and `bytes` (Int64).

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::{ScalarValue, plan_err};
use datafusion::datasource::MemTable;
use datafusion::error::Result;
use datafusion::logical_expr::Expr;

use crate::mac::input::inputs::list_images;

/// The `images` table function.
#[derive(Debug, Default)]
pub struct ImagesFunction;

impl TableFunctionImpl for ImagesFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let folder = match args.exprs() {
            [
                Expr::Literal(
                    ScalarValue::Utf8(Some(s))
                    | ScalarValue::Utf8View(Some(s))
                    | ScalarValue::LargeUtf8(Some(s)),
                    _,
                ),
            ] => s.clone(),
            _ => {
                return plan_err!(
                    "images: expected one argument, a folder path as a string literal: images('folder')"
                );
            }
        };
        let dir = std::path::Path::new(&folder);
        if !dir.is_dir() {
            return plan_err!("images: '{folder}' is not a folder");
        }
        let files =
            list_images(dir).map_err(|e| datafusion::error::DataFusionError::Plan(format!("images: {e}")))?;
        let paths: StringArray = files
            .iter()
            .map(|p| Some(p.to_string_lossy().into_owned()))
            .collect();
        let datasets: StringArray = files
            .iter()
            .map(|p| {
                p.parent()
                    .and_then(|d| d.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
            })
            .collect();
        let bytes: Int64Array = files
            .iter()
            .map(|p| std::fs::metadata(p).ok().map(|m| m.len() as i64))
            .collect();
        let schema = Arc::new(Schema::new(vec![
            Field::new("path", DataType::Utf8, false),
            Field::new("dataset", DataType::Utf8, true),
            Field::new("bytes", DataType::Int64, true),
        ]));
        let columns: Vec<ArrayRef> = vec![Arc::new(paths), Arc::new(datasets), Arc::new(bytes)];
        let batch = RecordBatch::try_new(schema.clone(), columns)?;
        Ok(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))
    }
}
