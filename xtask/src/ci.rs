//! `cargo xtask test`: everything CI checks, in the order that fails fastest.

use anyhow::Context as _;
use std::process::Command;

#[derive(clap::Args)]
pub struct TestArgs {
    /// Leave Asterisk running afterwards (for local debugging).
    #[arg(long)]
    keep_asterisk: bool,
    /// Skip fmt and clippy (they are still run by CI).
    #[arg(long)]
    no_lint: bool,
    /// Extra arguments for `cargo test` (after `--`).
    #[arg(last = true)]
    cargo_test_args: Vec<String>,
}

fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    command.current_dir(crate::workspace_root());
    command
}

fn step(name: &str, command: &mut Command) -> anyhow::Result<()> {
    println!("==> {name}");
    let status = command
        .status()
        .with_context(|| format!("cannot start {name}"))?;
    anyhow::ensure!(status.success(), "{name} failed ({status})");
    Ok(())
}

pub fn run(args: TestArgs) -> anyhow::Result<()> {
    if !args.no_lint {
        step(
            "cargo fmt --check",
            cargo().args(["fmt", "--all", "--check"]),
        )?;
        step(
            "cargo clippy",
            cargo().args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
        )?;
    }
    if !args.no_lint {
        // Generated and hand-written docs alike: broken intra-doc links,
        // bare URLs and bad HTML fail the run.
        step(
            "cargo doc (warnings denied)",
            cargo()
                .args(["doc", "--workspace", "--no-deps"])
                .env("RUSTDOCFLAGS", "-D warnings"),
        )?;
    }
    println!("==> cargo xtask regenerate --check");
    crate::regenerate::run_check()?;
    step(
        "cargo build (tests)",
        cargo().args(["test", "--workspace", "--no-run"]),
    )?;
    // Benches are not run here (figures come from `cargo xtask bench`), but
    // they must keep compiling.
    step(
        "cargo bench --no-run",
        cargo().args(["bench", "--workspace", "--no-run"]),
    )?;

    let xtask = std::env::current_exe().context("locating the xtask binary")?;
    // Another port lets a second checkout run its suite beside a developer's Asterisk.
    let port = std::env::var("ARI_TEST_PORT").unwrap_or_else(|_| "8088".to_owned());
    step(
        "cargo xtask asterisk up",
        Command::new(&xtask).args(["asterisk", "up", "--port", &port]),
    )?;
    let tls_port = port
        .parse::<u16>()
        .map(crate::asterisk::tls_port)
        .with_context(|| format!("ARI_TEST_PORT `{port}` is not a port"))?;
    let mut test = cargo();
    // Every binary runs even when one fails: a failure shows with all the
    // others.
    test.args(["test", "--workspace", "--no-fail-fast"])
        .env("ARI_XTASK", &xtask)
        .env("ARI_URL", format!("http://127.0.0.1:{port}"))
        .env("ARI_TLS_URL", format!("https://localhost:{tls_port}"));
    if !args.cargo_test_args.is_empty() {
        test.arg("--").args(&args.cargo_test_args);
    }
    let tested = step("cargo test --workspace", &mut test);
    if args.keep_asterisk {
        return tested;
    }
    // Stopped even when tests failed, so that a failed run leaves no server behind.
    let stopped = step(
        "cargo xtask asterisk down",
        Command::new(&xtask).args(["asterisk", "down"]),
    );
    tested.and(stopped)
}
