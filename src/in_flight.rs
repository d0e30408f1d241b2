//! A count of things under way (puts writing, connections waiting for
//! their PROXY header, sessions' last saves), kept right however each
//! ends: the count goes up when an [`InFlight`] is made and down when it
//! is dropped, on a panic too.

use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One thing counted in `C` (a borrowed or shared counter) while it lives.
pub struct InFlight<C: Deref<Target = AtomicUsize>>(C);

impl<C: Deref<Target = AtomicUsize>> InFlight<C> {
    pub fn enter(count: C) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(count)
    }
}

impl<C: Deref<Target = AtomicUsize>> Drop for InFlight<C> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn counted_while_alive_and_on_a_panic_too() {
        let count = Arc::new(AtomicUsize::new(0));
        let a = InFlight::enter(Arc::clone(&count));
        let b = InFlight::enter(&*count);
        assert_eq!(count.load(Ordering::SeqCst), 2);
        drop((a, b));
        assert_eq!(count.load(Ordering::SeqCst), 0);
        let shared = Arc::clone(&count);
        let _ = std::panic::catch_unwind(move || {
            let _counted = InFlight::enter(shared);
            panic!("a bug");
        });
        assert_eq!(count.load(Ordering::SeqCst), 0);
    }
}
