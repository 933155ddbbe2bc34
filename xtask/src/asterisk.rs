//! `cargo xtask asterisk up|down|restart|status|logs|cli|env`: a real
//! Asterisk (Debian sid's 22.x) in a chroot, for tests, CI and
//! `cargo xtask regenerate`.
//!
//! Human-readable progress goes to stderr; `up` and `env` print only
//! `export ARI_...=...` lines on stdout, so `eval "$(cargo xtask asterisk up)"`
//! works. See docs/asterisk-harness.md.

mod balancer;
mod config;
mod http;
mod root;
mod system;

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

pub use config::tls_port;
use config::{ARI_PASSWORD, ARI_USER, BIND_ADDRESS, DEFAULT_PORT};

#[derive(Args)]
pub struct AsteriskArgs {
    /// The chroot Asterisk runs in [default: target/asterisk-root in the workspace]
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: AsteriskCommand,
}

#[derive(Subcommand)]
enum AsteriskCommand {
    /// Build the root if needed, install the config, start Asterisk and wait for ARI.
    Up(UpArgs),
    /// Stop Asterisk and unmount /proc in the root (safe to call when not running).
    Down,
    /// Stop and start Asterisk again, keeping the root and the port.
    Restart(StartArgs),
    /// Whether Asterisk runs; its version and ARI URL. Exits 1 when not running.
    Status,
    /// Show the tail of Asterisk's log.
    Logs(LogsArgs),
    /// Run an Asterisk CLI command, e.g. `cli "core show channels"`.
    Cli {
        /// The command; several words are joined with spaces.
        #[arg(required = true, num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<String>,
    },
    /// Print the `export ARI_URL=... ARI_USER=... ARI_PASSWORD=...` lines tests read.
    Env,
    /// Send a signal to the running Asterisk, for fault tests: KILL, STOP or CONT.
    Signal {
        #[arg(value_parser = ["KILL", "STOP", "CONT"])]
        signal: String,
    },
}

#[derive(Args)]
struct UpArgs {
    #[command(flatten)]
    start: StartArgs,
    /// Delete the root and build it again from scratch.
    #[arg(long)]
    rebuild: bool,
    /// Debian mirror for building the root [default: the host's, from
    /// /etc/apt/sources.list.d/debian.sources]
    #[arg(long, value_name = "URL")]
    mirror: Option<String>,
}

#[derive(Args)]
struct StartArgs {
    /// Port of Asterisk's HTTP server (ARI) on 127.0.0.1 [default: 8088, or
    /// the port of the last start for `restart`]
    #[arg(long)]
    port: Option<u16>,
    /// Seconds to wait for ARI to answer.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
}

#[derive(Args)]
struct LogsArgs {
    /// Number of lines.
    #[arg(short = 'n', long, default_value_t = 50)]
    lines: usize,
    /// Which log: `full` (every dialplan step) or `messages` (problems only).
    #[arg(long, default_value = "full", value_parser = ["full", "messages"])]
    file: String,
    /// Keep printing new lines (tail -F).
    #[arg(short, long)]
    follow: bool,
}

pub fn run(args: AsteriskArgs) -> anyhow::Result<()> {
    let root = absolute_root(args.root)?;
    match args.command {
        AsteriskCommand::Up(up_args) => up(&root, &up_args),
        AsteriskCommand::Down => down(&root),
        AsteriskCommand::Restart(start) => restart(&root, &start),
        AsteriskCommand::Status => status(&root),
        AsteriskCommand::Logs(logs_args) => logs(&root, &logs_args),
        AsteriskCommand::Cli { command } => cli(&root, &command.join(" ")),
        AsteriskCommand::Signal { signal } => match asterisk_pid(&root)? {
            Some(pid) => {
                system::signal(pid, &signal);
                println!("sent SIG{signal} to Asterisk (pid {pid})");
                Ok(())
            }
            None => bail!("Asterisk is not running"),
        },
        AsteriskCommand::Env => {
            print_env(state_port(&root));
            Ok(())
        }
    }
}

