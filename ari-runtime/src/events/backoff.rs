//! [`Backoff`]: when to try again after the connection was lost, and the jitter that spreads the attempts.

use std::time::Duration;

/// When to try again after the connection was lost: `initial`, then
/// multiplied by `factor` up to `max`, each delay shortened by up to
/// `jitter` (a fraction) so that many clients of one restarted Asterisk do
/// not all come back in the same millisecond.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Backoff {
    /// The delay before the first reconnection attempt.
    pub initial: Duration,
    /// The longest delay between attempts, however many have failed.
    pub max: Duration,
    /// What each delay is multiplied by for the next attempt; 0 counts as 1.
    pub factor: u32,
    /// 0.0 (fixed schedule) to 1.0.
    pub jitter: f64,
    /// Give up (and end the stream) after this many failed attempts in a
    /// row; `None` tries forever.
    pub max_attempts: Option<u32>,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(10),
            factor: 2,
            jitter: 0.2,
            max_attempts: None,
        }
    }
}

impl Backoff {
    /// Delays from `initial` up to `max`, with the default factor (2), jitter (0.2) and no attempt limit.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Backoff {
            initial,
            max,
            ..Backoff::default()
        }
    }

    /// Sets the growth factor of the delays; 0 becomes 1 (a fixed delay).
    pub fn factor(mut self, factor: u32) -> Self {
        self.factor = factor.max(1);
        self
    }

    /// Sets the jitter, clamped to `0.0..=1.0`.
    pub fn jitter(mut self, jitter: f64) -> Self {
        self.jitter = jitter.clamp(0.0, 1.0);
        self
    }

    /// Sets how many failed attempts in a row end the stream; `None` tries forever.
    pub fn max_attempts(mut self, max_attempts: Option<u32>) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// The delay before attempt `attempt` (1-based), without jitter.
    pub fn base_delay(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1);
        let multiplier = self.factor.max(1).saturating_pow(exponent);
        self.initial.saturating_mul(multiplier).min(self.max)
    }

    /// The delay before attempt `attempt`, with jitter drawn from `unit`
    /// (a number in `0.0..1.0`).
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let base = self.base_delay(attempt);
        let shortening = self.jitter.clamp(0.0, 1.0) * unit.clamp(0.0, 1.0);
        // `try_`: a NaN jitter (the field is public) or a huge base must not
        // panic; the plain delay is the fallback.
        Duration::try_from_secs_f64(base.as_secs_f64() * (1.0 - shortening)).unwrap_or(base)
    }
}

/// A number in `0.0..1.0` that differs between calls and processes; jitter
/// needs no better randomness than std's hasher keys.
pub(super) fn jitter_unit() -> f64 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}
