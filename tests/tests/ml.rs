//! The ML guest end to end: random models (random shapes of every op) give identical
//! outputs natively, in wasmi and in the step machine; malformed images and inputs are
//! rejected with the documented error code by all three.

use opml_guest_ml::image::{DType, OpKind};
use opml_guest_ml::kernels::Requant;
use opml_guest_ml::Error;
use opml_host::guest::{self, GuestError, Output, GUEST_WASM};
use opml_model::image::{reseal, ImageBuilder, TensorSpec};
use opml_tests::Rng;
use proptest::prelude::*;

/// A random requantization with a multiplier in Q0.31 `[0.5, 1)`.
fn requant(rng: &mut Rng) -> Requant {
    Requant {
        multiplier: (1 << 30) + (rng.next_u64() % (1 << 30)) as i32,
        shift: (rng.next_u64() % 14) as i32,
    }
}

/// Shape choices of a random model: conv → requantize → ReLU → pool → flatten → dense.
#[derive(Clone, Debug)]
struct Shape {
    input: [u32; 3],
    conv: Option<(u32, u32, u16, u16)>,
    pool: Option<(bool, u32, u32)>,
    classes: u32,
    seed: u64,
}

fn shapes() -> impl Strategy<Value = Shape> {
    (
        (1u32..=3, 3u32..=9, 3u32..=9),
        proptest::option::of((1u32..=4, 1u32..=3, 1u16..=2, 0u16..=1)),
        proptest::option::of((any::<bool>(), 1u32..=2, 1u32..=2)),
        1u32..=10,
        any::<u64>(),
    )
        .prop_map(|((c, h, w), conv, pool, classes, seed)| Shape {
            input: [c, h, w],
            conv: conv.map(|(o, k, s, p)| (o, k, s, p.min(k as u16 - 1))),
            pool,
            classes,
            seed: seed | 1,
        })
}

/// Builds the image for `s` and a matching input.
fn model(s: &Shape) -> (Vec<u8>, Vec<u8>) {
    let mut rng = Rng(s.seed);
    let mut b = ImageBuilder::new(s.input, requant(&mut rng));
    let [mut c, mut h, mut w] = s.input;
    let input: Vec<u8> = rng
        .i8s((c * h * w) as usize)
        .iter()
        .map(|&v| v as u8)
        .collect();
    if let Some((o, k, stride, pad)) = s.conv {
        let weights = rng.i8s((o * c * k * k) as usize);
        let bias = rng.i32s(o as usize, 5000);
        b.conv2d(
            TensorSpec::i8(&[o, c, k, k], &weights, (1, -7)),
            TensorSpec::i32(&[o], &bias, (1, -14)),
            stride,
            pad,
        );
        let out = |n: u32| (n + 2 * u32::from(pad) - k) / u32::from(stride) + 1;
        (c, h, w) = (o, out(h), out(w));
        let q = requant(&mut rng);
        b.requantize(q).op(OpKind::Relu, [0; 3]);
    }
    if let Some((max, k, stride)) = s.pool.filter(|&(_, k, _)| h >= k && w >= k) {
        let kind = if max {
            OpKind::MaxPool
        } else {
            OpKind::AvgPool
        };
        b.op(kind, [k, stride, 0]);
        (h, w) = ((h - k) / stride + 1, (w - k) / stride + 1);
    }
    b.op(OpKind::Flatten, [0; 3]);
    let n = c * h * w;
    let weights = rng.i8s((s.classes * n) as usize);
    let bias = rng.i32s(s.classes as usize, 100_000);
    b.dense(
        TensorSpec::i8(&[s.classes, n], &weights, (1, -7)),
        TensorSpec::i32(&[s.classes], &bias, (1, -14)),
    );
    (b.build(), input)
}

