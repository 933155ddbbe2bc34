//! Building the Debian sid chroot that Asterisk runs in.
//!
//! Asterisk is not packaged for Debian 12, but sid ships 22.x and runs fine in
//! a minbase chroot. The root is built once and cached; building goes into a
//! sibling `*.partial` directory that is renamed into place only when
//! complete, so an interrupted build never looks like a usable root.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::{http, system};

/// Packages installed into the chroot. The MOH sounds are there because ARI
/// has music-on-hold operations on channels and bridges, which fail without a
/// configured class.
/// HAProxy is the load balancer of the `workers` tests.
pub const PACKAGES: &[&str] = &[
    "asterisk",
    "asterisk-modules",
    "asterisk-core-sounds-en-gsm",
    "asterisk-moh-opsound-gsm",
    "haproxy",
];

const SUITE: &str = "sid";

/// Written last into a finished root: its presence means "built completely by
/// this tool".
pub const MARKER: &str = ".xtask-asterisk-root";

/// Why an existing root cannot be used, or `None` if it looks complete.
pub fn problem_with(root: &Path) -> Option<String> {
    if !root.join(MARKER).is_file() {
        return Some(format!(
            "{} exists but was not completed by `cargo xtask asterisk up` (no {MARKER})",
            root.display()
        ));
    }
    for needed in ["usr/sbin/asterisk", "usr/bin/apt-get", "etc/asterisk"] {
        if !root.join(needed).exists() {
            return Some(format!(
                "{} is broken: /{needed} is missing",
                root.display()
            ));
        }
    }
    None
}

