//! A private async runtime on its own thread, so that the synchronous [`Backend`] interface
//! can drive async network clients from anywhere: from the state saver's thread, and from
//! inside the command's own runtime, where blocking on another runtime would panic.
//!
//! [`Backend`]: fireform_state::Backend

use std::future::Future;
use std::sync::mpsc;

/// The runtime of one backend.
#[derive(Debug)]
pub(crate) struct Worker {
    runtime: Option<tokio::runtime::Runtime>,
}

impl Worker {
    /// Starts a one-thread runtime named `name`.
    pub(crate) fn new(name: &str) -> std::io::Result<Worker> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name(name)
            .enable_all()
            .build()?;
        Ok(Worker { runtime: Some(runtime) })
    }

    /// Runs `future` on the worker and waits for its result, blocking this thread. `None` when
    /// the worker is gone or the future panicked.
    pub(crate) fn run<T, F>(&self, future: F) -> Option<T>
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let runtime = self.runtime.as_ref()?;
        let (sender, receiver) = mpsc::sync_channel(1);
        runtime.spawn(async move {
            let _ = sender.send(future.await);
        });
        receiver.recv().ok()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which panics inside another runtime: let it go quietly.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_from_a_plain_thread_and_from_inside_another_runtime() {
        let worker = Worker::new("test-worker").unwrap();
        assert_eq!(worker.run(async { 1 + 1 }), Some(2));
        let outer = tokio::runtime::Builder::new_multi_thread().worker_threads(1).build().unwrap();
        let answer = outer.block_on(async { worker.run(async { 40 + 2 }) });
        assert_eq!(answer, Some(42));
        outer.block_on(async move { drop(worker) });
    }
}
