//! Spec conformance: runs the WebAssembly core spec test suite through the step machine.
//!
//! Which files: the top-level `*.wast` of the suite (Wasm 1.0, the 2019 snapshot) plus
//! `proposals/sign-extension-ops` and `proposals/mutable-global`, the two proposals the
//! machine implements. Every directive of a file runs on one [`Machine`] (the store),
//! as in the reference interpreter, with the `spectest` host module registered.
//!
//! Where: `$OPML_SPEC_SUITE` if set, else `../shared/wasm-spec-testsuite` relative to
//! the repository root. If the suite is absent the test prints a banner and then
//! *fails* when `CI=true` (CI must never pass by not testing) and is *skipped*
//! otherwise (a checkout without `shared/` can still run `cargo test`).
//!
//! Every directive counts as one check (a `module` or `invoke` command is an implicit
//! assertion that it succeeds). The test fails below 100 % of the applicable checks.
//! Checks that do not apply to a Wasm 1.0 + sign-extension + mutable-global machine are
//! listed, with their reason, in `tests/spec-not-applicable.txt`; they are
//! still run, and an entry whose check passes, or that names no check, fails the test
//! (so the list cannot go stale).

use opml_tests::spec_suite;
use opml_vm::host::register_spectest;
use opml_vm::{Config, Extern, InstanceId, LinkError, LoadOptions, Machine, Module, Status};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;
use wast::core::{NanPattern, WastArgCore, WastRetCore};
use wast::parser;
use wast::{QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet};

/// Steps one invocation may take before it counts as a hang.
const STEP_LIMIT: u64 = 1 << 34;

/// The not-applicable list: key (`file` or `file:line`, relative to the suite root)
/// to reason.
fn not_applicable() -> BTreeMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec-not-applicable.txt");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut list = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, reason) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let reason = reason.trim();
        assert!(
            !reason.is_empty(),
            "{}:{}: entry `{key}` has no reason",
            path.display(),
            i + 1
        );
        let previous = list.insert(key.to_string(), reason.to_string());
        assert!(previous.is_none(), "duplicate not-applicable entry `{key}`");
    }
    list
}

/// Outcome counts.
#[derive(Default)]
struct Tally {
    passed: u32,
    failed: u32,
    not_applicable: u32,
}

/// Runs the directives of one file on a fresh machine.
struct Runner<'a> {
    file: &'a str,
    text: &'a str,
    machine: Machine,
    /// The most recently instantiated module.
    current: Option<InstanceId>,
    /// Instances of named modules (`(module $M ...)`).
    named: HashMap<String, InstanceId>,
    not_applicable: &'a BTreeMap<String, String>,
    /// Not-applicable keys that matched a directive.
    used: Vec<String>,
    tally: Tally,
    failures: Vec<String>,
}

type Check = Result<(), String>;

impl<'a> Runner<'a> {
    fn new(file: &'a str, text: &'a str, not_applicable: &'a BTreeMap<String, String>) -> Self {
        let mut machine = Machine::new(Config::default());
        register_spectest(&mut machine);
        Runner {
            file,
            text,
            machine,
            current: None,
            named: HashMap::new(),
            not_applicable,
            used: Vec::new(),
            tally: Tally::default(),
            failures: Vec::new(),
        }
    }

