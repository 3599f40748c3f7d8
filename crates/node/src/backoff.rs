//! One retry policy for everything that waits for something to come back: the dialer
//! reconnecting to a peer, and a front end connecting to a daemon that is starting.

use std::time::{Duration, Instant};

/// Exponential backoff with a ceiling: `initial`, then doubling each failure up to `max`.
/// Pure bookkeeping (no clock inside), so it is cheap to keep one per peer and easy to test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    failures: u32,
}

impl Backoff {
    pub const fn new(initial: Duration, max: Duration) -> Backoff {
        Backoff {
            initial,
            max,
            failures: 0,
        }
    }

    /// The dialer's policy: 1 s doubling to 60 s.
    pub const fn dialer() -> Backoff {
        Backoff::new(Duration::from_secs(1), Duration::from_secs(60))
    }

    /// How long to wait after one more failure (and counts it).
    pub fn next_delay(&mut self) -> Duration {
        let factor = 1u32 << self.failures.min(16);
        self.failures = self.failures.saturating_add(1);
        self.initial.saturating_mul(factor).min(self.max)
    }

    /// After a success: the next failure waits `initial` again.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Calls `attempt` until it succeeds or `deadline` passes, sleeping this thread between
    /// tries as the policy says (for blocking callers, such as a CLI connecting to a daemon's
    /// socket); the last error if it never succeeded.
    pub fn retry_until<T, E>(
        &mut self,
        deadline: Instant,
        mut attempt: impl FnMut() -> Result<T, E>,
    ) -> Result<T, E> {
        loop {
            match attempt() {
                Ok(v) => return Ok(v),
                Err(e) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(e);
                    }
                    std::thread::sleep(self.next_delay().min(deadline - now));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_ceiling_and_reset_after_a_success() {
        let mut b = Backoff::dialer();
        let secs: Vec<u64> = (0..8).map(|_| b.next_delay().as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60]);
        for _ in 0..100 {
            assert_eq!(b.next_delay(), Duration::from_secs(60), "no overflow");
        }
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_secs(1));
    }

    #[test]
    fn retry_gives_up_at_the_deadline_with_the_last_error() {
        let mut b = Backoff::new(Duration::from_millis(1), Duration::from_millis(4));
        let mut tries = 0;
        let started = Instant::now();
        let r: Result<(), u32> = b.retry_until(started + Duration::from_millis(30), || {
            tries += 1;
            Err(tries)
        });
        assert_eq!(r, Err(tries));
        assert!(tries > 3, "{tries}");
        let mut n = 0;
        let ok = Backoff::new(Duration::from_millis(1), Duration::from_millis(1)).retry_until(
            Instant::now() + Duration::from_secs(5),
            || {
                n += 1;
                if n == 3 {
                    Ok(n)
                } else {
                    Err(())
                }
            },
        );
        assert_eq!(ok, Ok(3));
    }
}
