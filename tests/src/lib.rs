//! Shared helpers for the integration tests: where the repo is, running its scripts,
//! and building the Wasm guest.
//!
//! The helpers never install anything. When a tool is missing, the script that needs it
//! fails with a message naming `scripts/setup.sh`, and the error returned here carries
//! that message.

pub mod duel;
pub mod programs;
pub mod spec_suite;

use std::{
    ffi::OsStr,
    fmt, fs, io,
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

/// An error from a test helper.
#[derive(Debug, thiserror::Error)]
pub enum HelperError {
    /// A program could not be started at all.
    #[error("cannot start `{command}`: {source} (run scripts/setup.sh to install the tools)")]
    Spawn {
        /// The command line.
        command: String,
        /// Why it could not start.
        source: io::Error,
    },
    /// A program ran and exited unsuccessfully.
    #[error("`{command}` failed ({status})\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}")]
    Failed {
        /// The command line.
        command: String,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// What it printed to stdout.
        stdout: String,
        /// What it printed to stderr.
        stderr: String,
    },
    /// A file or directory could not be read or created.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

/// The root of the opml-wasm checkout (the parent of the `tests/` crate).
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives in a subdirectory of the repo")
}

/// Runs `program` with `args` in the repo root, with the extra environment `envs`, and
/// returns its stdout. A non-zero exit becomes [`HelperError::Failed`] carrying both
/// output streams.
pub fn run_in_repo<I, S>(
    program: &str,
    args: I,
    envs: &[(&str, &OsStr)],
) -> Result<String, HelperError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new(program);
    cmd.current_dir(repo_root()).args(args);
    for (key, value) in envs {
        cmd.env(key, value);
    }
    let command = CommandLine(&cmd).to_string();
    let output = cmd.output().map_err(|source| HelperError::Spawn {
        command: command.clone(),
        source,
    })?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(HelperError::Failed {
            command,
            status: output.status,
            stdout,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    Ok(stdout)
}

/// Formats a [`Command`] as a shell-like line for error messages.
struct CommandLine<'a>(&'a Command);

impl fmt::Display for CommandLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.get_program().to_string_lossy())?;
        for arg in self.0.get_args() {
            write!(f, " {}", arg.to_string_lossy())?;
        }
        Ok(())
    }
}

/// Replaces the lines between `<!-- begin NAME -->` and `<!-- end NAME -->` in the
/// repo file `path` with `body`, so that several tests can each keep one generated part
/// of a page up to date.
pub fn write_doc_section(path: &str, name: &str, body: &str) -> Result<(), HelperError> {
    let file = repo_root().join(path);
    let io = |source| HelperError::Io {
        path: file.clone(),
        source,
    };
    let text = fs::read_to_string(&file).map_err(io)?;
    let (begin, end) = (
        format!("<!-- begin {name} -->\n"),
        format!("<!-- end {name} -->"),
    );
    let missing = || {
        io(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("no `{begin}` ... `{end}` markers"),
        ))
    };
    let start = text.find(&begin).ok_or_else(missing)? + begin.len();
    let stop = start + text[start..].find(&end).ok_or_else(missing)?;
    let updated = format!("{}{body}{}", &text[..start], &text[stop..]);
    if updated != text {
        fs::write(&file, updated).map_err(io)?;
    }
    Ok(())
}

/// Builds the guest with `scripts/build-guest.sh` into `out_dir` and returns the path of
/// `out_dir/guest.wasm`. With `target_dir`, cargo builds there (from clean if it is
/// new); without, in the script's default target dir (incremental).
pub fn build_guest(out_dir: &Path, target_dir: Option<&Path>) -> Result<PathBuf, HelperError> {
    let envs: Vec<(&str, &OsStr)> = target_dir
        .map(|dir| ("GUEST_TARGET_DIR", dir.as_os_str()))
        .into_iter()
        .collect();
    run_in_repo(
        "bash",
        [OsStr::new("scripts/build-guest.sh"), out_dir.as_os_str()],
        &envs,
    )?;
    Ok(out_dir.join("guest.wasm"))
}

/// The bytes of the guest, built once per test process (incrementally, in the script's
/// default target dir).
pub fn guest_wasm() -> Result<&'static [u8], String> {
    static GUEST: OnceLock<Result<Vec<u8>, String>> = OnceLock::new();
    GUEST
        .get_or_init(|| {
            let out = tempfile::tempdir().map_err(|e| format!("cannot create a temp dir: {e}"))?;
            let wasm = build_guest(out.path(), None).map_err(|e| e.to_string())?;
            fs::read(&wasm).map_err(|source| HelperError::Io { path: wasm, source }.to_string())
        })
        .as_deref()
        .map_err(Clone::clone)
}

/// xorshift64*: a fixed, seedable pseudo-random sequence, so a failing case of a
/// randomized test names a reproducible seed.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform-ish in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// `n` arbitrary int8 values.
    pub fn i8s(&mut self, n: usize) -> Vec<i8> {
        (0..n).map(|_| self.next_u64() as i8).collect()
    }

    /// `n` int32 values in `-bound..=bound`.
    pub fn i32s(&mut self, n: usize, bound: i32) -> Vec<i32> {
        (0..n)
            .map(|_| (self.next_u64() % (2 * bound as u64 + 1)) as i32 - bound)
            .collect()
    }
}
