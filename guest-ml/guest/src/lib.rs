//! The opML Wasm guest. Built for `wasm32v1-none` (Wasm 1.0 + mutable globals) by
//! `scripts/build-guest.sh`; it imports nothing and exports its linear memory
//! (`memory`) and `run() -> i32`.
//!
//! Before `run`, the host grows the memory and writes the input and image regions of
//! [`opml_guest_ml::abi`]; `run` executes the model and writes the output region.
//! It returns 0 on success or an [`opml_guest_ml::Error`] code (see
//! `docs/guest-abi.md`); it never reads outside memory: region lengths are checked
//! against the memory size first.
#![no_std]

use core::arch::wasm32;
use opml_guest_ml::abi::{
    ACTIVATION_CAPACITY, IMAGE_ADDR, IMAGE_CAPACITY, INPUT_ADDR, INPUT_CAPACITY, OUTPUT_ADDR,
    OUTPUT_CAPACITY, PAGE,
};
use opml_guest_ml::exec::{infer, Scratch};
use opml_guest_ml::Error;

/// The activation buffers, in `.bss` (below the regions; no data segment).
struct Buffers {
    a: [i8; ACTIVATION_CAPACITY],
    b: [i8; ACTIVATION_CAPACITY],
    acc: [i32; ACTIVATION_CAPACITY],
}

static mut BUFFERS: Buffers = Buffers {
    a: [0; ACTIVATION_CAPACITY],
    b: [0; ACTIVATION_CAPACITY],
    acc: [0; ACTIVATION_CAPACITY],
};

/// Reads the `u32` length field at `addr`, if the field lies inside `mem_len` bytes.
fn length_at(addr: usize, mem_len: usize) -> Option<usize> {
    if addr + 4 > mem_len {
        return None;
    }
    // SAFETY: `addr..addr + 4` is inside linear memory (checked above) and 4-aligned
    // (every region is page-aligned); the regions lie above all Rust data.
    Some(unsafe { core::ptr::read_volatile(addr as *const u32) } as usize)
}

fn run_checked() -> Result<(), Error> {
    let mem_len = wasm32::memory_size(0) * PAGE;
    let output_end = OUTPUT_ADDR + 4 + OUTPUT_CAPACITY;
    if output_end > mem_len {
        return Err(Error::InputRegion);
    }
    let input_len = length_at(INPUT_ADDR, mem_len).ok_or(Error::InputRegion)?;
    if input_len > INPUT_CAPACITY {
        return Err(Error::InputRegion);
    }
    let image_len = length_at(IMAGE_ADDR, mem_len).ok_or(Error::ImageRegion)?;
    if image_len > IMAGE_CAPACITY || IMAGE_ADDR + 4 + image_len > mem_len {
        return Err(Error::ImageRegion);
    }
    // SAFETY: the three payloads are inside memory (checked above), disjoint from each
    // other and from every Rust object (they start at abi::REGION_BASE, above the
    // linker's memory), and nothing else refers to them while `run` executes.
    let (input, image, out) = unsafe {
        (
            core::slice::from_raw_parts((INPUT_ADDR + 4) as *const u8, input_len),
            core::slice::from_raw_parts((IMAGE_ADDR + 4) as *const u8, image_len),
            core::slice::from_raw_parts_mut((OUTPUT_ADDR + 4) as *mut u8, OUTPUT_CAPACITY),
        )
    };
    // SAFETY: wasm32v1-none has no threads and `run` never re-enters itself, so this is
    // the only reference to `BUFFERS` while it lives.
    let buffers = unsafe { &mut *core::ptr::addr_of_mut!(BUFFERS) };
    let scratch = Scratch {
        a: &mut buffers.a,
        b: &mut buffers.b,
        acc: &mut buffers.acc,
    };
    let written = infer(image, input, scratch, out, |_, _| {})?;
    // SAFETY: the output length field is inside memory (checked above) and aligned.
    unsafe { core::ptr::write_volatile(OUTPUT_ADDR as *mut u32, written as u32) };
    Ok(())
}

/// Runs the model in the image region on the input region and writes the output
/// region. Returns 0, or the error code (the output length is then left at 0).
#[no_mangle]
pub extern "C" fn run() -> i32 {
    match run_checked() {
        Ok(()) => 0,
        Err(e) => e.code(),
    }
}

/// Any panic traps: the guest has no way to report a message.
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    wasm32::unreachable()
}