/// Builds a new root next to `root` and returns where; an existing `root` is
/// left alone (it may be running) until the caller swaps the new one in with
/// [`swap_in`], so a failed `--rebuild` keeps the old root usable.
pub fn build(root: &Path, mirror_override: Option<&str>) -> anyhow::Result<PathBuf> {
    let started = Instant::now();
    let debootstrap = ensure_debootstrap()?;
    let mirror = match mirror_override {
        Some(mirror) => mirror.to_owned(),
        None => host_mirror()?,
    };
    check_mirror_reachable(&mirror)?;

    let partial = sibling(root, "partial");
    let log_path = sibling(root, "build.log");
    if partial.exists() {
        eprintln!(
            "Removing {} left over from an interrupted build",
            partial.display()
        );
        remove_tree(&partial)?;
    }
    if let Some(parent) = root.parent() {
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    // Truncate the log so a failure shows this build's lines only.
    fs::write(&log_path, "").with_context(|| format!("creating {}", log_path.display()))?;
    eprintln!(
        "Building the Asterisk root in {} from {mirror} (log: {})",
        root.display(),
        log_path.display()
    );

    let result = (|| {
        eprintln!("  debootstrap --variant=minbase {SUITE} ...");
        logged(
            Command::new(&debootstrap)
                .args(["--variant=minbase", SUITE])
                .arg(&partial)
                .arg(&mirror),
            &log_path,
        )?;
        eprintln!("  apt-get install {} ...", PACKAGES.join(" "));
        // The host's mirror may be a dated snapshot whose Release files are
        // "expired"; the packages are still the ones we want.
        logged(
            chroot_apt(&partial).args(["-o", "Acquire::Check-Valid-Until=false", "update"]),
            &log_path,
        )?;
        logged(
            chroot_apt(&partial)
                .args(["install", "-y", "--no-install-recommends"])
                .args(PACKAGES),
            &log_path,
        )?;
        // The downloaded .debs are a third of the root and never reused.
        logged(chroot_apt(&partial).arg("clean"), &log_path)?;
        if !partial.join("usr/sbin/asterisk").is_file() {
            bail!("the packages installed, but /usr/sbin/asterisk is missing");
        }
        // debootstrap mounts /proc and /sys while it works; a rename with
        // mounts inside would carry them along into the final root.
        system::unmount_all_under(&partial)?;
        let marker = format!(
            "suite={SUITE}\nmirror={mirror}\npackages={}\n",
            PACKAGES.join(" ")
        );
        fs::write(partial.join(MARKER), marker).context("writing the root marker")
    })();

    if let Err(error) = result {
        let log = fs::read_to_string(&log_path).unwrap_or_default();
        let tail = system::tail_lines(&log, 25).join("\n");
        return Err(error.context(format!(
            "building the Asterisk root failed; last lines of {}:\n{tail}\n\
             (the half-built {} is removed by the next `up`)",
            log_path.display(),
            partial.display()
        )));
    }
    eprintln!("Root built in {:.1} s", started.elapsed().as_secs_f64());
    Ok(partial)
}

/// Renames a finished build into place; `root` must not exist any more.
pub fn swap_in(built: &Path, root: &Path) -> anyhow::Result<()> {
    fs::rename(built, root)
        .with_context(|| format!("renaming {} to {}", built.display(), root.display()))
}

/// Deletes a root (or partial root) that may still have Asterisk running or
/// /proc mounted inside.
pub fn remove_tree(dir: &Path) -> anyhow::Result<()> {
    let busy = system::processes_in(dir)?;
    if !busy.is_empty() {
        bail!(
            "refusing to delete {}: processes still run inside it: {}",
            dir.display(),
            busy.iter()
                .map(|process| format!("{} ({})", process.pid, process.name))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    system::unmount_all_under(dir)?;
    fs::remove_dir_all(dir).with_context(|| format!("deleting {}", dir.display()))
}

/// `target/asterisk-root` → `target/asterisk-root.partial`.
pub fn sibling(root: &Path, suffix: &str) -> PathBuf {
    let mut name = root.file_name().unwrap_or_default().to_os_string();
    name.push(".");
    name.push(suffix);
    root.with_file_name(name)
}

/// Installs `packages` into a finished root (one built before they were in
/// [`PACKAGES`]).
pub fn install_packages(root: &Path, packages: &[&str]) -> anyhow::Result<()> {
    let log_path = sibling(root, "build.log");
    logged(
        chroot_apt(root).args(["-o", "Acquire::Check-Valid-Until=false", "update"]),
        &log_path,
    )?;
    logged(
        chroot_apt(root)
            .args(["install", "-y", "--no-install-recommends"])
            .args(packages),
        &log_path,
    )?;
    logged(chroot_apt(root).arg("clean"), &log_path)
}

fn chroot_apt(root: &Path) -> Command {
    let mut command = Command::new("chroot");
    command
        .arg(root)
        .arg("apt-get")
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .env("LC_ALL", "C");
    command
}

/// Runs `command` with stdout and stderr appended to `log`.
fn logged(command: &mut Command, log: &Path) -> anyhow::Result<()> {
    let shown = system::describe(command);
    let out = fs::OpenOptions::new()
        .append(true)
        .open(log)
        .with_context(|| format!("opening {}", log.display()))?;
    let err = out.try_clone()?;
    let status = command
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .status()
        .with_context(|| format!("cannot run `{shown}`"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(())
}

fn ensure_debootstrap() -> anyhow::Result<PathBuf> {
    if let Some(path) = system::find_program("debootstrap") {
        return Ok(path);
    }
    if system::find_program("apt-get").is_none() {
        bail!("debootstrap is not installed and there is no apt-get to install it with");
    }
    eprintln!("Installing debootstrap with apt-get");
    let install = || {
        system::run_quiet(
            Command::new("apt-get")
                .args(["install", "-y", "debootstrap"])
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )
    };
    if install().is_err() {
        // A fresh machine or container often has no package lists yet.
        system::run_quiet(Command::new("apt-get").arg("update"))
            .context("debootstrap is missing and `apt-get update` failed")?;
        install().context("debootstrap is missing and `apt-get install debootstrap` failed")?;
    }
    system::find_program("debootstrap")
        .context("apt-get installed debootstrap, but it is not on PATH")
}

/// The Debian archive the host itself uses, so the build works wherever the
/// host's apt works (proxies, local mirrors, snapshots).
fn host_mirror() -> anyhow::Result<String> {
    let deb822 = Path::new("/etc/apt/sources.list.d/debian.sources");
    if let Ok(text) = fs::read_to_string(deb822)
        && let Some(mirror) = mirror_from_deb822(&text)
    {
        return Ok(mirror);
    }
    if let Ok(text) = fs::read_to_string("/etc/apt/sources.list")
        && let Some(mirror) = mirror_from_sources_list(&text)
    {
        return Ok(mirror);
    }
    bail!(
        "cannot find the Debian mirror: no usable `URIs:` in {} and no `deb` line in \
         /etc/apt/sources.list; pass --mirror URL",
        deb822.display()
    )
}

/// The first `URIs:` of a `Types: deb` stanza that is not the security
/// archive (which carries no sid).
pub fn mirror_from_deb822(text: &str) -> Option<String> {
    stanzas(text).into_iter().find_map(|fields| {
        let field = |name: &str| {
            fields
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value.as_str())
        };
        if field("Enabled").is_some_and(|value| value.trim().eq_ignore_ascii_case("no")) {
            return None;
        }
        if !field("Types")?.split_whitespace().any(|kind| kind == "deb") {
            return None;
        }
        let suites = field("Suites").unwrap_or_default();
        if suites
            .split_whitespace()
            .any(|suite| suite.ends_with("-security"))
        {
            return None;
        }
        field("URIs")?
            .split_whitespace()
            .find(|uri| uri.starts_with("http://") || uri.starts_with("https://"))
            .map(str::to_owned)
    })
}

/// Parses deb822 into stanzas of (field, value); continuation lines are
/// joined with a space, comments dropped.
fn stanzas(text: &str) -> Vec<Vec<(String, String)>> {
    let mut all = Vec::new();
    let mut current: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                all.push(std::mem::take(&mut current));
            }
        } else if line.trim_start().starts_with('#') {
            continue;
        } else if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = current.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((key, value)) = line.split_once(':') {
            current.push((key.trim().to_owned(), value.trim().to_owned()));
        }
    }
    if !current.is_empty() {
        all.push(current);
    }
    all
}

/// One-line-style fallback: `deb [options] URI suite components...`.
pub fn mirror_from_sources_list(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        if words.next()? != "deb" {
            return None;
        }
        let mut uri = words.next()?;
        if uri.starts_with('[') {
            uri = words
                .find(|word| word.ends_with(']'))
                .and_then(|_| words.next())?;
        }
        let suite = words.next()?;
        (!suite.ends_with("-security") && uri.starts_with("http")).then(|| uri.to_owned())
    })
}

