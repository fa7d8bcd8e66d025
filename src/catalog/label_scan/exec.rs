//! `LabelScanExec`: the physical plan of a label scan, the row groups of its files split over
//! partitions that each decode on a blocking thread.

use std::fmt;
use std::fs::File;
use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchReceiverStream;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties};

use super::scan::LabelScan;

/// Scans flat Parquet files, evaluating label filters while decoding.
#[derive(Debug)]
pub struct LabelScanExec {
    scan: Arc<LabelScan>,
    /// The (part, row group) pairs each partition reads, in file order.
    groups: Vec<Vec<(usize, usize)>>,
    limit: Option<usize>,
    properties: Arc<PlanProperties>,
}

impl LabelScanExec {
    /// Splits the row groups of `scan`'s files into at most `partitions` runs of similar row
    /// counts.
    pub fn new(scan: LabelScan, partitions: usize, limit: Option<usize>) -> Self {
        // Every (part, row group) with its rows, in file order.
        let (units, rows): (Vec<(usize, usize)>, Vec<usize>) = scan
            .parts
            .iter()
            .enumerate()
            .flat_map(|(p, part)| {
                let rows = part.row_group_rows();
                rows.into_iter().enumerate().map(move |(rg, n)| ((p, rg), n))
            })
            .unzip();
        let groups: Vec<Vec<(usize, usize)>> = split(&rows, partitions.max(1))
            .into_iter()
            .map(|g| g.into_iter().map(|i| units[i]).collect())
            .collect();
        let properties = PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&scan.output)),
            Partitioning::UnknownPartitioning(groups.len().max(1)),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        LabelScanExec {
            scan: Arc::new(scan),
            groups,
            limit,
            properties: Arc::new(properties),
        }
    }
}

/// Contiguous runs of row groups, at most `parts`, each near an equal share of the rows.
fn split(rows: &[usize], parts: usize) -> Vec<Vec<usize>> {
    let total: usize = rows.iter().sum();
    let share = total.div_ceil(parts).max(1);
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut in_current = 0usize;
    for (i, &n) in rows.iter().enumerate() {
        if groups.is_empty() || (in_current >= share && groups.len() < parts) {
            groups.push(Vec::new());
            in_current = 0;
        }
        if let Some(g) = groups.last_mut() {
            g.push(i);
        }
        in_current += n;
    }
    groups
}

impl DisplayAs for LabelScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let names: Vec<&str> = self
            .scan
            .output
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect();
        let filters: Vec<String> = self
            .scan
            .filters
            .iter()
            .map(|flt| {
                let values: Vec<String> = flt.values.iter().map(i64::to_string).collect();
                format!("{} IN ({})", self.scan.column_name(flt.column), values.join(", "))
            })
            .collect();
        let files = match self.scan.parts.as_slice() {
            [one] => format!("file={}", one.place.name()),
            parts => format!(
                "files={} ({} ...)",
                parts.len(),
                parts.first().map(|p| p.place.name()).unwrap_or_default()
            ),
        };
        write!(
            f,
            "LabelScanExec: {files}, row_groups={}, filters=[{}], projection=[{}]",
            self.groups.iter().map(Vec::len).sum::<usize>(),
            filters.join(", "),
            names.join(", ")
        )?;
        if let Some(l) = self.limit {
            write!(f, ", limit={l}")?;
        }
        Ok(())
    }
}

impl ExecutionPlan for LabelScanExec {
    fn name(&self) -> &str {
        "LabelScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let row_groups = self.groups.get(partition).cloned().unwrap_or_default();
        let scan = Arc::clone(&self.scan);
        let batch_size = context.session_config().batch_size().max(1);
        let mut left = self.limit.unwrap_or(usize::MAX);
        let mut builder = RecordBatchReceiverStream::builder(Arc::clone(&scan.output), 2);
        let tx = builder.tx();
        builder.spawn_blocking(move || {
            // The part being read and its local file, opened on first use.
            let (mut current, mut open): (Option<usize>, Option<Arc<File>>) = (None, None);
            for (p, rg) in row_groups {
                if left == 0 {
                    break;
                }
                if current != Some(p) {
                    (current, open) = (Some(p), None);
                }
                let chunks = scan.parts[p].place.chunks(&mut open, scan.ranges(p, rg))?;
                let Some(batch) = scan.read_row_group(p, &chunks, rg)? else {
                    continue;
                };
                let batch = batch.slice(0, batch.num_rows().min(left));
                left -= batch.num_rows();
                let mut offset = 0;
                while offset < batch.num_rows() {
                    let len = batch_size.min(batch.num_rows() - offset);
                    if tx.blocking_send(Ok(batch.slice(offset, len))).is_err() {
                        return Ok(()); // the consumer is gone (LIMIT reached, query cancelled)
                    }
                    offset += len;
                }
            }
            Ok(())
        });
        Ok(builder.build())
    }
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn row_groups_split_into_contiguous_even_runs() {
        assert_eq!(split(&[10, 10, 10, 10], 2), vec![vec![0, 1], vec![2, 3]]);
        assert_eq!(split(&[10, 10, 10], 8), vec![vec![0], vec![1], vec![2]]);
        assert_eq!(split(&[100, 1, 1, 1], 2), vec![vec![0], vec![1, 2, 3]]);
        assert_eq!(
            split(&[5; 35], 2).iter().map(Vec::len).collect::<Vec<_>>(),
            vec![18, 17]
        );
        assert!(split(&[], 2).is_empty());
    }
}
