//! Embeddings held in memory for the table functions that compare many of them: a row-major
//! matrix of the stored f32 values with each row's inverse norm, so that a cosine similarity is
//! one f64 dot product (the vectors are not rounded through a normalised f32 copy).

/// Rows of one dimension, each with its inverse Euclidean norm.
#[derive(Debug, Clone, Default)]
pub struct FaceMatrix {
    dim: usize,
    values: Vec<f32>,
    inv_norm: Vec<f64>,
}

/// The dot product of two vectors of one length, accumulated in f64.
pub fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(&x, &y)| f64::from(x) * f64::from(y)).sum()
}

/// 1 / ‖v‖, or `None` for a zero (or non-finite) vector, which has no direction.
pub fn inverse_norm(v: &[f32]) -> Option<f64> {
    let n = dot(v, v).sqrt();
    (n > 0.0 && n.is_finite()).then(|| 1.0 / n)
}

impl FaceMatrix {
    /// An empty matrix of rows of `dim` values.
    pub fn new(dim: usize) -> Self {
        Self {
            dim,
            ..Self::default()
        }
    }

    /// Appends `row` (of the matrix's dimension); returns false, appending nothing, for a zero
    /// vector.
    pub fn push(&mut self, row: &[f32]) -> bool {
        debug_assert_eq!(row.len(), self.dim);
        match inverse_norm(row) {
            Some(inv) => {
                self.values.extend_from_slice(row);
                self.inv_norm.push(inv);
                true
            }
            None => false,
        }
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.inv_norm.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.inv_norm.is_empty()
    }

    /// The dimension of the rows.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Row `i` as stored.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.values[i * self.dim..(i + 1) * self.dim]
    }

    /// 1 / ‖row i‖.
    pub fn inv_norm(&self, i: usize) -> f64 {
        self.inv_norm[i]
    }

    /// Cosine similarity of rows `i` and `j`.
    pub fn cosine(&self, i: usize, j: usize) -> f64 {
        dot(self.row(i), self.row(j)) * self.inv_norm[i] * self.inv_norm[j]
    }

    /// Row `i` scaled to unit length, in f64.
    pub fn unit_row(&self, i: usize) -> Vec<f64> {
        let inv = self.inv_norm[i];
        self.row(i).iter().map(|&x| f64::from(x) * inv).collect()
    }

    /// The rows in the order `order` (a permutation of some of them).
    pub fn select(&self, order: &[usize]) -> Self {
        let mut out = Self::new(self.dim);
        for &i in order {
            out.values.extend_from_slice(self.row(i));
            out.inv_norm.push(self.inv_norm[i]);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_is_scale_free_and_zero_rows_are_refused() {
        let mut m = FaceMatrix::new(2);
        assert!(m.push(&[3.0, 4.0]));
        assert!(!m.push(&[0.0, 0.0]));
        assert!(m.push(&[0.0, 2.0]));
        assert_eq!(m.len(), 2);
        assert!((m.cosine(0, 1) - 0.8).abs() < 1e-12);
        assert!((m.cosine(0, 0) - 1.0).abs() < 1e-12);
        let u = m.unit_row(0);
        assert!((u[0] - 0.6).abs() < 1e-12 && (u[1] - 0.8).abs() < 1e-12);
        let s = m.select(&[1, 0]);
        assert_eq!(s.row(0), &[0.0, 2.0]);
    }
}
