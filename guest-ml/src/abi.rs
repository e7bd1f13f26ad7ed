//! The guest ABI: fixed, 64 KiB-page-aligned memory regions shared by the Wasm guest,
//! the native path and the host (see `docs/guest-abi.md`).
//!
//! Each region starts with a little-endian `u32` payload length followed by the payload.
//! The regions lie at and above [`REGION_BASE`] (16 MiB), above everything the linker
//! places (stack, data, bss); the guest declares less memory than that and the host
//! grows the memory to [`memory_pages`] before writing the regions and invoking `run`.

/// Size of a Wasm page, and the alignment of every region.
pub const PAGE: usize = 65536;
/// First byte above the linker's memory (stack, data, bss): 16 MiB.
pub const REGION_BASE: usize = 256 * PAGE;
/// Input region: exactly one page, so it is one whole subtree of the memory Merkle tree.
pub const INPUT_ADDR: usize = REGION_BASE;
/// Most input bytes the input region holds (the page minus the length field).
pub const INPUT_CAPACITY: usize = PAGE - 4;
/// Output region: one page, written by the guest.
pub const OUTPUT_ADDR: usize = REGION_BASE + PAGE;
/// Most output bytes the output region holds.
pub const OUTPUT_CAPACITY: usize = PAGE - 4;
/// Image region: from here to the end of memory.
pub const IMAGE_ADDR: usize = REGION_BASE + 2 * PAGE;
/// Largest accepted model image (16 MiB).
pub const IMAGE_CAPACITY: usize = 256 * PAGE;
/// Elements in each of the guest's two int8 activation buffers and its int32
/// accumulator buffer; a model whose activations are larger is rejected.
pub const ACTIVATION_CAPACITY: usize = 1 << 16;

/// Wasm pages the memory needs for an image of `image_len` bytes: up to the end of the
/// image region's payload, rounded up to a page. `None` past [`IMAGE_CAPACITY`].
pub const fn memory_pages(image_len: usize) -> Option<usize> {
    if image_len > IMAGE_CAPACITY {
        return None;
    }
    Some((IMAGE_ADDR + 4 + image_len).div_ceil(PAGE))
}
