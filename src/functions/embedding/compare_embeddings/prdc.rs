//! Precision, recall, density and coverage (Naeem et al. 2020, the `prdc` package's
//! definitions) from the counts of one nearest-neighbour pass ([`super::knn::cross`]).

/// PRDC of a fake set against a real one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prdc {
    /// Share of fake points inside at least one real k-NN ball.
    pub precision: f64,
    /// Share of real points inside at least one fake k-NN ball.
    pub recall: f64,
    /// Real balls holding each fake point, averaged and divided by k.
    pub density: f64,
    /// Share of real points whose nearest fake point lies inside their own ball.
    pub coverage: f64,
}

/// PRDC from, for each real point, its squared ball radius, the fake balls holding it and the
/// fake points its own ball holds, and for each fake point the real balls holding it. Every
/// comparison is strict (`<`), as in the `prdc` package; its coverage asks whether the nearest
/// fake point is inside the ball, which is whether the ball holds any fake point.
pub fn prdc(
    k: usize,
    real_radii: &[f64],
    real_in_fake_balls: &[u32],
    real_ball_holds: &[u32],
    fake_in_real_balls: &[u32],
) -> Prdc {
    let (nr, nf) = (real_radii.len() as f64, fake_in_real_balls.len() as f64);
    let share = |hits: usize, n: f64| hits as f64 / n;
    Prdc {
        precision: share(fake_in_real_balls.iter().filter(|&&c| c > 0).count(), nf),
        recall: share(real_in_fake_balls.iter().filter(|&&c| c > 0).count(), nr),
        density: fake_in_real_balls.iter().map(|&c| f64::from(c)).sum::<f64>() / (k as f64 * nf),
        coverage: share(real_ball_holds.iter().filter(|&&c| c > 0).count(), nr),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_follow_the_definitions() {
        // Two real points (radii² 1 and 4), three fake points.
        let p = prdc(2, &[1.0, 4.0], &[0, 3], &[0, 2], &[2, 0, 1]);
        assert_eq!(p.precision, 2.0 / 3.0);
        assert_eq!(p.recall, 0.5);
        assert_eq!(p.density, 3.0 / 6.0);
        // Point 0's ball holds no fake point (one on its edge is not inside): not covered.
        assert_eq!(p.coverage, 0.5);
    }
}