/// `http://host[:port]/path` → (host, port).
pub fn host_and_port(url: &str) -> Option<(String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let default_port = match scheme {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let authority = rest.split('/').next()?;
    let authority = authority.rsplit('@').next()?;
    if authority.is_empty() {
        return None;
    }
    let (host, port) = match authority.strip_prefix('[') {
        // IPv6 literal: the colons inside the brackets are not a port.
        Some(bracketed) => {
            let (host, after) = bracketed.split_once(']')?;
            (host, after.strip_prefix(':'))
        }
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let port = match port {
        Some(port) => port.parse().ok()?,
        None => default_port,
    };
    Some((host.to_owned(), port))
}

fn check_mirror_reachable(mirror: &str) -> anyhow::Result<()> {
    let (host, port) =
        host_and_port(mirror).with_context(|| format!("cannot parse the mirror URL {mirror:?}"))?;
    http::can_connect(&host, port, Duration::from_secs(10)).with_context(|| {
        format!("no route to the package mirror {mirror}; building the Asterisk root needs it")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOOKWORM_SOURCES: &str = "\
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
# http://snapshot.debian.org/archive/debian-security/20250520T000000Z
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
";

    #[test]
    fn mirror_is_the_main_archive_not_the_comment() {
        assert_eq!(
            mirror_from_deb822(BOOKWORM_SOURCES).as_deref(),
            Some("http://deb.debian.org/debian")
        );
    }

    #[test]
    fn mirror_skips_security_source_and_disabled_stanzas() {
        let text = "\
Types: deb
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main

Types: deb-src
URIs: http://src.example/debian
Suites: bookworm

Types: deb
Enabled: no
URIs: http://off.example/debian
Suites: bookworm

Types: deb
URIs:
 http://mirror.example:3142/debian
Suites: bookworm
";
        assert_eq!(
            mirror_from_deb822(text).as_deref(),
            Some("http://mirror.example:3142/debian")
        );
        assert_eq!(mirror_from_deb822("# nothing\n\n"), None);
    }

    #[test]
    fn sources_list_fallback() {
        let text = "\
# comment
deb http://security.debian.org/debian-security bookworm-security main
deb [arch=amd64 signed-by=/k.gpg] http://ftp.example/debian bookworm main
";
        assert_eq!(
            mirror_from_sources_list(text).as_deref(),
            Some("http://ftp.example/debian")
        );
    }

    #[test]
    fn host_and_port_from_urls() {
        assert_eq!(
            host_and_port("http://deb.debian.org/debian"),
            Some(("deb.debian.org".into(), 80))
        );
        assert_eq!(
            host_and_port("https://mirror.example:8443/debian/"),
            Some(("mirror.example".into(), 8443))
        );
        assert_eq!(
            host_and_port("http://[::1]:3142/debian"),
            Some(("::1".into(), 3142))
        );
        assert_eq!(host_and_port("ftp://x/debian"), None);
    }

    #[test]
    fn partial_and_log_live_next_to_the_root() {
        let root = Path::new("/w/target/asterisk-root");
        assert_eq!(
            sibling(root, "partial"),
            PathBuf::from("/w/target/asterisk-root.partial")
        );
    }
}
