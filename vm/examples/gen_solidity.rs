//! Writes `arbiter-sol/contracts/generated/WasmConstants.sol` from the Rust opcode table
//! and proof layout: `cargo run -p opml-vm --example gen_solidity`.

use std::path::Path;

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let path = root.join(opml_vm::proof::solidity::GENERATED_PATH);
    std::fs::write(&path, opml_vm::proof::solidity::constants())?;
    println!("wrote {}", path.display());
    Ok(())
}
