//! The threads queries run on: a tokio runtime of their own, so planning and executing a query never
//! runs on (or starves) the threads that serve `/health` and writes.
//!
//! Its threads have a large stack, since DataFusion plans and evaluates by recursion, and (on Linux) a
//! lower scheduling priority, so CPU-heavy queries yield the cores to writes.
use tokio::runtime::{Builder, Handle, Runtime};

/// Stack of each query thread. Only the pages a query touches are resident.
const STACK_SIZE: usize = 64 * 1024 * 1024;
/// Nice value of query threads (0 is the default; 19 the lowest priority).
#[cfg(target_os = "linux")]
const NICE: libc::c_int = 10;

#[derive(Debug)]
pub struct QueryRuntime {
    /// `None` only while dropping.
    runtime: Option<Runtime>,
}

impl QueryRuntime {
    pub fn new(threads: usize) -> std::io::Result<Self> {
        let runtime = Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("linewise-query")
            .thread_stack_size(STACK_SIZE)
            .on_thread_start(lower_priority)
            .enable_all()
            .build()?;
        Ok(Self {
            runtime: Some(runtime),
        })
    }

    pub fn handle(&self) -> &Handle {
        self.runtime
            .as_ref()
            .expect("the runtime is only taken on drop")
            .handle()
    }
}

impl Drop for QueryRuntime {
    /// Without waiting for running queries: dropping a runtime from async code (where the engine ends
    /// its life at shutdown) must not block.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[cfg(target_os = "linux")]
fn lower_priority() {
    // SAFETY: setpriority only reads its integer arguments; on Linux it applies to the calling thread
    // when given its thread id. Failing (it cannot, when lowering) leaves the default priority.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, NICE);
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}
