//! A local Hardhat 2 node for tests and demos: started on a free port of 127.0.0.1 from
//! `arbiter-sol/node_modules` (installed by `scripts/setup.sh`), stopped on drop.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Why the node could not be started.
#[derive(Debug, thiserror::Error)]
pub enum DevNodeError {
    /// The Hardhat binary is missing or could not be spawned.
    #[error("cannot start {path} (run scripts/setup.sh): {source}")]
    Spawn {
        /// The binary tried.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// No free local port.
    #[error("no free port on 127.0.0.1: {0}")]
    Port(std::io::Error),
    /// The node exited or stayed silent before listening.
    #[error("hardhat node did not start listening: {0}")]
    NotListening(String),
}

/// A running Hardhat node, killed when dropped.
pub struct HardhatNode {
    child: Child,
    url: String,
}

/// How long the node may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(60);

impl HardhatNode {
    /// Starts `hardhat node` from `arbiter_dir` (the `arbiter-sol/` folder). With
    /// `block_interval`, it also mines a block at that interval (a moving clock, as on a
    /// live chain); without, only transactions and `evm_mine` make blocks.
    pub fn start(
        arbiter_dir: &Path,
        block_interval: Option<Duration>,
    ) -> Result<HardhatNode, DevNodeError> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(DevNodeError::Port)?
            .port();
        // Absolute, since the child runs in `arbiter_dir` and a relative program path
        // would be resolved from there.
        let bin = std::path::absolute(arbiter_dir.join("node_modules/.bin/hardhat")).map_err(
            |source| DevNodeError::Spawn {
                path: arbiter_dir.to_path_buf(),
                source,
            },
        )?;
        let interval_ms = block_interval.map_or(0, |d| d.as_millis());
        let mut child = Command::new(&bin)
            .args([
                "node",
                "--hostname",
                "127.0.0.1",
                "--port",
                &port.to_string(),
            ])
            .current_dir(arbiter_dir)
            .env("HARDHAT_DISABLE_TELEMETRY_PROMPT", "true")
            .env("OPML_BLOCK_INTERVAL_MS", interval_ms.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| DevNodeError::Spawn { path: bin, source })?;
        let Some(stdout) = child.stdout.take() else {
            return Err(DevNodeError::NotListening("no stdout".into()));
        };
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads the log until the node listens, then keeps draining it so the node
        // never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains("Started HTTP") {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(());
                    }
                }
            }
        });
        // Dropping the node on an error below kills the process.
        let mut node = HardhatNode {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(()) => Ok(node),
            Err(_) => Err(DevNodeError::NotListening(
                match node.child.try_wait().ok().flatten() {
                    Some(status) => format!("it exited with {status}"),
                    None => format!("nothing after {} s", START_TIMEOUT.as_secs()),
                },
            )),
        }
    }

    /// The node's JSON-RPC endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for HardhatNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