fn absolute_root(root: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let root = root.unwrap_or_else(|| crate::workspace_root().join("target/asterisk-root"));
    let root = if root.is_absolute() {
        root
    } else {
        std::env::current_dir()
            .context("cannot determine the current directory")?
            .join(root)
    };
    // /proc shows canonical paths (for mounts and process roots); comparing
    // against a path with `..` or symlinks in it would find nothing.
    Ok(match (root.parent(), root.file_name()) {
        (Some(parent), Some(name)) => match parent.canonicalize() {
            Ok(parent) => parent.join(name),
            Err(_) => root,
        },
        _ => root,
    })
}

// ---------------------------------------------------------------- up / down

fn up(root: &Path, args: &UpArgs) -> anyhow::Result<()> {
    system::require_root("`cargo xtask asterisk up`")?;
    if args.rebuild || !root.exists() {
        let built = root::build(root, args.mirror.as_deref())?;
        if root.exists() {
            eprintln!("Replacing {} (--rebuild)", root.display());
            stop(root)?;
            root::remove_tree(root)?;
        }
        root::swap_in(&built, root)?;
    } else if let Some(problem) = root::problem_with(root) {
        bail!("{problem}; run `cargo xtask asterisk up --rebuild` to delete and rebuild it");
    }

    let port = args.start.port.unwrap_or(DEFAULT_PORT);
    if let Some(pid) = asterisk_pid(root)? {
        return already_running(root, pid, port);
    }
    start(root, port, Duration::from_secs(args.start.timeout))
}

fn already_running(root: &Path, pid: u32, port: u16) -> anyhow::Result<()> {
    let running_port = state_port(root);
    if running_port != port {
        bail!(
            "Asterisk already runs from {} on port {running_port} (pid {pid}); \
             `cargo xtask asterisk down` first to move it to port {port}",
            root.display()
        );
    }
    let changed = config::install(root, port)?;
    if !changed.is_empty() {
        // A changed dialplan or ari.conf should not need a restart.
        eprintln!("Configuration changed ({}); reloading", changed.join(", "));
        asterisk_cli(root, "core reload")?;
    }
    let version = wait_for_ari(root, port, Duration::from_secs(10))?;
    eprintln!("Asterisk {version} is already running (pid {pid}).");
    balancer::start(root)?;
    print_summary(root, port);
    Ok(())
}

fn start(root: &Path, port: u16, timeout: Duration) -> anyhow::Result<()> {
    // The TLS listener takes the next port; Asterisk would only log its
    // failure. A just-killed Asterisk holds its ports until it is reaped:
    // give that a few seconds.
    for (what, port) in [("port", port), ("TLS port", config::tls_port(port))] {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        let mut bound = TcpListener::bind((BIND_ADDRESS, port));
        while bound.is_err() && std::time::Instant::now() < deadline {
            sleep(Duration::from_millis(100));
            bound = TcpListener::bind((BIND_ADDRESS, port));
        }
        if let Err(error) = bound {
            bail!(
                "{what} {port} on {BIND_ADDRESS} is in use by another process ({error}); \
                 see `ss -ltnp 'sport = :{port}'`, or pick another with --port"
            );
        }
    }
    config::install(root, port)?;
    write_state(root, port)?;
    prepare_runtime_dirs(root)?;
    let proc_dir = root.join("proc");
    if !system::is_mounted(&proc_dir)? {
        system::run_quiet(
            Command::new("mount")
                .args(["-t", "proc", "proc"])
                .arg(&proc_dir),
        )?;
    }

    let started = Instant::now();
    // -F: fork into the background even though we are not a terminal, so
    // Asterisk outlives this command. No -U: it runs as root inside the
    // throw-away chroot, which keeps recordings and logs writable.
    let output = chroot(root, "asterisk")
        .arg("-F")
        .stdin(Stdio::null())
        .output()
        .context("cannot run chroot")?;
    if !output.status.success() {
        bail!(
            "Asterisk failed to start ({}):\n{}{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            log_tail_for_error(root)
        );
    }
    let version = wait_for_ari(root, port, timeout)?;
    eprintln!(
        "Asterisk {version} is up ({:.1} s after start, pid {}).",
        started.elapsed().as_secs_f64(),
        asterisk_pid(root)?.map_or_else(|| "?".to_owned(), |pid| pid.to_string())
    );
    balancer::start(root)?;
    print_summary(root, port);
    Ok(())
}

