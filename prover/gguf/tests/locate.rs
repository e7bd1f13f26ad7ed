//! `smollm2_path` honours OPML_SMOLLM2_GGUF. One test in its own binary, since it sets
//! the process environment.

use opml_gguf::{smollm2_path, SMOLLM2_ENV};

#[test]
fn env_var_overrides_and_a_missing_file_is_named() {
    std::env::set_var(SMOLLM2_ENV, "/nonexistent/model.gguf");
    assert_eq!(
        smollm2_path().unwrap_err(),
        "OPML_SMOLLM2_GGUF=/nonexistent/model.gguf is not a file"
    );
    let file = std::env::temp_dir().join(format!("opml-gguf-locate-{}.gguf", std::process::id()));
    std::fs::write(&file, b"GGUF").unwrap();
    std::env::set_var(SMOLLM2_ENV, &file);
    assert_eq!(smollm2_path().unwrap(), file);
    std::fs::remove_file(&file).unwrap();
}
