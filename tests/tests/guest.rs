//! The Wasm guest (`guest-ml/guest`): reproducible build, Wasm 1.0 feature set, and the
//! same result in wasmi as natively.

use std::{fs, process::Command};

use opml_guest_ml::abi;
use opml_tests::{build_guest, guest_wasm, run_in_repo};
use wasmparser::{Validator, WasmFeatures};

/// What `wasm32v1-none` promises: the MVP plus mutable globals, nothing else.
const WASM1: WasmFeatures = WasmFeatures::MVP.union(WasmFeatures::MUTABLE_GLOBAL);

/// The guest's bytes, or a test failure that says how to get a toolchain.
fn guest() -> &'static [u8] {
    guest_wasm().unwrap_or_else(|e| panic!("building the guest failed: {e}"))
}

#[test]
fn guest_build_is_reproducible() {
    let tmp = tempfile::tempdir().expect("create a temp dir");
    let mut builds = Vec::new();
    for i in 0..2 {
        let out = tmp.path().join(format!("out{i}"));
        let target = tmp.path().join(format!("target{i}"));
        let wasm = build_guest(&out, Some(&target))
            .unwrap_or_else(|e| panic!("guest build {i} failed: {e}"));
        builds.push(fs::read(&wasm).unwrap_or_else(|e| panic!("read {}: {e}", wasm.display())));
    }
    assert!(
        !builds[0].is_empty(),
        "the guest build produced an empty file"
    );
    assert!(
        builds[0] == builds[1],
        "two clean builds of the guest differ ({} vs {} bytes): the build is not reproducible",
        builds[0].len(),
        builds[1].len()
    );
}

#[test]
fn guest_uses_only_mvp_and_mutable_globals() {
    let wasm = guest();
    if let Err(e) = Validator::new_with_features(WASM1).validate_all(wasm) {
        panic!("guest.wasm uses a feature beyond Wasm 1.0 + mutable globals: {e}");
    }
    // The guest is integer-only (determinism by integers): it validates even with floats
    // disabled.
    let no_floats = WASM1.difference(WasmFeatures::FLOATS);
    if let Err(e) = Validator::new_with_features(no_floats).validate_all(wasm) {
        panic!("guest.wasm uses floating point: {e}");
    }

    // The feature set really rejects post-1.0 code: sign extension, bulk memory.
    for (what, wat_src) in [
        (
            "sign-ext",
            "(module (func (param i32) (result i32) local.get 0 i32.extend8_s))",
        ),
        (
            "bulk memory",
            "(module (memory 1) (func i32.const 0 i32.const 0 i32.const 0 memory.copy))",
        ),
    ] {
        let bytes = wat::parse_str(wat_src).expect("valid wat");
        assert!(
            Validator::new_with_features(WASM1)
                .validate_all(&bytes)
                .is_err(),
            "the Wasm 1.0 feature set accepted {what}"
        );
    }

    let module = wasmparser::Parser::new(0).parse_all(wasm);
    for payload in module {
        if let wasmparser::Payload::ImportSection(imports) = payload.expect("valid module") {
            assert_eq!(imports.count(), 0, "the guest must import nothing");
        }
    }

    if Command::new("wasm-validate")
        .arg("--version")
        .output()
        .is_ok()
    {
        let tmp = tempfile::tempdir().expect("create a temp dir");
        let path = tmp.path().join("guest.wasm");
        fs::write(&path, wasm).expect("write guest.wasm");
        run_in_repo(
            "wasm-validate",
            [
                "--disable-saturating-float-to-int",
                "--disable-sign-extension",
                "--disable-simd",
                "--disable-multi-value",
                "--disable-bulk-memory",
                "--disable-reference-types",
            ]
            .map(Into::into)
            .into_iter()
            .chain([path.into_os_string()]),
            &[],
        )
        .unwrap_or_else(|e| panic!("wasm-validate rejects the guest: {e}"));
    } else {
        eprintln!("note: wasm-validate (wabt) not found, skipped; scripts/setup.sh installs it");
    }
}

#[test]
fn committed_guest_wasm_is_the_fresh_build() {
    let committed = opml_host::guest::GUEST_WASM;
    assert!(
        committed == guest(),
        "guest-ml/guest.wasm ({} bytes) differs from a fresh build ({} bytes): run \
         `bash scripts/build-guest.sh && cp target/guest/guest.wasm guest-ml/guest.wasm`",
        committed.len(),
        guest().len()
    );
}

#[test]
fn guest_has_no_float_opcode_and_fits_below_the_regions() {
    let wasm = guest();
    let mut pages = None;
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload.expect("valid module") {
            wasmparser::Payload::MemorySection(mems) => {
                for m in mems {
                    pages = Some(m.expect("memory type").initial);
                }
            }
            wasmparser::Payload::CodeSectionEntry(body) => {
                let mut ops = body.get_operators_reader().expect("operators");
                while !ops.eof() {
                    let (op, offset) = ops.read_with_offset().expect("operator");
                    let name = format!("{op:?}");
                    assert!(
                        !name.starts_with("F32") && !name.starts_with("F64"),
                        "float opcode {name} at offset {offset:#x}"
                    );
                }
            }
            _ => {}
        }
    }
    let pages = pages.expect("the guest defines a memory") as usize;
    assert!(
        pages * abi::PAGE <= abi::REGION_BASE,
        "the guest declares {pages} pages, overlapping the regions at {:#x}",
        abi::REGION_BASE
    );
    opml_vm::Module::load(wasm, opml_vm::LoadOptions { provable: true })
        .expect("the provable profile (no floats) accepts the guest");
}
