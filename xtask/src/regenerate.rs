//! `cargo xtask regenerate`: api-docs → committed bindings in `ari-generated`.

use anyhow::Context as _;
use ari_codegen::{ApiDocs, GeneratedFile, Remote, Summary};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Args)]
pub struct RegenerateArgs {
    /// Generate from this api-docs folder instead of the committed `api-docs/`.
    #[arg(long, conflicts_with = "url")]
    dir: Option<PathBuf>,
    /// Capture every file a live Asterisk lists into `api-docs/` first, e.g.
    /// `http://127.0.0.1:8088/ari/api-docs/resources.json`.
    #[arg(long)]
    url: Option<String>,
    #[arg(long, default_value = "asterisk", requires = "url")]
    user: String,
    #[arg(long, default_value = "asterisk", requires = "url")]
    password: String,
    /// For an `https://` URL: a PEM file of the certificate authorities to
    /// trust instead of the platform's.
    #[arg(long, requires = "url")]
    ca_cert: Option<PathBuf>,
    /// Write nothing; fail when the committed bindings differ from what would be generated.
    #[arg(long, conflicts_with = "url")]
    check: bool,
}

pub const FIX_COMMAND: &str = "cargo xtask regenerate";

pub fn snapshot_dir(root: &Path) -> PathBuf {
    root.join("api-docs")
}

pub fn bindings_dir(root: &Path) -> PathBuf {
    root.join("ari-generated").join("src").join("generated")
}

pub fn run(args: RegenerateArgs) -> anyhow::Result<()> {
    let root = crate::workspace_root();
    let started = Instant::now();
    let docs = match (&args.url, &args.dir) {
        (Some(url), _) => {
            let remote = Remote {
                ca_cert: args.ca_cert.clone(),
                ..Remote::with_credentials(&args.user, &args.password)
            };
            let docs = ApiDocs::from_url(url, &remote)?;
            let snapshot = snapshot_dir(&root);
            docs.save(&snapshot)?;
            println!(
                "captured {} files from {url} (Asterisk {}) into {}",
                docs.resources.len() + 1,
                docs.asterisk_version.as_deref().unwrap_or("?"),
                snapshot.display()
            );
            // Generate from what was written, exactly as a later run will.
            ApiDocs::from_dir(&snapshot)?
        }
        (None, Some(dir)) => ApiDocs::from_dir(dir)?,
        (None, None) => ApiDocs::from_dir(&snapshot_dir(&root))?,
    };
    let api = ari_codegen::normalize::normalize(&docs)?;
    let files = ari_codegen::emit::emit(&api)?;
    let out = bindings_dir(&root);
    let summary = Summary::of(&api);
    if args.check {
        let stale = stale_files(&out, &files)?;
        if !stale.is_empty() {
            anyhow::bail!(
                "the committed bindings in {} are stale:\n  {}\nrun `{FIX_COMMAND}` and commit the result",
                out.display(),
                stale.join("\n  ")
            );
        }
        println!(
            "bindings are fresh: {summary}; {} files checked in {:.0?}",
            files.len(),
            started.elapsed()
        );
        return Ok(());
    }
    ari_codegen::write_files(&out, &files).with_context(|| format!("writing {}", out.display()))?;
    println!(
        "{summary}; {} files written to {} in {:.0?}",
        files.len(),
        out.display(),
        started.elapsed()
    );
    Ok(())
}

/// `regenerate --check` with the defaults.
pub fn run_check() -> anyhow::Result<()> {
    run(RegenerateArgs {
        dir: None,
        url: None,
        user: String::new(),
        password: String::new(),
        ca_cert: None,
        check: true,
    })
}

/// Files whose committed contents differ from `files`, plus stray ones.
pub fn stale_files(dir: &Path, files: &[GeneratedFile]) -> anyhow::Result<Vec<String>> {
    let mut stale = Vec::new();
    for file in files {
        let path = dir.join(&file.path);
        match std::fs::read_to_string(&path) {
            Ok(existing) if existing == file.contents => {}
            Ok(_) => stale.push(format!("{} (differs)", file.path)),
            Err(_) => stale.push(format!("{} (missing)", file.path)),
        }
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut extra: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| !files.iter().any(|f| &f.path == name))
            .map(|name| format!("{name} (not generated any more)"))
            .collect();
        extra.sort();
        stale.extend(extra);
    }
    Ok(stale)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed bindings are exactly what the committed snapshot generates.
    #[test]
    fn committed_bindings_are_fresh() {
        let root = crate::workspace_root();
        let docs = ApiDocs::from_dir(&snapshot_dir(&root)).expect("the api-docs snapshot loads");
        let files = ari_codegen::generate(&docs).expect("the snapshot generates");
        let stale = stale_files(&bindings_dir(&root), &files).expect("bindings readable");
        assert!(
            stale.is_empty(),
            "stale bindings: {stale:?}\nrun `{FIX_COMMAND}` and commit the result"
        );
    }

    #[test]
    fn stale_detection_sees_changes_and_strays() {
        let dir = std::env::temp_dir().join(format!("xtask-stale-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.rs"), "old").unwrap();
        std::fs::write(dir.join("stray.rs"), "x").unwrap();
        let files = vec![
            GeneratedFile {
                path: "a.rs".into(),
                contents: "new".into(),
            },
            GeneratedFile {
                path: "b.rs".into(),
                contents: "b".into(),
            },
        ];
        let stale = stale_files(&dir, &files).unwrap();
        assert_eq!(
            stale,
            [
                "a.rs (differs)",
                "b.rs (missing)",
                "stray.rs (not generated any more)"
            ]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
