//! Host-side facts and operations: who we are, what is mounted where, which
//! processes live inside a chroot, and running commands with useful errors.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use anyhow::{Context, bail};

/// The effective uid, from the `Uid:` line of `/proc/self/status`
/// (real, effective, saved, filesystem).
pub fn effective_uid() -> anyhow::Result<u32> {
    let status = fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    parse_effective_uid(&status).context("no Uid line in /proc/self/status")
}

pub fn parse_effective_uid(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .and_then(|id| id.parse().ok())
}

pub fn require_root(what: &str) -> anyhow::Result<()> {
    if effective_uid()? != 0 {
        bail!(
            "{what} needs root (debootstrap, chroot and mount do); \
             run it as root, e.g. `sudo -E cargo xtask asterisk ...`"
        );
    }
    Ok(())
}

/// Mount points at or below `dir`, deepest first so they can be unmounted in
/// order.
pub fn mounts_under(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mountinfo =
        fs::read_to_string("/proc/self/mountinfo").context("reading /proc/self/mountinfo")?;
    Ok(parse_mounts_under(&mountinfo, dir))
}

pub fn parse_mounts_under(mountinfo: &str, dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = mountinfo
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(|field| PathBuf::from(unescape_mount_path(field)))
        .filter(|mount_point| mount_point.starts_with(dir))
        .collect();
    found.sort_by_key(|path| std::cmp::Reverse(path.components().count()));
    found.dedup();
    found
}

