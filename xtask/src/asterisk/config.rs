//! Asterisk's configuration comes from `tests/asterisk/etc/` in the project,
//! copied over Debian's sample files in the chroot on every start, so editing
//! the dialplan in the project is all it takes.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

pub const ARI_USER: &str = "asterisk";
pub const ARI_PASSWORD: &str = "asterisk";
pub const DEFAULT_PORT: u16 = 8088;
pub const BIND_ADDRESS: &str = "127.0.0.1";

pub fn source_dir() -> PathBuf {
    crate::workspace_root().join("tests/asterisk/etc")
}

/// The test CA and its certificate for localhost (`tests/asterisk/tls/`).
pub fn tls_dir() -> PathBuf {
    crate::workspace_root().join("tests/asterisk/tls")
}

/// The files of [`tls_dir`] Asterisk serves TLS with, installed into
/// `/etc/asterisk/keys/` as `http.conf` names them, the CA that signed
/// them, which `websocket_client.conf` trusts for the `wss://` outbound
/// server of the tests, and the client certificate it presents there.
const TLS_FILES: [&str; 5] = [
    "localhost.pem",
    "localhost.key",
    "ca.pem",
    "asterisk-client.pem",
    "asterisk-client.key",
];

/// The TLS port for an HTTP port: the next one.
pub fn tls_port(port: u16) -> u16 {
    port.saturating_add(1)
}

/// The file name and the content to install for every file in `source`.
pub fn render_all(source: &Path, port: u16) -> anyhow::Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    let entries = fs::read_dir(source).with_context(|| format!("listing {}", source.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("listing {}", source.display()))?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let text = fs::read_to_string(entry.path())
            .with_context(|| format!("reading {}", entry.path().display()))?;
        let text = if name == "http.conf" {
            render_http_conf(&text, port)?
        } else {
            text
        };
        files.push((name, text));
    }
    files.sort();
    if !files.iter().any(|(name, _)| name == "http.conf") {
        bail!("{} has no http.conf", source.display());
    }
    Ok(files)
}

/// Writes the rendered files into the root's /etc/asterisk; returns the names
/// of those whose content changed.
pub fn install(root: &Path, port: u16) -> anyhow::Result<Vec<String>> {
    let target = root.join("etc/asterisk");
    let mut changed = Vec::new();
    for (name, text) in render_all(&source_dir(), port)? {
        let path = target.join(&name);
        if fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
            continue;
        }
        fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        changed.push(name);
    }
    let keys = target.join("keys");
    fs::create_dir_all(&keys).with_context(|| format!("creating {}", keys.display()))?;
    for name in TLS_FILES {
        let source = tls_dir().join(name);
        let bytes = fs::read(&source).with_context(|| format!("reading {}", source.display()))?;
        let path = keys.join(name);
        if fs::read(&path).ok().as_deref() != Some(bytes.as_slice()) {
            fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
            changed.push(format!("keys/{name}"));
        }
    }
    Ok(changed)
}

/// Replaces the value of every `bindport` setting with `port`, and of every
/// `tlsbindaddr` with the TLS port beside it, keeping the rest of the line
/// (comments) intact.
pub fn render_http_conf(text: &str, port: u16) -> anyhow::Result<String> {
    let mut found = false;
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        let key = body
            .split_once('=')
            .filter(|_| !body.trim_start().starts_with(';'))
            .map(|(key, _)| key.trim());
        let value = match key {
            Some("bindport") => {
                found = true;
                Some(port.to_string())
            }
            Some("tlsbindaddr") => Some(format!("{BIND_ADDRESS}:{}", tls_port(port))),
            _ => None,
        };
        if let (Some(key), Some(value)) = (key, value) {
            let comment = body.find(';').map(|at| &body[at..]).unwrap_or_default();
            let rendered = format!("{key} = {value} {comment}");
            out.push_str(rendered.trim_end());
            out.push_str(newline);
        } else {
            out.push_str(line);
        }
    }
    if !found {
        bail!("http.conf has no `bindport = ...` line to set the port in");
    }
    Ok(out)
}