    fn run_file(&mut self) {
        let buf = match spec_suite::parse_buffer(self.text) {
            Ok(buf) => buf,
            Err(e) => return self.fail_file(format!("cannot lex: {e}")),
        };
        let wast = match parser::parse::<Wast>(&buf) {
            Ok(wast) => wast,
            Err(e) => return self.fail_file(format!("cannot parse: {e}")),
        };
        for directive in wast.directives {
            let line = directive.span().linecol_in(self.text).0 + 1;
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.directive(directive)
            }))
            .unwrap_or_else(|_| Err("the machine panicked".into()));
            self.record(line, outcome);
        }
    }

    fn fail_file(&mut self, why: String) {
        self.tally.failed += 1;
        self.failures.push(format!("{}: {why}", self.file));
    }

    fn record(&mut self, line: usize, outcome: Check) {
        let key = format!("{}:{line}", self.file);
        let listed = [key.clone(), self.file.to_string()]
            .into_iter()
            .find(|k| self.not_applicable.contains_key(k));
        match (listed, outcome) {
            (None, Ok(())) => self.tally.passed += 1,
            (None, Err(why)) => {
                self.tally.failed += 1;
                self.failures.push(format!("{key}: {why}"));
            }
            (Some(k), Err(_)) => {
                self.tally.not_applicable += 1;
                self.used.push(k);
            }
            (Some(k), Ok(())) => {
                self.tally.failed += 1;
                self.failures.push(format!(
                    "{key}: passes, but is listed as not applicable (`{k}`): remove the entry"
                ));
                self.used.push(k);
            }
        }
    }

    fn instance(&self, id: Option<wast::token::Id<'_>>) -> Result<InstanceId, String> {
        match id {
            Some(id) => self
                .named
                .get(id.name())
                .copied()
                .ok_or_else(|| format!("no module named ${}", id.name())),
            None => self
                .current
                .ok_or_else(|| "no module instantiated yet".into()),
        }
    }

    fn export(&self, module: Option<wast::token::Id<'_>>, name: &str) -> Result<Extern, String> {
        let id = self.instance(module)?;
        self.machine
            .instance(id)
            .and_then(|i| i.exports.get(name))
            .copied()
            .ok_or_else(|| format!("no export `{name}`"))
    }

    fn directive(&mut self, directive: WastDirective<'_>) -> Check {
        match directive {
            WastDirective::Module(mut module) => {
                let name = module.name().map(|id| id.name().to_string());
                let bytes = module.encode().map_err(|e| format!("cannot encode: {e}"))?;
                let id = self.instantiate(&bytes)?;
                self.current = Some(id);
                if let Some(name) = name {
                    self.named.insert(name, id);
                }
                Ok(())
            }
            WastDirective::Register { name, module, .. } => {
                let id = self.instance(module)?;
                self.machine.register(name, id);
                Ok(())
            }
            WastDirective::Invoke(invoke) => self.invoke(&invoke).map(drop),
            WastDirective::AssertReturn { exec, results, .. } => {
                let got = match exec {
                    WastExecute::Invoke(invoke) => self.invoke(&invoke)?,
                    WastExecute::Get { module, global, .. } => match self.export(module, global)? {
                        Extern::Global(addr) => {
                            vec![self.machine.global(addr).ok_or("no such global")?]
                        }
                        other => return Err(format!("`{global}` is not a global: {other:?}")),
                    },
                    WastExecute::Wat(_) => return Err("assert_return on a module".into()),
                };
                check_results(&got, &results)
            }
            WastDirective::AssertTrap { exec, message, .. } => match exec {
                WastExecute::Invoke(invoke) => match self.invoke(&invoke) {
                    Ok(results) => Err(format!("returned {results:x?}, expected trap `{message}`")),
                    Err(why) => expect_message(&why, message),
                },
                WastExecute::Wat(mut wat) => {
                    let bytes = wat.encode().map_err(|e| format!("cannot encode: {e}"))?;
                    match self.instantiate(&bytes) {
                        Ok(_) => Err(format!("instantiated, expected trap `{message}`")),
                        Err(why) => expect_message(&why, message),
                    }
                }
                WastExecute::Get { .. } => Err("assert_trap on a global".into()),
            },
            WastDirective::AssertExhaustion { call, message, .. } => match self.invoke(&call) {
                Ok(results) => Err(format!("returned {results:x?}, expected `{message}`")),
                Err(why) => expect_message(&why, message),
            },
            WastDirective::AssertInvalid {
                module, message, ..
            } => self.expect_rejected(module, message, false),
            WastDirective::AssertMalformed {
                module, message, ..
            } => self.expect_rejected(module, message, true),
            WastDirective::AssertUnlinkable {
                mut module,
                message,
                ..
            } => {
                let bytes = module.encode().map_err(|e| format!("cannot encode: {e}"))?;
                let module = Module::load(&bytes, LoadOptions::default())
                    .map_err(|e| format!("does not load: {e}"))?;
                match self.machine.instantiate(&module) {
                    Ok(_) => Err(format!("instantiated, expected `{message}`")),
                    Err(LinkError::StartTrapped(t)) => Err(format!(
                        "start function trapped ({t}), expected `{message}`"
                    )),
                    Err(e) => expect_message(&e.to_string(), message),
                }
            }
            other => Err(format!(
                "unsupported directive {:?}",
                std::mem::discriminant(&other)
            )),
        }
    }

    /// Loads and instantiates `bytes`. The error is the trap message when the start
    /// function traps, else a description.
    fn instantiate(&mut self, bytes: &[u8]) -> Result<InstanceId, String> {
        let module = Module::load(bytes, LoadOptions::default())
            .map_err(|e| format!("does not load: {e}"))?;
        match self.machine.instantiate(&module) {
            Ok(id) => Ok(id),
            Err(LinkError::StartTrapped(t)) => Err(t.message().to_string()),
            Err(e) => Err(format!("does not instantiate: {e}")),
        }
    }

    /// `assert_malformed` (`malformed`) or `assert_invalid`: the module must be
    /// rejected. Text that the `wast` crate cannot parse or encode counts as rejected
    /// only for `assert_malformed`.
    fn expect_rejected(
        &mut self,
        mut module: QuoteWat<'_>,
        message: &str,
        malformed: bool,
    ) -> Check {
        let bytes = match module.encode() {
            Ok(bytes) => bytes,
            Err(_) if malformed => return Ok(()),
            Err(e) => return Err(format!("text rejected ({e}), expected invalid `{message}`")),
        };
        match Module::load(&bytes, LoadOptions::default()) {
            Ok(_) => Err(format!("loaded, expected `{message}`")),
            Err(_) => Ok(()),
        }
    }

    /// Runs an invocation. `Err` holds the trap message, or a description of a failure.
    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Result<Vec<u64>, String> {
        let Extern::Func(func) = self.export(invoke.module, invoke.name)? else {
            return Err(format!("`{}` is not a function", invoke.name));
        };
        let args = invoke
            .args
            .iter()
            .map(arg_bits)
            .collect::<Result<Vec<_>, _>>()?;
        self.machine
            .invoke(func, &args)
            .map_err(|e| format!("cannot invoke `{}`: {e}", invoke.name))?;
        self.machine.run(STEP_LIMIT);
        match self.machine.status() {
            Status::Halted => Ok(self.machine.results().to_vec()),
            Status::Trapped(t) => Err(t.message().to_string()),
            Status::Running => Err(format!("still running after {STEP_LIMIT} steps")),
        }
    }
}

