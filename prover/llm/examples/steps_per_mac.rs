//! Steps per multiply-accumulate of each block matmul type in the step machine, with
//! the committed guest: `cargo run --release -p opml-llm --example steps_per_mac`.

use opml_guest_ml::llm::quant::WeightType;
use opml_llm::probe::steps_per_mac;

const GUEST: &[u8] = include_bytes!("../../../guest-ml/guest.wasm");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let guest = match std::env::args().nth(1) {
        Some(path) => std::fs::read(path)?,
        None => GUEST.to_vec(),
    };
    for ty in [WeightType::Q4_0, WeightType::Q4_1, WeightType::Q8_0] {
        for cols in [576, 1536] {
            println!(
                "{ty:?} × {cols} columns: {:.2} steps/MAC",
                steps_per_mac(&guest, ty, cols)?
            );
        }
    }
    Ok(())
}
