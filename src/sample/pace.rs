//! How long runs take in a real project, for the sample and the tests that
//! need a history: skewed, not uniform. Most AI steps take a few minutes, some
//! half an hour; one run in twelve is very slow (a model retrying, a large
//! change). The report's time grows with the work; the bookkeeping steps take
//! seconds; a review a minute or two. Deterministic: a seed gives the same
//! runs every time.

use super::script::Pace;

/// A small deterministic random source (SplitMix64).
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Dice {
        Dice(seed)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A whole number of seconds in [low, high].
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        low + (self.unit() * (high - low + 1) as f64) as i64
    }

    /// Log-normal around `median` (seconds) with spread `sigma`.
    fn log_normal(&mut self, median: f64, sigma: f64) -> i64 {
        // Box–Muller.
        let (u, v) = (self.unit().max(f64::MIN_POSITIVE), self.unit());
        let normal = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
        (median * (sigma * normal).exp()).round().max(1.0) as i64
    }

    /// The pace of one run: a worker run's steps and its review's model call.
    pub fn pace(&mut self) -> Pace {
        let slow = if self.unit() < 1.0 / 12.0 { 4.0 } else { 1.0 };
        let execute_task = self.log_normal(360.0 * slow, 0.6);
        Pace {
            start: self.between(1, 4),
            get_task_info: self.between(0, 2),
            assign_worker: self.between(1, 3),
            execute_task,
            create_report: 15 + execute_task / 12 + self.between(0, 30),
            update_status_done: self.between(1, 2),
            review: self.log_normal(90.0, 0.5),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_skewed_with_a_long_tail() {
        let mut dice = Dice::new(7);
        let mut ai: Vec<i64> = (0..1000).map(|_| dice.pace().execute_task).collect();
        ai.sort_unstable();
        let (median, p95) = (ai[500], ai[950]);
        assert!((240..=480).contains(&median), "median {median} s");
        assert!(p95 > 3 * median, "p95 {p95} s, median {median} s");
        let mean = ai.iter().sum::<i64>() as f64 / ai.len() as f64;
        assert!(mean > median as f64 * 1.2, "mean {mean} above the median {median}");
    }

    #[test]
    fn the_same_seed_gives_the_same_runs() {
        assert_eq!(Dice::new(3).pace(), Dice::new(3).pace());
        assert_ne!(Dice::new(3).pace(), Dice::new(4).pace());
    }
}