/// The spec interpreter's rule: the actual message starts with the expected one.
fn expect_message(actual: &str, expected: &str) -> Check {
    if actual.starts_with(expected) {
        Ok(())
    } else {
        Err(format!("got `{actual}`, expected `{expected}`"))
    }
}

fn arg_bits(arg: &WastArg<'_>) -> Result<u64, String> {
    match arg {
        WastArg::Core(WastArgCore::I32(v)) => Ok(*v as u32 as u64),
        WastArg::Core(WastArgCore::I64(v)) => Ok(*v as u64),
        WastArg::Core(WastArgCore::F32(v)) => Ok(v.bits as u64),
        WastArg::Core(WastArgCore::F64(v)) => Ok(v.bits),
        other => Err(format!("unsupported argument {other:?}")),
    }
}

fn check_results(got: &[u64], expected: &[WastRet<'_>]) -> Check {
    if got.len() != expected.len() {
        return Err(format!(
            "got {} results {got:x?}, expected {}",
            got.len(),
            expected.len()
        ));
    }
    for (i, (&bits, want)) in got.iter().zip(expected).enumerate() {
        let WastRet::Core(want) = want else {
            return Err(format!("unsupported expected result {want:?}"));
        };
        if !matches_ret(bits, want)? {
            return Err(format!("result {i}: got {bits:#x}, expected {want:?}"));
        }
    }
    Ok(())
}

/// Whether result `bits` matches `want`. `nan:canonical`: the payload is exactly the
/// quiet bit, either sign; `nan:arithmetic`: the quiet bit is set.
fn matches_ret(bits: u64, want: &WastRetCore<'_>) -> Result<bool, String> {
    const F32_QUIET: u64 = 0x7fc0_0000;
    const F64_QUIET: u64 = 0x7ff8_0000_0000_0000;
    Ok(match want {
        WastRetCore::I32(v) => bits == *v as u32 as u64,
        WastRetCore::I64(v) => bits == *v as u64,
        WastRetCore::F32(p) => {
            bits >> 32 == 0
                && match p {
                    NanPattern::Value(v) => bits == v.bits as u64,
                    NanPattern::CanonicalNan => bits & 0x7fff_ffff == F32_QUIET,
                    NanPattern::ArithmeticNan => bits & F32_QUIET == F32_QUIET,
                }
        }
        WastRetCore::F64(p) => match p {
            NanPattern::Value(v) => bits == v.bits,
            NanPattern::CanonicalNan => bits & !(1 << 63) == F64_QUIET,
            NanPattern::ArithmeticNan => bits & F64_QUIET == F64_QUIET,
        },
        WastRetCore::Either(options) => {
            for option in options {
                if matches_ret(bits, option)? {
                    return Ok(true);
                }
            }
            false
        }
        other => return Err(format!("unsupported expected result {other:?}")),
    })
}

#[test]
fn wasm_core_spec_suite() {
    let Some(root) = spec_suite::require_suite("spec conformance") else {
        return;
    };

    let not_applicable = not_applicable();
    let mut total = Tally::default();
    let mut failures = Vec::new();
    let mut used = Vec::new();
    for file in spec_suite::wast_files(&root) {
        let text =
            spec_suite::read(&root, &file).unwrap_or_else(|e| panic!("cannot read {file}: {e}"));
        let mut runner = Runner::new(&file, &text, &not_applicable);
        runner.run_file();
        let t = &runner.tally;
        println!(
            "{file:40} {:5} passed, {:3} failed, {:3} not applicable",
            t.passed, t.failed, t.not_applicable
        );
        total.passed += t.passed;
        total.failed += t.failed;
        total.not_applicable += t.not_applicable;
        failures.append(&mut runner.failures);
        used.append(&mut runner.used);
    }
    for key in not_applicable.keys() {
        if !used.contains(key) {
            total.failed += 1;
            failures.push(format!(
                "{key}: listed as not applicable but names no check"
            ));
        }
    }
    let summary = format!(
        "{:40} {:5} passed, {:3} failed, {:3} not applicable",
        "TOTAL", total.passed, total.failed, total.not_applicable
    );
    println!("{summary}");
    // The total also goes past the output capture: visible when the test passes.
    let _ = writeln!(
        std::io::stderr(),
        "spec suite: {}",
        summary.trim_start_matches("TOTAL").trim()
    );
    for failure in &failures {
        println!("FAIL {failure}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} applicable spec checks failed (see FAIL lines above)",
        total.failed,
        total.passed + total.failed
    );
}