/// Polls until ARI answers with the version, Asterisk dies, or time runs out.
fn wait_for_ari(root: &Path, port: u16, timeout: Duration) -> anyhow::Result<String> {
    let deadline = Instant::now() + timeout;
    let grace = Instant::now() + Duration::from_secs(3);
    loop {
        let last_problem = match ari_info(port) {
            Ok(version) => {
                // ARI answers while modules are still loading; tests want the
                // dialplan in place too.
                asterisk_cli(root, "core waitfullybooted")?;
                return Ok(version);
            }
            Err(error) => format!("{error:#}"),
        };
        // The pid file appears a moment after `asterisk -F` returns, so only
        // call it dead after a grace period.
        if Instant::now() > grace && asterisk_pid(root)?.is_none() {
            bail!(
                "Asterisk exited during startup ({last_problem}){}",
                log_tail_for_error(root)
            );
        }
        if Instant::now() > deadline {
            bail!(
                "ARI did not answer on http://{BIND_ADDRESS}:{port} within {} s \
                 ({last_problem}); Asterisk is left running for inspection \
                 (`cargo xtask asterisk logs`, `down`){}",
                timeout.as_secs(),
                log_tail_for_error(root)
            );
        }
        sleep(Duration::from_millis(100));
    }
}

fn ari_info(port: u16) -> anyhow::Result<String> {
    let response = http::get(
        BIND_ADDRESS,
        port,
        "/ari/asterisk/info",
        (ARI_USER, ARI_PASSWORD),
        Duration::from_secs(2),
    )?;
    if response.status != 200 {
        bail!(
            "GET /ari/asterisk/info answered {}: {}",
            response.status,
            response.body.trim()
        );
    }
    http::version_from_info(&response.body)
}

fn down(root: &Path) -> anyhow::Result<()> {
    if !root.exists() {
        eprintln!("Asterisk is not running (no root at {}).", root.display());
        return Ok(());
    }
    let running = asterisk_pid(root)?.is_some();
    let mounted = !system::mounts_under(root)?.is_empty();
    if !running && !mounted {
        balancer::stop(root)?;
        eprintln!("Asterisk is not running.");
        return Ok(());
    }
    system::require_root("`cargo xtask asterisk down`")?;
    stop(root)?;
    eprintln!(
        "Asterisk stopped; nothing is mounted in {}.",
        root.display()
    );
    Ok(())
}

