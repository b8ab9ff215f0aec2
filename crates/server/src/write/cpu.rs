//! Where a write's CPU work runs: parsing, validating and building the Arrow columns of a body of
//! up to `--max-request-size` bytes takes long enough to starve the async workers that answer
//! `/health` and small writes, so a large body's work runs on a thread of its own.
//!
//! `tokio::task::block_in_place` hands the worker's queued tasks to another thread for the duration,
//! so the runtime keeps every worker for async work while the body is checked, and the body is
//! borrowed where it is (no `'static` copy of up to 10 MB). At most one large body per core is
//! checked at a time; more wait (asynchronously) for a slot.
use std::num::NonZeroUsize;

use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::sync::Semaphore;

/// Bodies smaller than this are checked where the request runs: they take well under a
/// millisecond, less than handing them to another thread.
pub const OFFLOAD_BODY_BYTES: usize = 64 * 1024;

/// The slots for large bodies' CPU work.
pub struct CpuSlots {
    slots: Semaphore,
}

impl Default for CpuSlots {
    /// One slot per core.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        CpuSlots {
            slots: Semaphore::new(cores),
        }
    }
}

impl CpuSlots {
    /// Runs `work` for a body of `body_len` bytes: inline when it is small, else in a slot off the
    /// async workers. A current-thread runtime has no other worker to hand its tasks to, so there
    /// everything runs inline.
    pub async fn run<T>(&self, body_len: usize, work: impl FnOnce() -> T) -> T {
        let multi_thread =
            Handle::try_current().is_ok_and(|h| h.runtime_flavor() == RuntimeFlavor::MultiThread);
        if body_len < OFFLOAD_BODY_BYTES || !multi_thread {
            return work();
        }
        // The semaphore is never closed, so the permit is always granted.
        let _slot = self.slots.acquire().await;
        tokio::task::block_in_place(work)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// While two large bodies' work keeps two threads busy, a timer task on the runtime still runs
    /// on time.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn large_work_leaves_the_workers_free() {
        let slots = std::sync::Arc::new(CpuSlots::default());
        let busy = |slots: std::sync::Arc<CpuSlots>| async move {
            slots
                .run(OFFLOAD_BODY_BYTES, || {
                    let start = Instant::now();
                    while start.elapsed() < Duration::from_millis(600) {
                        std::hint::spin_loop();
                    }
                })
                .await;
        };
        let a = tokio::spawn(busy(slots.clone()));
        let b = tokio::spawn(busy(slots.clone()));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut worst = Duration::ZERO;
        for _ in 0..10 {
            let start = Instant::now();
            tokio::time::sleep(Duration::from_millis(10)).await;
            worst = worst.max(start.elapsed());
        }
        assert!(
            worst < Duration::from_millis(100),
            "a 10 ms sleep took {worst:?}"
        );
        a.await.unwrap();
        b.await.unwrap();
    }
}
