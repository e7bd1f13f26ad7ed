//! `opml deploy`, `opml request`, `opml agent`, `opml serve` and `opml status` processes
//! against a live Hardhat node that mines a block every second (started and stopped
//! here; run `scripts/setup.sh` first). The challenger signs with a fresh private key
//! (OPML_KEY) and reads the request's input from the chain; the submitters send from
//! unlocked node accounts. A cheating submitter loses to a challenger that is stopped
//! mid-game and resumed from its state file, while an honest submitter's result answers
//! the request; an honest result finalizes after the window; a wrong input, deployment
//! file or unsafe parameters are refused; the agents ride out a 20 s node outage.

mod support;

use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::U256;
use opml_game::chain::Chain;
use opml_game::devnode::HardhatNode;
use opml_game::rpc::RpcChain;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A node, an arbiter deployed on it and the files the commands share.
struct Stage {
    node: HardhatNode,
    dir: tempfile::TempDir,
    challenger_key: String,
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

impl Stage {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `opml NAME --rpc URL ARGS…` against the node.
    fn command(&self, name: &str, args: &[&str]) -> Command {
        command_at(self.node.url(), name, args)
    }

    /// The deployment, the model and `input` (a file in the stage) when given.
    fn model_args(&self, input: Option<&str>) -> Vec<String> {
        let model = repo().join("guest-ml/models/fmnist-mlp.opml");
        let mut args = vec![
            "--deployment".into(),
            self.path("deployment.json").display().to_string(),
            "--model".into(),
            model.display().to_string(),
        ];
        if let Some(input) = input {
            args.extend(["--input".into(), self.path(input).display().to_string()]);
        }
        args
    }

    /// An `opml agent` for `request` (reading the input from the chain when `input` is
    /// `None`): `challenger` signs with its key, `submitter` sends from the node's
    /// account 1 and `honest` (a second, honest submitter) from account 2.
    fn agent(&self, who: &str, request: u64, input: Option<&str>, extra: &[&str]) -> Command {
        self.agent_at(self.node.url(), who, request, input, extra)
    }