/// Stops every Asterisk process in the root, politely first, and the load
/// balancer, then unmounts.
fn stop(root: &Path) -> anyhow::Result<()> {
    balancer::stop(root)?;
    let pids = asterisk_processes(root)?;
    if !pids.is_empty() {
        // Failure here is fine: a wedged Asterisk is signalled below.
        let _ = chroot(root, "asterisk")
            .args(["-rx", "core stop now"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let mut signal = None;
        let started = Instant::now();
        loop {
            // Once exiting, the daemon no longer shows up in the scan of
            // the root, so the pids seen before are followed to the end:
            // until then they may still hold the HTTP port.
            let mut left: Vec<u32> = pids
                .iter()
                .copied()
                .filter(|pid| system::is_alive(*pid))
                .collect();
            left.extend(asterisk_processes(root)?);
            left.sort_unstable();
            left.dedup();
            if left.is_empty() {
                break;
            }
            let elapsed = started.elapsed();
            let next = if elapsed > Duration::from_secs(15) {
                bail!(
                    "Asterisk (pid {}) survived SIGKILL in {}",
                    left[0],
                    root.display()
                );
            } else if elapsed > Duration::from_secs(12) {
                "KILL"
            } else if elapsed > Duration::from_secs(8) {
                "TERM"
            } else {
                ""
            };
            if !next.is_empty() && signal != Some(next) {
                eprintln!("Asterisk does not stop; sending SIG{next}");
                for pid in &left {
                    system::signal(*pid, next);
                }
                signal = Some(next);
            }
            sleep(Duration::from_millis(100));
        }
    }
    system::unmount_all_under(root)
}

fn restart(root: &Path, args: &StartArgs) -> anyhow::Result<()> {
    system::require_root("`cargo xtask asterisk restart`")?;
    if let Some(problem) = root::problem_with(root) {
        bail!("{problem}; run `cargo xtask asterisk up` first");
    }
    let port = args.port.unwrap_or_else(|| state_port(root));
    stop(root)?;
    eprintln!("Asterisk stopped; starting it again");
    start(root, port, Duration::from_secs(args.timeout))
}

// ------------------------------------------------------- status / logs / cli

fn status(root: &Path) -> anyhow::Result<()> {
    let port = state_port(root);
    let ari = ari_info(port);
    // Without root, other users' /proc/PID/root is unreadable, so the process
    // cannot be seen; ARI answering on the root's port has to do.
    if system::effective_uid()? != 0 {
        let version = ari.with_context(|| {
            format!("Asterisk does not answer on port {port} (run as root for details)")
        })?;
        println!("Asterisk {version} is running.");
        print_status_lines(root, port);
        return Ok(());
    }
    let pid = asterisk_pid(root).ok().flatten();
    match (pid, ari) {
        (Some(pid), Ok(version)) => {
            println!("Asterisk {version} is running (pid {pid}).");
            print_status_lines(root, port);
            Ok(())
        }
        (Some(pid), Err(error)) => {
            bail!("Asterisk runs (pid {pid}) but ARI on port {port} does not answer: {error:#}")
        }
        (None, Ok(version)) => bail!(
            "Asterisk is not running from {}, but an Asterisk {version} answers on port {port} \
             (started from another root?)",
            root.display()
        ),
        (None, Err(_)) => bail!("Asterisk is not running (root {}).", root.display()),
    }
}

fn print_status_lines(root: &Path, port: u16) {
    println!("ARI:         http://{BIND_ADDRESS}:{port}/ari");
    println!("Credentials: {ARI_USER} / {ARI_PASSWORD}");
    println!("Root:        {}", root.display());
}

fn logs(root: &Path, args: &LogsArgs) -> anyhow::Result<()> {
    let path = root.join("var/log/asterisk").join(&args.file);
    if args.follow {
        let status = Command::new("tail")
            .arg("-n")
            .arg(args.lines.to_string())
            .arg("-F")
            .arg(&path)
            .status()
            .context("cannot run tail")?;
        if !status.success() {
            bail!("tail -F {} failed ({status})", path.display());
        }
        return Ok(());
    }
    let text = fs::read_to_string(&path).with_context(|| {
        format!(
            "cannot read {} (has Asterisk been started with `cargo xtask asterisk up`?)",
            path.display()
        )
    })?;
    for line in system::tail_lines(&text, args.lines) {
        println!("{line}");
    }
    Ok(())
}

fn cli(root: &Path, command: &str) -> anyhow::Result<()> {
    system::require_root("`cargo xtask asterisk cli`")?;
    if asterisk_pid(root)?.is_none() {
        bail!("Asterisk is not running; start it with `cargo xtask asterisk up`");
    }
    let status = chroot(root, "asterisk")
        .args(["-rx", command])
        .status()
        .context("cannot run chroot")?;
    if !status.success() {
        bail!("`asterisk -rx {command:?}` failed ({status})");
    }
    Ok(())
}

fn asterisk_cli(root: &Path, command: &str) -> anyhow::Result<String> {
    let output = system::run_quiet(chroot(root, "asterisk").args(["-rx", command]))?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

// ------------------------------------------------------------------ helpers

/// A command run inside the root with a clean environment: the host's locale,
/// cargo variables and PATH mean nothing in there.
fn chroot(root: &Path, program: &str) -> Command {
    let mut command = Command::new("chroot");
    command
        .arg(root)
        .arg(program)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("HOME", "/root")
        .env("LC_ALL", "C")
        .env("TERM", "dumb");
    command
}

/// The main Asterisk daemon of this root: the pid from its pid file if that
/// process really lives in the root, else any `asterisk` process in it.
fn asterisk_pid(root: &Path) -> anyhow::Result<Option<u32>> {
    // Inside the chroot /var/run is a symlink to the absolute /run, which on
    // the host would point at the host's /run.
    let pid_file = root.join("run/asterisk/asterisk.pid");
    let processes = asterisk_processes(root)?;
    let from_file = fs::read_to_string(pid_file)
        .ok()
        .and_then(|text| text.trim().parse::<u32>().ok())
        .filter(|pid| processes.contains(pid));
    Ok(from_file.or_else(|| processes.first().copied()))
}

fn asterisk_processes(root: &Path) -> anyhow::Result<Vec<u32>> {
    if !root.exists() {
        return Ok(Vec::new());
    }
    Ok(system::processes_in(root)?
        .into_iter()
        .filter(|process| process.name == "asterisk" && system::is_alive(process.pid))
        .map(|process| process.pid)
        .collect())
}

fn prepare_runtime_dirs(root: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    // ARI's recordings land here; Debian does not create it.
    for dir in [
        "var/spool/asterisk/recording",
        "var/log/asterisk",
        "run/asterisk",
    ] {
        let path = root.join(dir);
        fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
    }
    // debootstrap's minbase writes no /etc/hosts: without one `localhost`
    // does not resolve inside the root (the `wss://localhost` outbound
    // client, whose certificate check wants that name). IPv4 only: Asterisk's
    // client takes the first address, and everything listens on 127.0.0.1.
    let hosts = root.join("etc/hosts");
    if !hosts.exists() {
        fs::write(&hosts, "127.0.0.1\tlocalhost\n")
            .with_context(|| format!("writing {}", hosts.display()))?;
    }
    let recording = root.join("var/spool/asterisk/recording");
    fs::set_permissions(&recording, fs::Permissions::from_mode(0o1777))
        .with_context(|| format!("making {} writable", recording.display()))
}

fn state_path(root: &Path) -> PathBuf {
    root.join(".xtask-asterisk-state")
}

fn write_state(root: &Path, port: u16) -> anyhow::Result<()> {
    let path = state_path(root);
    fs::write(&path, format!("port={port}\n"))
        .with_context(|| format!("writing {}", path.display()))
}

/// The port of the last start, or the default if there was none.
fn state_port(root: &Path) -> u16 {
    fs::read_to_string(state_path(root))
        .ok()
        .and_then(|text| parse_state_port(&text))
        .unwrap_or(DEFAULT_PORT)
}

fn parse_state_port(text: &str) -> Option<u16> {
    text.lines()
        .find_map(|line| line.trim().strip_prefix("port="))
        .and_then(|port| port.trim().parse().ok())
}

fn log_tail_for_error(root: &Path) -> String {
    let path = root.join("var/log/asterisk/messages");
    match fs::read_to_string(&path) {
        Ok(text) => format!(
            "\nlast lines of {}:\n{}",
            path.display(),
            system::tail_lines(&text, 20).join("\n")
        ),
        Err(_) => format!("\n({} does not exist)", path.display()),
    }
}

fn print_summary(root: &Path, port: u16) {
    eprintln!("ARI:         http://{BIND_ADDRESS}:{port}/ari");
    eprintln!(
        "ARI on TLS:  https://localhost:{}/ari (CA: {})",
        config::tls_port(port),
        config::tls_dir().join("ca.pem").display()
    );
    eprintln!("Credentials: {ARI_USER} / {ARI_PASSWORD}");
    eprintln!("Root:        {}", root.display());
    eprintln!("Stop with `cargo xtask asterisk down`. For tests:");
    print_env(port);
}

fn print_env(port: u16) {
    for line in env_lines(port) {
        println!("{line}");
    }
}

fn env_lines(port: u16) -> [String; 4] {
    [
        format!("export ARI_URL=http://{BIND_ADDRESS}:{port}"),
        format!(
            "export ARI_TLS_URL=https://localhost:{}",
            config::tls_port(port)
        ),
        format!("export ARI_USER={ARI_USER}"),
        format!("export ARI_PASSWORD={ARI_PASSWORD}"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_port_parsing() {
        assert_eq!(parse_state_port("port=18088\n"), Some(18088));
        assert_eq!(parse_state_port("other=1\nport= 8089 \n"), Some(8089));
        assert_eq!(parse_state_port("port=http\n"), None);
        assert_eq!(parse_state_port(""), None);
    }

    #[test]
    fn env_lines_are_what_tests_read() {
        assert_eq!(
            env_lines(8088),
            [
                "export ARI_URL=http://127.0.0.1:8088".to_owned(),
                "export ARI_TLS_URL=https://localhost:8089".to_owned(),
                "export ARI_USER=asterisk".to_owned(),
                "export ARI_PASSWORD=asterisk".to_owned(),
            ]
        );
    }
}
