//! The opML Wasm guest. Built for `wasm32v1-none` (Wasm 1.0 + mutable globals) by
//! `scripts/build-guest.sh`; it imports nothing and exports its linear memory
//! (`memory`) and `run`.
#![no_std]

use opml_guest_ml::smoke::{self, COLS, ROWS};

/// The smoke workload's buffers. They live in `.bss` (zero-initialized memory), so
/// they add no data segment to the module.
struct Buffers {
    weights: [i8; ROWS * COLS],
    input: [i8; COLS],
    out: [i32; ROWS],
}

static mut BUFFERS: Buffers = Buffers {
    weights: [0; ROWS * COLS],
    input: [0; COLS],
    out: [0; ROWS],
};

/// Runs the smoke workload ([`smoke::run`]) on the static buffers and returns its
/// checksum. Traps (`unreachable`) if the kernel rejects the buffer shapes.
#[no_mangle]
pub extern "C" fn run() -> i32 {
    // SAFETY: wasm32v1-none has no threads and `run` never re-enters itself, so this is
    // the only reference to `BUFFERS` while it lives.
    let buffers = unsafe { &mut *core::ptr::addr_of_mut!(BUFFERS) };
    match smoke::run(&mut buffers.weights, &mut buffers.input, &mut buffers.out) {
        Ok(checksum) => checksum,
        Err(_) => core::arch::wasm32::unreachable(),
    }
}

/// Any panic traps: the guest has no way to report a message.
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}