/// The `[section]` → `key = value` pairs of an Asterisk config file, enough to
/// check what the project's files say.
#[cfg(test)]
fn settings(text: &str, section: &str) -> Vec<(String, String)> {
    let mut in_section = false;
    let mut found = Vec::new();
    for line in text.lines() {
        let line = line.split(';').next().unwrap_or_default().trim();
        if let Some(name) = line.strip_prefix('[') {
            let name = name.split(']').next().unwrap_or_default();
            in_section = name == section;
        } else if in_section && let Some((key, value)) = line.split_once('=') {
            let value = value.trim_start_matches('>').trim();
            found.push((key.trim().to_owned(), value.to_owned()));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project_file(name: &str) -> String {
        let path = source_dir().join(name);
        fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
    }

    #[test]
    fn bindport_is_replaced_and_nothing_else() {
        let text = "[general]\nenabled = yes\n; bindport = 1\nbindport=8088 ; the port\nbindaddr = 127.0.0.1";
        let rendered = render_http_conf(text, 18088).expect("has bindport");
        assert_eq!(
            rendered,
            "[general]\nenabled = yes\n; bindport = 1\nbindport = 18088 ; the port\nbindaddr = 127.0.0.1"
        );
    }

    #[test]
    fn missing_bindport_is_an_error() {
        assert!(render_http_conf("[general]\nenabled = yes\n", 8088).is_err());
    }

    #[test]
    fn project_http_conf_serves_on_localhost() {
        let rendered = render_http_conf(&project_file("http.conf"), 9999).expect("renders");
        let general = settings(&rendered, "general");
        let get = |key: &str| {
            general
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("enabled"), Some("yes"));
        assert_eq!(get("bindaddr"), Some(BIND_ADDRESS));
        assert_eq!(get("bindport"), Some("9999"));
        assert_eq!(get("tlsenable"), Some("yes"));
        assert_eq!(get("tlsbindaddr"), Some("127.0.0.1:10000"));
        for key in ["tlscertfile", "tlsprivatekey"] {
            let file = get(key).and_then(|path| path.strip_prefix("/etc/asterisk/keys/"));
            assert!(
                file.is_some_and(|file| TLS_FILES.contains(&file) && tls_dir().join(file).is_file()),
                "{key} = {:?}",
                get(key)
            );
        }
    }

    #[test]
    fn websocket_client_conf_names_only_installed_keys() {
        let text = project_file("websocket_client.conf");
        let mut named = 0;
        for line in text.lines() {
            let line = line.split(';').next().unwrap_or_default();
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            if matches!(key.trim(), "ca_list_file" | "cert_file" | "priv_key_file") {
                let file = value.trim().strip_prefix("/etc/asterisk/keys/");
                assert!(
                    file.is_some_and(
                        |file| TLS_FILES.contains(&file) && tls_dir().join(file).is_file()
                    ),
                    "{} = {}",
                    key.trim(),
                    value.trim()
                );
                named += 1;
            }
        }
        assert!(named >= 3, "only {named} key files named");
    }

    #[test]
    fn project_ari_conf_has_the_documented_user() {
        let text = project_file("ari.conf");
        let user = settings(&text, ARI_USER);
        let get = |key: &str| user.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        assert_eq!(get("type"), Some("user"));
        assert_eq!(get("password"), Some(ARI_PASSWORD));
        assert_eq!(get("password_format"), Some("plain"));
        assert_eq!(get("read_only"), Some("no"));
        assert_eq!(
            settings(&text, "general")
                .iter()
                .find(|(k, _)| k == "enabled")
                .map(|(_, v)| v.as_str()),
            Some("yes")
        );
    }

    #[test]
    fn project_dialplan_has_the_documented_extensions() {
        let text = project_file("extensions.conf");
        let extensions: Vec<String> = settings(&text, "default")
            .into_iter()
            .filter(|(key, _)| key == "exten")
            .filter_map(|(_, value)| value.split(',').next().map(str::to_owned))
            .collect();
        for wanted in [
            "1",
            "1000",
            "_stasis-.",
            "_a[n]swer-stasis-.",
            "answer-wait",
            "_a[n]swer-wait-.",
            "ring",
            "playback",
            "dtmf",
            "_dtmf-.",
            "userevent",
            "_usereve[n]t-.",
            "echo",
            "hangup",
            "busy",
            "congestion",
        ] {
            assert!(
                extensions.iter().any(|name| name == wanted),
                "extensions.conf [default] lacks {wanted}; has {extensions:?}"
            );
        }
        assert!(text.contains("Stasis(hello,world)"));
    }

    /// Pattern extensions with a lowercase n, x or z outside `[...]`: those
    /// are wildcards whatever their case, so `_answer-.` never matches
    /// "answer-1" (the n wants a digit 2-9).
    fn accidental_wildcards(text: &str) -> Vec<String> {
        settings(text, "default")
            .into_iter()
            .filter(|(key, _)| key == "exten")
            .filter_map(|(_, value)| value.split(',').next().map(str::to_owned))
            .filter(|name| {
                let Some(pattern) = name.strip_prefix('_') else {
                    return false;
                };
                let mut in_class = false;
                pattern.chars().any(|c| match c {
                    '[' => {
                        in_class = true;
                        false
                    }
                    ']' => {
                        in_class = false;
                        false
                    }
                    'n' | 'x' | 'z' => !in_class,
                    _ => false,
                })
            })
            .collect()
    }

    #[test]
    fn dialplan_patterns_have_no_accidental_wildcards() {
        let bad = "[default]\nexten => _answer-.,1,NoOp()\nexten => _a[n]swer-X.,1,NoOp()\n";
        assert_eq!(accidental_wildcards(bad), vec!["_answer-.".to_owned()]);
        assert_eq!(
            accidental_wildcards(&project_file("extensions.conf")),
            Vec::<String>::new()
        );
    }

    #[test]
    fn rendering_the_project_files_sets_the_port() {
        let files = render_all(&source_dir(), 8123).expect("renders");
        let http = files
            .iter()
            .find(|(name, _)| name == "http.conf")
            .map(|(_, text)| text.as_str())
            .unwrap_or_default();
        assert!(http.contains("bindport = 8123"));
        for needed in ["ari.conf", "extensions.conf", "logger.conf", "modules.conf"] {
            assert!(files.iter().any(|(name, _)| name == needed), "{needed}");
        }
    }
}
