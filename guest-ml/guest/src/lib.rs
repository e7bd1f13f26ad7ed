//! The opML Wasm guest. Built for `wasm32v1-none` (Wasm 1.0 + mutable globals) by
//! `scripts/build-guest.sh`; it imports nothing and exports its linear memory
//! (`memory`) and `run() -> i32`.
//!
//! Before `run`, the host grows the memory and writes the input and image regions of
//! [`opml_guest_ml::abi`]; `run` executes the model and writes the output region.
//! It returns 0 on success or an error code (see `docs/guest-abi.md`): an
//! [`opml_guest_ml::Error`] code for a classifier image, an
//! [`opml_guest_ml::llm::LlmError::guest_code`] for an LLM image (the image region's
//! length field is then [`LLM_IMAGE_TAG`]). It never reads outside memory: region
//! lengths are checked against the memory size first.
#![no_std]

use core::arch::wasm32;
use opml_guest_ml::abi::{
    llm_arena_addr, ACTIVATION_CAPACITY, IMAGE_ADDR, IMAGE_CAPACITY, INPUT_ADDR, INPUT_CAPACITY,
    LLM_IMAGE_ADDR, LLM_IMAGE_LEN_ADDR, LLM_IMAGE_TAG, NODE_DESC_ADDR, NODE_DESC_CAPACITY,
    NODE_TENSORS_ADDR, OUTPUT_ADDR, OUTPUT_CAPACITY, PAGE,
};
use opml_guest_ml::exec::{infer, Scratch};
use opml_guest_ml::llm::graph::LlmImage;
use opml_guest_ml::llm::node::{run_node, NodeDesc, MAX_INPUTS, MAX_WEIGHTS};
use opml_guest_ml::llm::request::run_request;
use opml_guest_ml::llm::LlmError;
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
fn length_at(addr: usize, mem_len: u64) -> Option<usize> {
    if addr as u64 + 4 > mem_len {
        return None;
    }
    // SAFETY: `addr..addr + 4` is inside linear memory (checked above) and 4-aligned
    // (every region and field is); the regions lie above all Rust data.
    Some(unsafe { core::ptr::read_volatile(addr as *const u32) } as usize)
}

