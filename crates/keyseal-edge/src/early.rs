//! The early keyring refresh an unknown key id triggers: at most one per window, however
//! many requests ask for it, so forged key ids cannot make the edge hammer its source.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

const NEVER: u64 = u64::MAX;

/// A rate-limited, single-flight wake-up for the keyring refresher. Triggering costs a
/// couple of atomic operations and never waits: it is called on the request path.
#[derive(Debug)]
pub(crate) struct EarlyRefresh {
    base: Instant,
    window_ms: u64,
    /// Milliseconds since `base` of the last granted trigger, or `NEVER`.
    last_granted_ms: AtomicU64,
    granted: AtomicU64,
    pub(crate) wake: Notify,
}

impl EarlyRefresh {
    pub(crate) fn new(window: Duration) -> EarlyRefresh {
        EarlyRefresh {
            base: Instant::now(),
            window_ms: u64::try_from(window.as_millis()).unwrap_or(u64::MAX),
            last_granted_ms: AtomicU64::new(NEVER),
            granted: AtomicU64::new(0),
            wake: Notify::new(),
        }
    }

    /// Asks for an early refresh; granted (and the refresher woken) at most once per
    /// window. Returns whether this call was the one granted.
    pub(crate) fn trigger(&self) -> bool {
        let now = u64::try_from(self.base.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        let last = self.last_granted_ms.load(Ordering::Acquire);
        if last != NEVER && now.saturating_sub(last) < self.window_ms {
            return false;
        }
        // One caller wins the exchange; the others saw a changed value and give up.
        if self
            .last_granted_ms
            .compare_exchange(last, now, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return false;
        }
        self.granted.fetch_add(1, Ordering::Relaxed);
        // `notify_one` stores a permit if the refresher is busy: the refresh is not lost,
        // and several grants while busy still make one refresh.
        self.wake.notify_one();
        true
    }

    /// How many early refreshes were granted.
    pub(crate) fn granted(&self) -> u64 {
        self.granted.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn grants_once_per_window_across_threads() {
        let early = std::sync::Arc::new(EarlyRefresh::new(Duration::from_secs(30)));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let early = std::sync::Arc::clone(&early);
                std::thread::spawn(move || (0..10_000).filter(|_| early.trigger()).count())
            })
            .collect();
        let granted: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(granted, 1);
        assert_eq!(early.granted(), 1);
    }

    #[test]
    fn grants_again_after_the_window() {
        let early = EarlyRefresh::new(Duration::from_millis(20));
        assert!(early.trigger());
        assert!(!early.trigger());
        std::thread::sleep(Duration::from_millis(30));
        assert!(early.trigger());
    }
}