/// The kernel escapes space, tab, newline and backslash in mountinfo as
/// three-digit octal (`\040`).
fn unescape_mount_path(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|digits| digits.iter().all(|b| (b'0'..=b'7').contains(b)));
        if let (b'\\', Some(digits)) = (bytes[i], octal) {
            let value = digits
                .iter()
                .fold(0u32, |acc, digit| acc * 8 + u32::from(digit - b'0'));
            out.push(u8::try_from(value).unwrap_or(b'?'));
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Unmounts everything below `dir` and then checks that nothing is left; the
/// check is what makes a following `remove_dir_all` safe, since it would
/// happily descend into a live /proc or bind mount.
pub fn unmount_all_under(dir: &Path) -> anyhow::Result<()> {
    for mount_point in mounts_under(dir)? {
        let plain = Command::new("umount").arg(&mount_point).output();
        let unmounted = matches!(&plain, Ok(output) if output.status.success());
        if !unmounted {
            // Something still has a file open there (a dying Asterisk, a
            // shell cd'ed into it); detach it so the tree is free now.
            let lazy = run_quiet(Command::new("umount").arg("-l").arg(&mount_point));
            lazy.with_context(|| format!("unmounting {}", mount_point.display()))?;
        }
    }
    let left = mounts_under(dir)?;
    if !left.is_empty() {
        bail!(
            "still mounted below {}: {}",
            dir.display(),
            left.iter()
                .map(|path| path.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}

pub fn is_mounted(mount_point: &Path) -> anyhow::Result<bool> {
    Ok(mounts_under(mount_point)?
        .iter()
        .any(|path| path == mount_point))
}

/// A process whose root directory (`/proc/PID/root`) is `dir` or below it,
/// or that has such a path on its command line.
#[derive(Debug, Clone)]
pub struct ChrootProcess {
    pub pid: u32,
    pub name: String,
}

pub fn processes_in(dir: &Path) -> anyhow::Result<Vec<ChrootProcess>> {
    // `cargo xtask asterisk --root DIR ...` names DIR on our own command line
    // and on cargo's.
    let ours = self_and_ancestors();
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").context("listing /proc")? {
        let Ok(entry) = entry else { continue };
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        // Processes come and go while we look, and other users' processes
        // are unreadable without root; both are simply not ours.
        let inside =
            fs::read_link(entry.path().join("root")).is_ok_and(|root| root.starts_with(dir));
        // A debootstrap working on `dir` runs outside it; it counts too.
        let working_on = fs::read(entry.path().join("cmdline")).is_ok_and(|cmdline| {
            cmdline
                .split(|byte| *byte == 0)
                .any(|arg| Path::new(&*String::from_utf8_lossy(arg)).starts_with(dir))
        });
        if (!inside && !working_on) || ours.contains(&pid) {
            continue;
        }
        let name = fs::read_to_string(entry.path().join("comm"))
            .map(|name| name.trim().to_owned())
            .unwrap_or_default();
        found.push(ChrootProcess { pid, name });
    }
    found.sort_by_key(|process| process.pid);
    Ok(found)
}

fn self_and_ancestors() -> Vec<u32> {
    let mut chain = vec![std::process::id()];
    while let Some(&pid) = chain.last() {
        let parent = fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find_map(|line| line.strip_prefix("PPid:"))
                    .and_then(|ppid| ppid.trim().parse::<u32>().ok())
            });
        match parent {
            Some(parent) if parent > 1 && !chain.contains(&parent) => chain.push(parent),
            _ => break,
        }
    }
    chain
}

pub fn signal(pid: u32, signal: &str) {
    // The process may already be gone; that is the goal, not an error.
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Whether any thread of `pid` still runs. A multi-threaded daemon that is
/// shutting down can have a zombie main thread (whose /proc/PID/root is no
/// longer readable) while other threads still hold its sockets open, so the
/// threads are what counts.
pub fn is_alive(pid: u32) -> bool {
    let Ok(threads) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    threads.flatten().any(|thread| {
        fs::read_to_string(thread.path().join("stat"))
            .ok()
            .and_then(|stat| thread_state(&stat))
            .is_some_and(|state| !matches!(state, 'Z' | 'X' | 'x'))
    })
}

/// The state letter of a /proc/PID/stat line; the command name before it is
/// in parentheses and may itself contain spaces and parentheses.
pub fn thread_state(stat: &str) -> Option<char> {
    stat.rsplit_once(") ")
        .and_then(|(_, rest)| rest.chars().next())
}

/// Runs a command to completion, failing with its output when it fails.
pub fn run_quiet(command: &mut Command) -> anyhow::Result<Output> {
    let shown = describe(command);
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run `{shown}`"))?;
    if !output.status.success() {
        bail!(
            "`{shown}` failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(output)
}

pub fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| part.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `program` is found on PATH (or in the sbin directories, which
/// non-login root shells sometimes lack).
pub fn find_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// The last `count` lines of `text`.
pub fn tail_lines(text: &str, count: usize) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effective_uid_is_the_second_field() {
        let status = "Name:\tcat\nUmask:\t0022\nUid:\t1000\t0\t0\t0\nGid:\t0\t0\t0\t0\n";
        assert_eq!(parse_effective_uid(status), Some(0));
        assert_eq!(parse_effective_uid("Name:\tcat\n"), None);
    }

    #[test]
    fn finds_mounts_below_a_directory_deepest_first() {
        let mountinfo = "\
22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw
60 22 0:5 / /work/target/asterisk-root/proc rw - proc proc rw
61 60 0:6 / /work/target/asterisk-root/proc/sys/fs/binfmt_misc rw - binfmt_misc binfmt_misc rw
62 22 0:7 / /work/target/asterisk-root-other/proc rw - proc proc rw
63 22 0:8 / /work/target/with\\040space/proc rw - proc proc rw
";
        let root = Path::new("/work/target/asterisk-root");
        assert_eq!(
            parse_mounts_under(mountinfo, root),
            vec![
                PathBuf::from("/work/target/asterisk-root/proc/sys/fs/binfmt_misc"),
                PathBuf::from("/work/target/asterisk-root/proc"),
            ]
        );
        assert_eq!(
            parse_mounts_under(mountinfo, Path::new("/work/target/with space")),
            vec![PathBuf::from("/work/target/with space/proc")]
        );
        assert!(parse_mounts_under(mountinfo, Path::new("/elsewhere")).is_empty());
    }

    #[test]
    fn thread_state_after_the_command_name() {
        assert_eq!(thread_state("42 (asterisk) S 1 42 42 0"), Some('S'));
        assert_eq!(thread_state("43 (a) b) Z) Z 1 42"), Some('Z'));
        assert_eq!(thread_state("garbage"), None);
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail_lines("a\nb\nc\n", 2), vec!["b", "c"]);
        assert_eq!(tail_lines("a\nb\n", 5), vec!["a", "b"]);
        assert!(tail_lines("", 3).is_empty());
    }
}
