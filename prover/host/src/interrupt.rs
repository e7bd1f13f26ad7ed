//! Ctrl-C handling: long commands poll [`requested`] between chunks of work and stop
//! cleanly, leaving nothing half-written.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs the Ctrl-C handler (once; later calls are no-ops).
pub fn install() {
    // An error here means a handler is already installed, which is what we want.
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
}

/// Whether Ctrl-C was pressed.
pub fn requested() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Sleeps for `d`, or less when Ctrl-C is pressed meanwhile.
pub fn sleep(d: std::time::Duration) {
    let end = std::time::Instant::now() + d;
    while !requested() {
        let left = end.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(std::time::Duration::from_millis(50)));
    }
}
