//! The WebAssembly core spec test suite as the tests read it: where it is, which files
//! run, and how their text is brought to the syntax the `wast` crate parses. Shared by
//! the conformance test (`tests/spec.rs`) and the differential test against wasmi.

use opml_vm::ValType;
use std::io::Write;
use std::path::{Path, PathBuf};
use wast::core::{WastArgCore, WastRetCore};
use wast::lexer::Lexer;
use wast::parser::ParseBuffer;
use wast::{QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet};

/// Directories of the suite that are run, relative to its root.
pub const DIRS: [&str; 3] = [
    "",
    "proposals/sign-extension-ops",
    "proposals/mutable-global",
];

/// The suite's root: `$OPML_SPEC_SUITE` if set, else `../shared/wasm-spec-testsuite`
/// beside the repository.
pub fn suite_dir() -> PathBuf {
    match std::env::var_os("OPML_SPEC_SUITE") {
        Some(dir) => PathBuf::from(dir),
        None => crate::repo_root().join("../shared/wasm-spec-testsuite"),
    }
}

/// `CI=true` (as GitHub Actions and most CI systems set it).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// Instruction and type names of the text format that were renamed in 2018/2019
/// (old, new). The proposal files of the snapshot still use the old ones, which the
/// `wast` crate no longer reads; the top-level files use only the new ones.
const RENAMED: [(&str, &str); 6] = [
    ("get_local", "local.get"),
    ("set_local", "local.set"),
    ("tee_local", "local.tee"),
    ("get_global", "global.get"),
    ("set_global", "global.set"),
    ("anyfunc", "funcref"),
];

/// Replaces the old names of `RENAMED` where they are whole keywords (not inside
/// strings, not part of `$identifiers` or longer words). Line structure is kept, so
/// line numbers still match the file.
pub fn modernize(text: &str) -> String {
    let is_word = |c: char| c.is_ascii_alphanumeric() || "_.$".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '"' {
            // Copy a string literal verbatim, escapes included.
            let mut end = 1;
            let bytes = rest.as_bytes();
            while end < bytes.len() && bytes[end] != b'"' {
                end += if bytes[end] == b'\\' { 2 } else { 1 };
            }
            let end = (end + 1).min(rest.len());
            out.push_str(&rest[..end]);
            rest = &rest[end..];
        } else if is_word(c) {
            let end = rest.find(|c: char| !is_word(c)).unwrap_or(rest.len());
            let word = &rest[..end];
            let new = RENAMED
                .iter()
                .find(|(old, _)| *old == word)
                .map(|(_, new)| *new);
            out.push_str(new.unwrap_or(word));
            rest = &rest[end..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// The `.wast` files to run, relative to the suite root, sorted.
pub fn wast_files(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for dir in DIRS {
        let path = root.join(dir);
        let entries = std::fs::read_dir(&path)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", path.display()));
        for entry in entries {
            let name = entry.expect("directory entry").file_name();
            let name = name.to_string_lossy();
            if name.ends_with(".wast") {
                files.push(if dir.is_empty() {
                    name.to_string()
                } else {
                    format!("{dir}/{name}")
                });
            }
        }
    }
    files.sort();
    files
}

/// The suite's root if it is present. If not, prints a loud banner (past the test
/// harness's output capture) and panics when [`in_ci`] (CI must never pass by not
/// testing); otherwise returns `None` so a checkout without `shared/` still runs.
pub fn require_suite(test: &str) -> Option<PathBuf> {
    let root = suite_dir();
    if root.join("i32.wast").is_file() {
        return Some(root);
    }
    let rule = "!".repeat(78);
    let verdict = if in_ci() {
        "!! CI=true: FAILING, CI must run the spec suite."
    } else {
        "!! SKIPPING (not in CI)."
    };
    let _ = writeln!(
        std::io::stderr(),
        "{rule}\n!! {test}: SPEC SUITE NOT FOUND at {}\n\
         !! Set OPML_SPEC_SUITE to the wasm-spec-testsuite directory.\n{verdict}\n{rule}",
        root.display()
    );
    assert!(!in_ci(), "spec suite not found at {}", root.display());
    None
}

/// Reads a suite file and [`modernize`]s it.
pub fn read(root: &Path, file: &str) -> std::io::Result<String> {
    std::fs::read_to_string(root.join(file)).map(|text| modernize(&text))
}

/// A parse buffer over suite text. `names.wast` deliberately uses bidirectional-override
/// characters in names, which the lexer rejects by default.
pub fn parse_buffer(text: &str) -> wast::parser::Result<ParseBuffer<'_>> {
    let mut lexer = Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    ParseBuffer::new_with_lexer(lexer)
}

/// What [`walk_invocations`] reports, in file order.
pub enum Event<'a, 'b> {
    /// A module to instantiate (its binary, or `None` when it cannot be encoded);
    /// following invocations call it.
    Module(Option<Vec<u8>>),
    /// An invocation of the current module (`file:line` and the call).
    Invoke {
        /// Where in the suite, `file:line`.
        at: String,
        /// The call.
        invoke: &'b WastInvoke<'a>,
    },
}

/// Walks a suite file for the engine comparisons: every module, and every invocation of
/// the current (unnamed) module whose expected results, if any, are plain numbers.
pub fn walk_invocations(
    file: &str,
    text: &str,
    mut f: impl FnMut(Event<'_, '_>),
) -> wast::parser::Result<()> {
    let buf = parse_buffer(text)?;
    let wast: Wast<'_> = wast::parser::parse(&buf)?;
    for directive in wast.directives {
        let (line, _) = directive.span().linecol_in(text);
        let at = format!("{file}:{}", line + 1);
        let invoke = match directive {
            WastDirective::Module(mut qw @ QuoteWat::Wat(_)) => {
                f(Event::Module(qw.encode().ok()));
                continue;
            }
            WastDirective::Module(_) => {
                f(Event::Module(None));
                continue;
            }
            WastDirective::Invoke(inv) => inv,
            WastDirective::AssertReturn {
                exec: WastExecute::Invoke(inv),
                results,
                ..
            } => {
                let plain = |r: &WastRet<'_>| {
                    matches!(
                        r,
                        WastRet::Core(
                            WastRetCore::I32(_)
                                | WastRetCore::I64(_)
                                | WastRetCore::F32(_)
                                | WastRetCore::F64(_)
                        )
                    )
                };
                if !results.iter().all(plain) {
                    continue;
                }
                inv
            }
            WastDirective::AssertTrap {
                exec: WastExecute::Invoke(inv),
                ..
            } => inv,
            WastDirective::AssertExhaustion { call, .. } => call,
            _ => continue,
        };
        if invoke.module.is_none() {
            f(Event::Invoke {
                at,
                invoke: &invoke,
            });
        }
    }
    Ok(())
}

/// The arguments of an invocation as `(type, bits)`, `None` if any is not a number.
pub fn core_args(invoke: &WastInvoke<'_>) -> Option<Vec<(ValType, u64)>> {
    invoke
        .args
        .iter()
        .map(|a| {
            let WastArg::Core(c) = a else { return None };
            Some(match c {
                WastArgCore::I32(v) => (ValType::I32, *v as u32 as u64),
                WastArgCore::I64(v) => (ValType::I64, *v as u64),
                WastArgCore::F32(v) => (ValType::F32, v.bits as u64),
                WastArgCore::F64(v) => (ValType::F64, v.bits),
                _ => return None,
            })
        })
        .collect()
}
