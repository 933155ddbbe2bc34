//! `cargo xtask bench`: every performance measurement of docs/performance.md.
//!
//! 1. criterion: typed vs untyped decode, codegen stages, REST overhead;
//! 2. event throughput end to end: `replay_server.py` (shared/bench) and the
//!    `ari-bench-events` example (multi-thread and current-thread runtimes)
//!    and its mimalloc twin, for each event count, with peak RSS;
//! 3. call control: the router with 10,000 handles against the plain
//!    stream on the same frames (`ari-bench-router`, its own replay
//!    server), and 1,000 concurrent call tasks against the test Asterisk
//!    (`ari-bench-calls`, skipped when none answers);
//! 4. REST round trips over HTTP and over the WebSocket against the test
//!    Asterisk (`ari-bench-rest`, skipped when none answers);
//! 5. concurrent media sessions against the test Asterisk, the runtime's
//!    against a hand-written tokio-tungstenite loop (`ari-bench-media`);
//! 6. the release `ari-codegen generate` process (hyperfine when installed);
//! 7. with `--build-cost`: a clean `cargo build -p ari-generated` in its own
//!    target folder, and the size of the generated sources.

use anyhow::{Context as _, bail};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Skip the criterion benches.
    #[arg(long)]
    no_criterion: bool,
    /// Event counts for the throughput runs (rounded up to whole corpus repeats).
    #[arg(long, value_delimiter = ',', default_value = "1000000,2000000")]
    events: Vec<u64>,
    /// Port for replay_server.py.
    #[arg(long, default_value_t = 18088)]
    port: u16,
    /// Also measure a clean build of ari-generated (slow: several minutes on 2 cores).
    #[arg(long)]
    build_cost: bool,
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let status = command
        .status()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed: {status}");
    }
    Ok(())
}

fn shared(root: &Path) -> PathBuf {
    root.join("..").join("shared")
}

pub fn run_bench(args: BenchArgs) -> anyhow::Result<()> {
    let root = crate::workspace_root();
    if !args.no_criterion {
        for (package, bench) in [
            ("ari-generated", "decode"),
            ("ari-codegen", "codegen"),
            ("ari-generated", "rest"),
        ] {
            run(cargo()
                .current_dir(&root)
                .args(["bench", "-p", package, "--bench", bench]))?;
        }
    }
    throughput(&root, &args)?;
    call_control(&root)?;
    rest_transports(&root)?;
    media_sessions(&root)?;
    codegen_process(&root)?;
    if args.build_cost {
        build_cost(&root)?;
    }
    Ok(())
}

/// Kills the replay server when dropped.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Builds release examples of ari-generated; returns their folder and the
/// recorded corpus they replay.
fn release_examples(root: &Path, names: &[&str]) -> anyhow::Result<(PathBuf, PathBuf)> {
    let mut build = cargo();
    build
        .current_dir(root)
        .args(["build", "--release", "-p", "ari-generated"]);
    for name in names {
        build.args(["--example", name]);
    }
    run(&mut build)?;
    Ok((
        root.join("target/release/examples"),
        shared(root).join("events/asterisk-22.10.1-scenarios.jsonl"),
    ))
}

fn throughput(root: &Path, args: &BenchArgs) -> anyhow::Result<()> {
    let (examples, corpus) =
        release_examples(root, &["ari-bench-events", "ari-bench-events-mimalloc"])?;
    let lines = std::fs::read_to_string(&corpus)
        .with_context(|| format!("cannot read {}", corpus.display()))?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count() as u64;
    if lines == 0 {
        bail!("{} is empty", corpus.display());
    }
    let base = format!("http://127.0.0.1:{}", args.port);
    for &events in &args.events {
        let repeat = events.div_ceil(lines);
        let expected = lines * repeat + 1;
        for (client, flavor) in [
            ("ari-bench-events", "multi_thread"),
            ("ari-bench-events", "current_thread"),
            ("ari-bench-events-mimalloc", "multi_thread"),
        ] {
            let server = Server(
                Command::new("python3")
                    .arg(shared(root).join("bench/replay_server.py"))
                    .args([args.port.to_string(), "--repeat".into(), repeat.to_string()])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .context("cannot start replay_server.py (python3 with aiohttp)")?,
            );
            wait_for_port(args.port)?;
            let output = Command::new("/usr/bin/time")
                .arg("-v")
                .arg(examples.join(client))
                .args([&base, "asterisk", "asterisk", "bench"])
                .env("ARI_BENCH_RUNTIME", flavor)
                .output()
                .context("cannot run /usr/bin/time -v (apt-get install time)")?;
            drop(server);
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            let result = stdout
                .lines()
                .find(|l| l.starts_with("RESULT "))
                .with_context(|| format!("no RESULT line: {stdout}{stderr}"))?;
            let field = |name: &str| {
                result
                    .split_whitespace()
                    .find_map(|f| f.strip_prefix(name))
                    .and_then(|v| v.parse::<f64>().ok())
            };
            let (Some(count), Some(seconds)) = (field("events="), field("seconds=")) else {
                bail!("malformed {result}");
            };
            let rss_kb = stderr
                .lines()
                .find_map(|l| {
                    l.trim()
                        .strip_prefix("Maximum resident set size (kbytes): ")
                })
                .unwrap_or("?");
            let delivered = if count as u64 == expected {
                "all delivered".to_owned()
            } else {
                format!("MISSING {} events", expected as f64 - count)
            };
            println!(
                "throughput {client:>25} {flavor:>14}: {:>8.0} events/s ({count} events in {seconds:.3} s, {delivered}), peak RSS {rss_kb} kB",
                count / seconds
            );
            if count as u64 != expected {
                bail!("{result}: expected {expected} events");
            }
        }
    }
    Ok(())
}