/// Runs all three engines; they must agree on the output or on the error code.
fn all_engines(image: &[u8], input: &[u8]) -> Result<Output, i32> {
    let code = |r: Result<Output, GuestError>| match r {
        Ok(o) => Ok(o),
        Err(GuestError::Rejected { code }) => Err(code),
        Err(e) => panic!("engine failed outside the ABI: {e}"),
    };
    let native = code(guest::run_native(image, input));
    let wasmi = code(guest::run_wasmi(GUEST_WASM, image, input));
    let step = code(guest::run_step(GUEST_WASM, image, input).map(|(o, _)| o));
    assert_eq!(native, wasmi, "native and wasmi differ");
    assert_eq!(native, step, "native and the step machine differ");
    native
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_models_agree_natively_in_wasmi_and_in_the_step_machine(s in shapes()) {
        let (image, input) = model(&s);
        let out = all_engines(&image, &input).expect("a well-formed random model runs");
        prop_assert_eq!(out.logits.len(), s.classes as usize);
        prop_assert_eq!(out.class as usize, out.logits.iter().enumerate()
            .max_by_key(|&(i, &v)| (v, std::cmp::Reverse(i))).map(|(i, _)| i).unwrap_or(0));
        let total: i32 = out.probs.iter().sum();
        prop_assert!((65536 - total).abs() <= s.classes as i32, "probabilities sum to {}", total);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Random edits to the header and tables (checksum resealed, so parsing goes past
    /// it): every engine returns the same output or the same error code, none traps.
    #[test]
    fn edited_images_never_trap_and_engines_agree(
        s in shapes(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4),
    ) {
        let (mut image, input) = model(&s);
        let n_tensors = u32::from_le_bytes([image[16], image[17], image[18], image[19]]) as usize;
        let n_ops = u32::from_le_bytes([image[20], image[21], image[22], image[23]]) as usize;
        let tables_end = 48 + 40 * n_tensors + 16 * n_ops;
        for (at, byte) in edits {
            image[12 + at % (tables_end - 12)] = byte;
        }
        reseal(&mut image);
        let _ = all_engines(&image, &input);
    }
}

fn small() -> (Vec<u8>, Vec<u8>) {
    model(&Shape {
        input: [1, 6, 6],
        conv: Some((2, 3, 1, 1)),
        pool: Some((true, 2, 2)),
        classes: 4,
        seed: 7,
    })
}

fn expect_code(image: &[u8], input: &[u8], want: Error) {
    assert_eq!(
        all_engines(image, input),
        Err(want.code()),
        "want {want:?} ({want})"
    );
}

#[test]
fn truncated_images_are_rejected_everywhere() {
    let (image, input) = small();
    for cut in [0, 7, 40, image.len() / 2, image.len() - 1] {
        let want = if cut < 56 {
            Error::Truncated
        } else {
            Error::LengthMismatch
        };
        expect_code(&image[..cut], &input, want);
    }
}

#[test]
fn corrupt_images_are_rejected_everywhere() {
    let (image, input) = small();
    let mut flipped = image.clone();
    let last_data = image.len() - 9;
    flipped[last_data] ^= 0x40;
    expect_code(&flipped, &input, Error::Checksum);

    let mut magic = image.clone();
    magic[0] = b'X';
    expect_code(&magic, &input, Error::BadMagic);

    let mut version = image.clone();
    version[8] = 9;
    expect_code(&version, &input, Error::BadVersion(9));

    // Tensor 0's data offset pointed past the checksum, resealed: a bad tensor entry.
    let mut offset = image.clone();
    offset[48 + 24..48 + 28].copy_from_slice(&u32::MAX.to_le_bytes());
    reseal(&mut offset);
    expect_code(&offset, &input, Error::BadTensor(0));

    // Op 0 given an unknown kind.
    let n_tensors = u32::from_le_bytes([image[16], image[17], image[18], image[19]]) as usize;
    let mut op = image.clone();
    let op0 = 48 + 40 * n_tensors;
    op[op0..op0 + 4].copy_from_slice(&99u32.to_le_bytes());
    reseal(&mut op);
    expect_code(&op, &input, Error::BadOp(0));
}

#[test]
fn mismatched_models_and_inputs_are_rejected_everywhere() {
    let (image, input) = small();
    expect_code(&image, &input[1..], Error::InputSize);

    // Dense after conv without flatten: the shapes do not fit (op 3 is the pool, 4 the
    // flatten; dropping the flatten makes the dense op see a [C, H, W] activation).
    let mut b = ImageBuilder::new(
        [1, 4, 4],
        Requant {
            multiplier: 1 << 30,
            shift: 0,
        },
    );
    b.dense(
        TensorSpec::i8(&[2, 16], &[1; 32], (1, 0)),
        TensorSpec::i32(&[2], &[0, 0], (1, 0)),
    );
    expect_code(&b.build(), &[0; 16], Error::Shape(0));

    // A graph that ends in int8 values has no logits.
    let mut b = ImageBuilder::new(
        [1, 2, 2],
        Requant {
            multiplier: 1 << 30,
            shift: 0,
        },
    );
    b.op(OpKind::Flatten, [0; 3]);
    expect_code(&b.build(), &[0; 4], Error::Output);

    // A dense layer whose bias is int8: wrong tensor type.
    let mut b = ImageBuilder::new(
        [1, 1, 4],
        Requant {
            multiplier: 1 << 30,
            shift: 0,
        },
    );
    b.op(OpKind::Flatten, [0; 3]).dense(
        TensorSpec::i8(&[2, 4], &[1; 8], (1, 0)),
        TensorSpec::i8(&[2], &[0, 0], (1, 0)),
    );
    expect_code(&b.build(), &[0; 4], Error::BadOp(1));

    // Activations larger than the guest's buffers.
    let mut b = ImageBuilder::new(
        [1, 1, 1],
        Requant {
            multiplier: 1 << 30,
            shift: 0,
        },
    );
    let big = 70_000u32;
    b.op(OpKind::Flatten, [0; 3]).dense(
        TensorSpec::i8(&[big, 1], &vec![1; big as usize], (1, 0)),
        TensorSpec::i32(&[big], &vec![0; big as usize], (1, 0)),
    );
    expect_code(&b.build(), &[0; 1], Error::Capacity(1));
    assert_eq!(DType::I32.size(), 4);
}

#[test]
fn guest_checks_region_lengths_against_memory() {
    // The step machine with a length field past the end of memory: error code, no trap.
    let (image, input) = small();
    let mut m = guest::load(GUEST_WASM, &image, &input).expect("load");
    let mem = m.memory_mut(0).expect("the guest's memory");
    mem.write_bytes(opml_guest_ml::abi::IMAGE_ADDR, &u32::MAX.to_le_bytes())
        .expect("inside memory");
    m.run(u64::MAX);
    match guest::finish_step(&m) {
        Err(GuestError::Rejected { code }) => assert_eq!(code, Error::ImageRegion.code()),
        other => panic!("expected ImageRegion, got {other:?}"),
    }
    let mut m = guest::load(GUEST_WASM, &image, &input).expect("load");
    let mem = m.memory_mut(0).expect("the guest's memory");
    mem.write_bytes(opml_guest_ml::abi::INPUT_ADDR, &70_000u32.to_le_bytes())
        .expect("inside memory");
    m.run(u64::MAX);
    match guest::finish_step(&m) {
        Err(GuestError::Rejected { code }) => assert_eq!(code, Error::InputRegion.code()),
        other => panic!("expected InputRegion, got {other:?}"),
    }
}