    /// [`Stage::agent`] talking to the node through `url`.
    fn agent_at(
        &self,
        url: &str,
        who: &str,
        request: u64,
        input: Option<&str>,
        extra: &[&str],
    ) -> Command {
        let role = if who == "challenger" {
            who
        } else {
            "submitter"
        };
        let mut args = vec![
            "--role".to_string(),
            role.into(),
            "--request".into(),
            request.to_string(),
            "--state".into(),
            self.path(&format!("{who}-{request}.json"))
                .display()
                .to_string(),
            "--poll-ms".into(),
            "200".into(),
            // The node mines a block a second.
            "--move-seconds".into(),
            "2".into(),
        ];
        args.extend(self.model_args(input));
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut c = command_at(url, "agent", &args);
        match who {
            "challenger" => c.env("OPML_KEY", &self.challenger_key),
            "honest" => c.args(["--account", "2"]),
            _ => c.args(["--account", "1"]),
        };
        c
    }
}

/// `opml NAME --rpc URL ARGS…`.
fn command_at(url: &str, name: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_opml"));
    c.arg(name).args(["--rpc", url]).args(args);
    c.env_remove("OPML_KEY").env("RUST_BACKTRACE", "0");
    c
}

/// The stdout of a finished command, or a panic with both streams when it failed.
fn succeeded(out: Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Runs a command to the end; its stdout.
fn ok(mut c: Command) -> String {
    succeeded(c.output().expect("opml runs"))
}

/// Runs a command that must fail; its stderr.
fn fails(mut c: Command) -> String {
    let out: Output = c.output().expect("opml runs");
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Sends SIGINT (what Ctrl-C sends) to `child`.
fn ctrl_c(child: &Child) {
    let pid = child.id().to_string();
    let sent = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill");
    assert!(sent.success(), "kill -INT {pid} failed");
}

fn spawn(mut c: Command) -> Child {
    c.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("opml starts")
}

/// Waits for `child` at most two minutes.
fn finish(mut child: Child) -> String {
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("agent still running after 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    succeeded(child.wait_with_output().expect("output"))
}

/// A node with a block a second and an arbiter with a `window`-second challenge window.
fn stage(window: &str) -> Stage {
    let node = HardhatNode::start(&repo().join("arbiter-sol"), Some(Duration::from_secs(1)))
        .expect("hardhat node (run scripts/setup.sh)");
    let key = PrivateKeySigner::random();
    let mut funder = RpcChain::connect(node.url()).expect("connects");
    let from = funder.accounts()[3];
    let ten_eth = U256::from(10u128.pow(19));
    funder
        .send(from, key.address(), Vec::new(), ten_eth)
        .expect("funds the challenger's key");
    let stage = Stage {
        node,
        dir: tempfile::tempdir().expect("temp dir"),
        challenger_key: key.to_bytes().to_string(),
    };
    for (name, salt) in [("a.bin", 97u32), ("b.bin", 89)] {
        let bytes: Vec<u8> = (0..784u32).map(|i| (i % salt) as u8).collect();
        std::fs::write(stage.path(name), bytes).expect("write input");
    }
    let out = stage.path("deployment.json").display().to_string();
    let deployed = ok(stage.command(
        "deploy",
        &["--window", window, "--clock", "300", "--out", &out],
    ));
    assert!(deployed.contains("registry: 0x"), "{deployed}");
    stage
}

/// `opml request` for `input`; the request id it printed.
fn request(s: &Stage, input: &str, extra: &[&str]) -> u64 {
    let mut args = s.model_args(Some(input));
    args.extend(extra.iter().map(|a| a.to_string()));
    args.push("--json".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let printed = ok(s.command("request", &args));
    let v: serde_json::Value = serde_json::from_str(printed.trim()).expect("JSON");
    v["request"].as_u64().expect("a request id")
}

#[test]
fn agents_play_the_protocol_on_a_live_node() {
    let s = stage("6");

    // A submitter lying from the middle of the run; the challenger, which reads the
    // input from the chain, is stopped after three moves and resumed from its state
    // file by a new process.
    let r = request(&s, "a.bin", &[]);
    let submitter = spawn(s.agent("submitter", r, Some("a.bin"), &["--cheat", "middle"]));
    let honest = spawn(s.agent("honest", r, Some("a.bin"), &[]));
    let first = ok(s.agent("challenger", r, None, &["--max-moves", "3"]));
    assert!(first.contains("stopped after 3 moves"), "{first}");
    let second = ok(s.agent("challenger", r, None, &[]));
    let lost = finish(submitter);
    let answered = finish(honest);
    assert!(answered.contains("submitter: done, WON"), "{answered}");
    assert!(second.contains("resuming from"), "{second}");
    assert!(second.contains("one-step proof of step"), "{second}");
    assert!(second.contains("challenger: done, WON"), "{second}");
    assert!(
        second.contains("withdrew 2000000000000000000 wei"),
        "{second}"
    );
    assert!(lost.contains("submitter: done, lost"), "{lost}");

    // An honest result: finalized after the 6 s window, the challenger agrees.
    let r = request(&s, "b.bin", &["--model-id", "0"]);
    let submitter = spawn(s.agent("submitter", r, Some("b.bin"), &[]));
    let agreed = ok(s.agent("challenger", r, None, &[]));
    let won = finish(submitter);
    assert!(agreed.contains("matches its own run"), "{agreed}");
    assert!(won.contains("window over, finalizes"), "{won}");
    assert!(won.contains("submitter: done, WON"), "{won}");

    // Another input than the request's is refused before anything is sent.
    let err = fails(s.agent("challenger", r, Some("a.bin"), &[]));
    assert!(err.contains("start root on chain"), "{err}");
    std::fs::write(s.path("deployment.json"), "{}").expect("overwrite");
    let err = fails(s.agent("submitter", r, Some("b.bin"), &[]));
    assert!(err.contains("not a deployment file"), "{err}");
}

#[test]
fn serve_challenges_every_request_of_its_model() {
    let s = stage("8");
    let ra = request(&s, "a.bin", &[]);
    let rb = request(&s, "b.bin", &["--model-id", "0"]);
    let mut serve_args = s.model_args(None);
    serve_args.extend(
        [
            "--role",
            "challenger",
            "--model-id",
            "0",
            "--state-dir",
            &s.path("serve").display().to_string(),
            "--poll-ms",
            "200",
            "--max-requests",
            "2",
            "--move-seconds",
            "2",
        ]
        .map(String::from),
    );
    let serve_args: Vec<&str> = serve_args.iter().map(String::as_str).collect();
    let mut serve = s.command("serve", &serve_args);
    serve.env("OPML_KEY", &s.challenger_key);
    let serve = spawn(serve);
    let liar = spawn(s.agent("submitter", ra, Some("a.bin"), &["--cheat", "last"]));
    let answer = spawn(s.agent("honest", ra, Some("a.bin"), &[]));
    let honest = ok(s.agent("submitter", rb, Some("b.bin"), &[]));
    assert!(finish(answer).contains("submitter: done, WON"));
    let served = finish(serve);
    let lost = finish(liar);
    assert!(lost.contains("submitter: done, lost"), "{lost}");
    assert!(honest.contains("submitter: done, WON"), "{honest}");
    assert!(
        served.contains(&format!("challenger #{ra}: done, WON")),
        "{served}"
    );
    assert!(
        served.contains(&format!(
            "challenger #{rb}: the request's answer matches its own run"
        )),
        "{served}"
    );
    assert!(served.contains("served 2 requests"), "{served}");
    assert!(
        s.path(&format!("serve/request-{ra}.json")).exists(),
        "per-request state"
    );
}

#[test]
fn ctrl_c_stops_an_agent_after_a_move_and_it_resumes_without_repeating_it() {
    let s = stage("600");
    let r = request(&s, "a.bin", &[]);
    let mut child = s
        .agent("submitter", r, Some("a.bin"), &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("opml starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    // The result is posted; the agent now waits out the 600 s window.
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("utf-8 output");
        seen.push(line.clone());
        if line.contains("posts its result") {
            break;
        }
    }
    assert!(
        seen.iter().any(|l| l.contains("posts its result")),
        "{seen:?}"
    );
    ctrl_c(&child);
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().expect("wait");
    assert!(status.success(), "exit {status} after Ctrl-C: {rest:?}");
    assert!(
        rest.iter().any(|l| l.contains("stopped after 1 moves")),
        "{rest:?}"
    );
    // A new process resumes the saved state and polls for two seconds without posting
    // a second result (the registry would revert it), then stops on Ctrl-C too.
    let resumed = spawn(s.agent("submitter", r, Some("a.bin"), &[]));
    std::thread::sleep(Duration::from_secs(2));
    ctrl_c(&resumed);
    let again = finish(resumed);
    assert!(again.contains("resuming from"), "{again}");
    assert!(again.contains("stopped after 0 moves"), "{again}");
    assert!(!again.contains("posts its result"), "{again}");
}

#[test]
fn agents_ride_out_a_node_outage_and_the_honest_side_wins() {
    let s = stage("10");
    let node: std::net::SocketAddr = s
        .node
        .url()
        .trim_start_matches("http://")
        .parse()
        .expect("node address");
    let proxy = support::proxy::Proxy::start(node);
    let r = request(&s, "a.bin", &[]);
    let via = proxy.url();
    let liar = spawn(s.agent_at(&via, "submitter", r, Some("a.bin"), &["--cheat", "middle"]));
    let honest = spawn(s.agent("honest", r, Some("a.bin"), &[]));
    let mut challenger = spawn(s.agent_at(&via, "challenger", r, None, &[]));
    let stdout = challenger.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    // In the middle of the game (after the challenger's first pick) the node goes away
    // for 20 s, for both the liar and the challenger.
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("utf-8 output");
        seen.push(line.clone());
        if line.contains("first disputed segment") {
            break;
        }
    }
    assert!(
        seen.iter().any(|l| l.contains("first disputed segment")),
        "{seen:?}"
    );
    proxy.set_down(true);
    std::thread::sleep(Duration::from_secs(20));
    proxy.set_down(false);
    let rest = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>());
    let out = finish(challenger);
    let rest = rest.join().expect("reader").join("\n");
    assert!(rest.contains("challenger: done, WON"), "{rest}");
    assert!(
        rest.contains("withdrew 2000000000000000000 wei"),
        "no funds lost: {rest}"
    );
    assert!(
        out.contains("node unreachable") || rest.contains("reachable again"),
        "{out}"
    );
    assert!(finish(liar).contains("submitter: done, lost"));
    assert!(finish(honest).contains("submitter: done, WON"));
    // What an operator checks afterwards.
    let mut args = s.model_args(None)[..2].to_vec();
    args.extend(["--request".to_string(), r.to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let status = ok(s.command("status", &args));
    assert!(
        status.contains(&format!("request {r}: Finalized")),
        "{status}"
    );
    assert!(
        status.contains("Rejected") && status.contains("Final,"),
        "{status}"
    );
    assert!(status.contains("over, challenger won"), "{status}");
    let mut json_args = args.clone();
    json_args.push("--json");
    let v: serde_json::Value =
        serde_json::from_str(ok(s.command("status", &json_args)).trim()).expect("JSON");
    assert_eq!(v["status"], "Finalized");
    assert_eq!(v["results"].as_array().map(Vec::len), Some(2), "{v}");
}

#[test]
fn unsafe_parameters_are_refused_before_anything_is_sent() {
    // No node needed: the checks come first.
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("d.json").display().to_string();
    for (flag, value, name) in [("--degree", "1", "degree"), ("--clock", "0", "clock")] {
        let err = fails(command_at(
            "http://127.0.0.1:1",
            "deploy",
            &[flag, value, "--out", &out],
        ));
        assert!(
            err.contains(&format!("{name} = {value} is outside")),
            "{err}"
        );
    }
    assert!(!dir.path().join("d.json").exists());
}

#[test]
fn serve_answers_only_requests_paying_its_minimum_fee_and_earns_the_fee() {
    let s = stage("6");
    let free = request(&s, "a.bin", &[]);
    let fee = "5000000000000000";
    let paid = request(&s, "b.bin", &["--model-id", "0", "--fee", fee]);
    let state = s.path("serve-submitter").display().to_string();
    let mut args = s.model_args(None);
    args.extend(
        [
            "--role",
            "submitter",
            "--model-id",
            "0",
            "--state-dir",
            &state,
            "--poll-ms",
            "200",
            "--max-requests",
            "1",
            "--move-seconds",
            "2",
            "--min-fee",
            "1",
            "--account",
            "1",
        ]
        .map(String::from),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = ok(s.command("serve", &args));
    assert!(
        out.contains(&format!("request {free}: fee 0 wei is below --min-fee 1")),
        "{out}"
    );
    assert!(
        out.contains(&format!("submitter #{paid}: done, WON")),
        "{out}"
    );
    assert!(
        out.contains("withdrew 1005000000000000000 wei"),
        "bond and fee: {out}"
    );
    // A deadline the registry would refuse is refused before anything is sent.
    let err = fails(
        s.command(
            "request",
            &[
                "--deployment",
                &s.path("deployment.json").display().to_string(),
                "--model",
                &repo()
                    .join("guest-ml/models/fmnist-mlp.opml")
                    .display()
                    .to_string(),
                "--input",
                &s.path("a.bin").display().to_string(),
                "--model-id",
                "0",
                "--fee",
                fee,
                "--deadline-in",
                "10",
            ],
        ),
    );
    assert!(err.contains("shorter than window + 2 × clock"), "{err}");
}
