//! The LLM image format: every damaged image is rejected with an error, never a
//! panic; MNIST and LLM images are told apart by their version; runs check the token
//! and the position.

use opml_gguf::SynthLlama;
use opml_guest_ml::image::Image;
use opml_guest_ml::llm::exec::forward;
use opml_guest_ml::llm::graph::LlmImage;
use opml_guest_ml::llm::LlmError;
use opml_guest_ml::Error;
use opml_llm::compile::synth_model;
use opml_llm::Runner;

fn image() -> Vec<u8> {
    let s = SynthLlama {
        n_layers: 1,
        ..SynthLlama::default()
    };
    synth_model(&s, 8).unwrap().1
}

fn tables_end(bytes: &[u8]) -> usize {
    let u = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    80 + 64 * u(12) + 64 * u(16) + u(20)
}

#[test]
fn truncated_images_are_rejected() {
    let bytes = image();
    let end = tables_end(&bytes);
    for len in (0..end + 64).chain([bytes.len() - 1]) {
        let e = LlmImage::parse(&bytes[..len]).unwrap_err();
        assert!(
            matches!(e, LlmError::Truncated | LlmError::LengthMismatch),
            "{len}: {e:?}"
        );
    }
}

#[test]
fn every_flipped_byte_of_the_header_and_tables_is_caught_or_harmless() {
    let bytes = image();
    let end = tables_end(&bytes);
    let mut rejected = 0;
    for at in 0..end {
        for bit in [0x01u8, 0x80] {
            let mut b = bytes.clone();
            b[at] ^= bit;
            // The checksum covers these bytes: each flip is rejected, and parsing
            // never panics.
            if LlmImage::parse(&b).is_err() {
                rejected += 1;
            }
        }
    }
    assert_eq!(rejected, 2 * end);
}

#[test]
fn damaged_tables_with_a_valid_checksum_are_rejected_by_validation() {
    let bytes = image();
    let end = tables_end(&bytes);
    let mut s = 0x1234_5678_9abc_def0u64;
    let mut caught = 0;
    for _ in 0..3000 {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        let at = 80 + (s as usize % (end - 80));
        let mut b = bytes.clone();
        b[at] = (s >> 32) as u8;
        // Re-seal so only validation can catch it.
        let sum = opml_guest_ml::llm::graph::checksum(&b, end);
        b[64..72].copy_from_slice(&sum.to_le_bytes());
        match LlmImage::parse(&b) {
            Err(_) => caught += 1,
            Ok(_) => {
                // Accepted (e.g. a name byte): then a run must not panic either.
                if let Ok(mut r) = Runner::new(&b) {
                    let _ = r.step(3);
                }
            }
        }
    }
    assert!(
        caught > 1000,
        "only {caught} of 3000 damaged tables rejected"
    );
}

#[test]
fn versions_tell_mnist_and_llm_images_apart() {
    let llm = image();
    assert_eq!(Image::parse(&llm).unwrap_err(), Error::BadVersion(2));
    let mnist = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../guest-ml/models/fmnist-mlp.opml"
    ))
    .unwrap();
    assert!(Image::parse(&mnist).is_ok());
    assert_eq!(
        LlmImage::parse(&mnist).unwrap_err(),
        LlmError::BadVersion(1)
    );
}

#[test]
fn runs_check_token_position_and_arena() {
    let bytes = image();
    let img = LlmImage::parse(&bytes).unwrap();
    let mut arena = vec![0i32; (img.arena_len / 4) as usize];
    assert_eq!(
        forward(&img, &mut arena, img.vocab, 0),
        Err(LlmError::Token)
    );
    assert_eq!(forward(&img, &mut arena, 0, 8), Err(LlmError::Position));
    assert_eq!(forward(&img, &mut arena[1..], 0, 0), Err(LlmError::Arena));
    assert!(forward(&img, &mut arena, 0, 7).is_ok());
}
