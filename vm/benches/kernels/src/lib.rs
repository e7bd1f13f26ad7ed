//! Benchmark kernels for the interpreter (issue 16): the guest's own integer inner loops,
//! compiled by LLVM for `wasm32v1-none` exactly as the guest compiles them, each behind
//! an export `fn(reps: i32) -> i32` that runs the kernel `reps` times on fixed
//! pseudo-random data in `.bss` and returns a checksum (so engines can be compared).
//!
//! - `gemv_i8`: the classifier's int8 × int8 → i32 matrix-vector product
//!   ([`opml_guest_ml::kernels::gemv_i8`]), 16 rows of 784 columns;
//! - `q4_matmul`: the LLM's SWAR Q4_1 block matmul
//!   ([`opml_guest_ml::llm::quant::matmul`]), 16 rows of 576 columns (18 blocks);
//! - `q8_matmul`: the same for Q8_0 (the tied LM head), 16 rows of 576 columns.
#![no_std]

use core::hint::black_box;
use opml_guest_ml::kernels::gemv_i8;
use opml_guest_ml::llm::quant::{act_words, matmul, WeightType, ACT_BLOCK_WORDS, QK};

const ROWS: usize = 16;
const GEMV_COLS: usize = 784;
const COLS: usize = 576;
const BLOCKS: usize = COLS / QK;

struct Data {
    w8: [i8; ROWS * GEMV_COLS],
    x8: [i8; GEMV_COLS],
    wq4: [u8; ROWS * BLOCKS * 20],
    wq8: [u8; ROWS * BLOCKS * 34],
    act: [i32; 1 + BLOCKS * ACT_BLOCK_WORDS],
    out: [i32; ROWS],
}

static mut DATA: Data = Data {
    w8: [0; ROWS * GEMV_COLS],
    x8: [0; GEMV_COLS],
    wq4: [0; ROWS * BLOCKS * 20],
    wq8: [0; ROWS * BLOCKS * 34],
    act: [0; 1 + BLOCKS * ACT_BLOCK_WORDS],
    out: [0; ROWS],
};

/// A xorshift byte stream.
fn fill(bytes: &mut [u8], seed: u32) {
    let mut s = seed | 1;
    for b in bytes {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        *b = (s >> 24) as u8;
    }
}

fn data() -> &'static mut Data {
    // SAFETY: the module is single-threaded and each export takes this one reference
    // for its whole duration; no other reference to DATA exists meanwhile.
    unsafe { &mut *core::ptr::addr_of_mut!(DATA) }
}

/// Fills the inputs once per call (not per repetition).
fn setup(d: &mut Data) {
    fill(bytemuck(&mut d.w8), 1);
    fill(bytemuck(&mut d.x8), 2);
    fill(&mut d.wq4, 3);
    fill(&mut d.wq8, 4);
    let mut words = [0u8; 4 * (1 + BLOCKS * ACT_BLOCK_WORDS)];
    fill(&mut words, 5);
    for (w, c) in d.act.iter_mut().zip(words.chunks_exact(4)) {
        *w = i32::from_le_bytes([c[0], c[1], c[2], c[3]]) >> 12;
    }
    d.act[0] = 3;
    debug_assert_eq!(d.act.len(), act_words(COLS));
}

fn bytemuck(x: &mut [i8]) -> &mut [u8] {
    // SAFETY: i8 and u8 have the same size and alignment and every bit pattern is valid.
    unsafe { core::slice::from_raw_parts_mut(x.as_mut_ptr().cast(), x.len()) }
}

fn checksum(out: &[i32]) -> i32 {
    out.iter().fold(0i32, |c, &v| c.rotate_left(5) ^ v)
}

/// `reps` int8 GEMVs (16 × 784); the input changes by one element per repetition.
#[no_mangle]
pub extern "C" fn gemv_i8_run(reps: i32) -> i32 {
    let d = data();
    setup(d);
    let mut c = 0;
    for r in 0..reps {
        d.x8[r as usize % GEMV_COLS] = r as i8;
        // Shapes come from the image in the guest: hide them from the optimizer here too.
        let (rows, cols) = (black_box(ROWS), black_box(GEMV_COLS));
        if gemv_i8(&d.w8[..rows * cols], &d.x8[..cols], &mut d.out[..rows]).is_err() {
            return -1;
        }
        c ^= checksum(&d.out);
    }
    c
}

fn matmul_run(reps: i32, ty: WeightType) -> i32 {
    let d = data();
    setup(d);
    let (rows, blocks) = (black_box(ROWS), black_box(BLOCKS));
    let w: &[u8] = match ty {
        WeightType::Q8_0 => &d.wq8[..rows * blocks * 34],
        _ => &d.wq4[..rows * blocks * 20],
    };
    let mut c = 0;
    for r in 0..reps {
        d.act[0] = r & 7;
        let act = &d.act[..1 + blocks * ACT_BLOCK_WORDS];
        if matmul(w, ty, 12, act, &mut d.out[..rows]).is_err() {
            return -1;
        }
        c ^= checksum(&d.out);
    }
    c
}

/// `reps` SWAR Q4_1 matmuls (16 rows × 576 columns).
#[no_mangle]
pub extern "C" fn q4_matmul(reps: i32) -> i32 {
    matmul_run(reps, WeightType::Q4_1)
}

/// `reps` SWAR Q8_0 matmuls (16 rows × 576 columns).
#[no_mangle]
pub extern "C" fn q8_matmul(reps: i32) -> i32 {
    matmul_run(reps, WeightType::Q8_0)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