fn run_checked() -> Result<(), i32> {
    // Up to 65 536 pages: 2^32 bytes does not fit a wasm32 usize.
    let mem_len = wasm32::memory_size(0) as u64 * PAGE as u64;
    let output_end = OUTPUT_ADDR + 4 + OUTPUT_CAPACITY;
    if output_end as u64 > mem_len {
        return Err(Error::InputRegion.code());
    }
    let input_len = length_at(INPUT_ADDR, mem_len).ok_or(Error::InputRegion.code())?;
    if input_len > INPUT_CAPACITY {
        return Err(Error::InputRegion.code());
    }
    // SAFETY: the input payload is inside memory (checked above: it ends before the
    // output region, which is inside memory), above every Rust object, and only read.
    let input = unsafe { core::slice::from_raw_parts((INPUT_ADDR + 4) as *const u8, input_len) };
    let image_len = length_at(IMAGE_ADDR, mem_len).ok_or(Error::ImageRegion.code())?;
    if image_len == LLM_IMAGE_TAG as usize {
        return run_llm(input, mem_len);
    }
    if image_len > IMAGE_CAPACITY || (IMAGE_ADDR + 4 + image_len) as u64 > mem_len {
        return Err(Error::ImageRegion.code());
    }
    // SAFETY: both payloads are inside memory (checked above), disjoint from each other
    // and from every Rust object (they start at abi::REGION_BASE, above the linker's
    // memory), and nothing else refers to them while `run` executes.
    let (image, out) = unsafe {
        (
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
    let written = infer(image, input, scratch, out, |_, _| {}).map_err(|e| e.code())?;
    // SAFETY: the output length field is inside memory (checked above) and aligned.
    unsafe { core::ptr::write_volatile(OUTPUT_ADDR as *mut u32, written as u32) };
    Ok(())
}

/// The LLM path: the image at `LLM_IMAGE_ADDR` (length at `LLM_IMAGE_LEN_ADDR`), its
/// arena from the next page boundary on, the request in `input`.
fn run_llm(input: &[u8], mem_len: u64) -> Result<(), i32> {
    let region = Error::ImageRegion.code();
    let lo = length_at(LLM_IMAGE_LEN_ADDR, mem_len).ok_or(region)? as u64;
    let hi = length_at(LLM_IMAGE_LEN_ADDR + 4, mem_len).ok_or(region)? as u64;
    let image_len = lo | hi << 32;
    let arena_addr = llm_arena_addr(image_len).ok_or(region)?;
    if arena_addr > mem_len {
        return Err(region);
    }
    // SAFETY: the image lies inside memory (it ends at or before `arena_addr`, checked
    // above), above every Rust object and the input and output regions, and is only
    // read; `image_len < 2^32` since `arena_addr <= mem_len <= 2^32`.
    let bytes =
        unsafe { core::slice::from_raw_parts(LLM_IMAGE_ADDR as *const u8, image_len as usize) };
    let image = LlmImage::parse(bytes).map_err(|e| e.guest_code())?;
    if arena_addr
        .checked_add(image.arena_len)
        .is_none_or(|end| end > mem_len)
    {
        return Err(LlmError::Arena.guest_code());
    }
    // SAFETY: the arena lies inside memory (checked above), page-aligned (so
    // `i32`-aligned), after the image's end, above every other region and Rust object;
    // nothing else refers to it while `run` executes. The output payload lies inside
    // memory (checked by `run_checked`) and is disjoint from the arena, the image, the
    // input and the output length field.
    let (arena, out) = unsafe {
        (
            core::slice::from_raw_parts_mut(
                arena_addr as usize as *mut i32,
                (image.arena_len / 4) as usize,
            ),
            core::slice::from_raw_parts_mut((OUTPUT_ADDR + 4) as *mut u8, OUTPUT_CAPACITY),
        )
    };
    run_request(&image, arena, input, out, |i, _| {
        // SAFETY: the output length field is inside memory (checked by `run_checked`)
        // and aligned; publishing it per id lets a host watching the memory stream.
        unsafe { core::ptr::write_volatile(OUTPUT_ADDR as *mut u32, 4 * (i as u32 + 1)) };
    })
    .map_err(|e| e.guest_code())?;
    Ok(())
}

/// Runs the model in the image region on the input region and writes the output
/// region. Returns 0, or the error code (the output length is then left at 0).
#[no_mangle]
pub extern "C" fn run() -> i32 {
    match run_checked() {
        Ok(()) => 0,
        Err(code) => code,
    }
}

/// One node of an LLM generation graph (a two-phase game's node program): the
/// descriptor at `NODE_DESC_ADDR`, its tensors where it says. Every region must lie in
/// memory at or above `NODE_TENSORS_ADDR`, 4-aligned, and the output and scratch must
/// not overlap any other region.
fn node_checked() -> Result<(), i32> {
    let mem_len = wasm32::memory_size(0) as u64 * PAGE as u64;
    let bad = |word: u32| LlmError::BadNode(word).guest_code();
    if (NODE_DESC_ADDR + NODE_DESC_CAPACITY) as u64 > mem_len {
        return Err(bad(0));
    }
    // SAFETY: the descriptor region is inside memory (checked above), above every Rust
    // object, and only read.
    let desc =
        unsafe { core::slice::from_raw_parts(NODE_DESC_ADDR as *const u8, NODE_DESC_CAPACITY) };
    let d = NodeDesc::parse(desc).map_err(|e| e.guest_code())?;
    let regions = || d.regions();
    for (addr, len) in regions().filter(|&(_, len)| len > 0) {
        if addr < NODE_TENSORS_ADDR as u64 || addr % 4 != 0 || addr + len > mem_len {
            return Err(bad(3));
        }
    }
    let written = [
        (d.out.addr as u64, 4 * d.params.out_words as u64),
        (
            d.params.scratch_addr as u64,
            4 * d.params.scratch_words as u64,
        ),
    ];
    for (i, &(w, wl)) in written.iter().enumerate() {
        let overlaps = regions()
            .enumerate()
            .filter(|&(j, _)| j != d.n_inputs + d.n_weights + i)
            .any(|(_, (a, al))| wl > 0 && al > 0 && w < a + al && a < w + wl);
        if overlaps {
            return Err(bad(3));
        }
    }
    let mut inputs: [&[i32]; MAX_INPUTS] = [&[]; MAX_INPUTS];
    for (slot, t) in inputs.iter_mut().zip(&d.inputs[..d.n_inputs]) {
        // SAFETY: inside memory, 4-aligned, above every Rust object (checked above);
        // read only, and disjoint from the output and scratch written below.
        if t.len > 0 {
            *slot = unsafe {
                core::slice::from_raw_parts(t.addr as usize as *const i32, t.len as usize)
            };
        }
    }
    let mut weights: [&[u8]; MAX_WEIGHTS] = [&[]; MAX_WEIGHTS];
    for (slot, t) in weights.iter_mut().zip(&d.weights[..d.n_weights]) {
        // SAFETY: as for the inputs.
        if t.len > 0 {
            *slot = unsafe {
                core::slice::from_raw_parts(t.addr as usize as *const u8, t.len as usize)
            };
        }
    }
    let (out_len, scratch_len) = (d.params.out_words as usize, d.params.scratch_words as usize);
    let out: &mut [i32] = if out_len == 0 {
        &mut []
    } else {
        // SAFETY: inside memory, 4-aligned, above every Rust object, and disjoint from
        // every other region of the node (checked above): the only reference to it.
        unsafe { core::slice::from_raw_parts_mut(d.out.addr as usize as *mut i32, out_len) }
    };
    let scratch: &mut [i32] = if scratch_len == 0 {
        &mut []
    } else {
        // SAFETY: as for the output.
        unsafe {
            core::slice::from_raw_parts_mut(d.params.scratch_addr as usize as *mut i32, scratch_len)
        }
    };
    run_node(
        &d,
        &inputs[..d.n_inputs],
        &weights[..d.n_weights],
        out,
        scratch,
    )
    .map_err(|e| e.guest_code())
}

/// Computes one node of an LLM generation graph from the descriptor in memory (the
/// node program of a two-phase game). Returns 0, or an error code.
#[no_mangle]
pub extern "C" fn node() -> i32 {
    match node_checked() {
        Ok(()) => 0,
        Err(code) => code,
    }
}

/// Any panic traps: the guest has no way to report a message.
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    wasm32::unreachable()
}