fn call_control(root: &Path) -> anyhow::Result<()> {
    let (examples, corpus) = release_examples(root, &["ari-bench-router", "ari-bench-calls"])?;
    for _ in 0..3 {
        run(Command::new(examples.join("ari-bench-router"))
            .arg(&corpus)
            .args(["1000000", "10000"]))?;
    }
    let ari_up = std::net::TcpStream::connect(("127.0.0.1", 8088)).is_ok();
    if !ari_up {
        eprintln!("call tasks: no Asterisk on 127.0.0.1:8088 (cargo xtask asterisk up); skipped");
        return Ok(());
    }
    for _ in 0..2 {
        run(Command::new(examples.join("ari-bench-calls")).args(["1000", "5"]))?;
    }
    Ok(())
}

/// REST round trips over HTTP and over the WebSocket, in one run against
/// the test Asterisk; skipped when none answers.
fn rest_transports(root: &Path) -> anyhow::Result<()> {
    let (examples, _) = release_examples(root, &["ari-bench-rest"])?;
    if std::net::TcpStream::connect(("127.0.0.1", 8088)).is_err() {
        eprintln!(
            "REST transports: no Asterisk on 127.0.0.1:8088 (cargo xtask asterisk up); skipped"
        );
        return Ok(());
    }
    run(Command::new(examples.join("ari-bench-rest")).args(["2000", "5"]))
}

/// Concurrent media sessions against the test Asterisk, the runtime's
/// against a hand-written tokio-tungstenite loop; skipped when none answers.
fn media_sessions(root: &Path) -> anyhow::Result<()> {
    let (examples, _) = release_examples(root, &["ari-bench-media"])?;
    if std::net::TcpStream::connect(("127.0.0.1", 8088)).is_err() {
        eprintln!(
            "media sessions: no Asterisk on 127.0.0.1:8088 (cargo xtask asterisk up); skipped"
        );
        return Ok(());
    }
    run(Command::new(examples.join("ari-bench-media")).args(["25,50,100,150", "10"]))
}

fn wait_for_port(port: u16) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("replay_server.py did not listen on port {port}")
}

fn codegen_process(root: &Path) -> anyhow::Result<()> {
    run(cargo()
        .current_dir(root)
        .args(["build", "--release", "-p", "ari-codegen"]))?;
    let binary = root.join("target/release/ari-codegen");
    let out = root.join("target/bench-codegen-out");
    let command = format!(
        "{} generate --api-docs {} --out {}",
        binary.display(),
        root.join("api-docs").display(),
        out.display()
    );
    let hyperfine = Command::new("hyperfine")
        .args(["--warmup", "3", "--runs", "30", &command])
        .status();
    match hyperfine {
        Ok(status) if status.success() => Ok(()),
        _ => {
            // No hyperfine: the mean of 20 runs.
            let runs = 20;
            let started = Instant::now();
            for _ in 0..runs {
                run(Command::new("sh")
                    .args(["-c", &command])
                    .stdout(Stdio::null()))?;
            }
            println!(
                "ari-codegen generate (release): {:.1} ms mean of {runs} runs",
                started.elapsed().as_secs_f64() * 1000.0 / f64::from(runs)
            );
            Ok(())
        }
    }
}

fn build_cost(root: &Path) -> anyhow::Result<()> {
    let target = root.join("target/buildcost");
    let _ = std::fs::remove_dir_all(&target);
    let started = Instant::now();
    run(cargo()
        .current_dir(root)
        .env("CARGO_TARGET_DIR", &target)
        .args(["build", "-p", "ari-generated"]))?;
    println!(
        "clean `cargo build -p ari-generated` (dev): {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let (mut bytes, mut lines) = (0u64, 0usize);
    for entry in std::fs::read_dir(root.join("ari-generated/src/generated"))? {
        let text = std::fs::read_to_string(entry?.path())?;
        bytes += text.len() as u64;
        lines += text.lines().count();
    }
    println!("generated sources: {bytes} bytes, {lines} lines");
    Ok(())
}
