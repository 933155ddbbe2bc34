//! The load balancer of the `workers` tests: HAProxy from the same Debian
//! root as Asterisk, started and stopped with it, with
//! `tests/asterisk/haproxy/workers.cfg`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::{chroot, root, system};

/// Where the configuration goes inside the root.
const CONFIG: &str = "etc/haproxy/ari-workers.cfg";
const PID_FILE: &str = "run/haproxy-ari-workers.pid";

fn source() -> PathBuf {
    crate::workspace_root().join("tests/asterisk/haproxy/workers.cfg")
}

/// Starts HAProxy (again, so that a changed configuration is used);
/// installs it into a root built before it was one of the root's packages.
pub fn start(root: &Path) -> anyhow::Result<()> {
    if !root.join("usr/sbin/haproxy").is_file() {
        eprintln!("Installing haproxy into {}", root.display());
        root::install_packages(root, &["haproxy"])?;
    }
    stop(root)?;
    let config = root.join(CONFIG);
    if let Some(parent) = config.parent() {
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    fs::copy(source(), &config).with_context(|| format!("writing {}", config.display()))?;
    let output = chroot(root, "haproxy")
        .args(["-f", &format!("/{CONFIG}"), "-p", &format!("/{PID_FILE}")])
        .stdin(Stdio::null())
        .output()
        .context("cannot run haproxy in the root")?;
    if !output.status.success() {
        bail!(
            "haproxy failed to start ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    eprintln!("HAProxy is up (127.0.0.1:8098 → workers on 8101, 8102).");
    Ok(())
}

/// Stops every HAProxy process of the root.
pub fn stop(root: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut signal = "TERM";
    loop {
        let pids = processes(root)?;
        if pids.is_empty() {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(6) {
            bail!("haproxy (pid {}) survived SIGKILL", pids[0]);
        }
        if started.elapsed() > Duration::from_secs(3) {
            signal = "KILL";
        }
        for pid in pids {
            system::signal(pid, signal);
        }
        sleep(Duration::from_millis(100));
    }
}

fn processes(root: &Path) -> anyhow::Result<Vec<u32>> {
    if !root.exists() {
        return Ok(Vec::new());
    }
    Ok(system::processes_in(root)?
        .into_iter()
        .filter(|process| process.name == "haproxy" && system::is_alive(process.pid))
        .map(|process| process.pid)
        .collect())
}
