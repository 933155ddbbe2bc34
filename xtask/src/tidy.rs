//! The repository's own rules, checked as a test (`cargo test -- tidy`), in
//! the manner of rust-analyzer's tidy: comments may cite files only if they
//! exist. Items cited in doc comments are checked by rustdoc itself, which
//! CI runs with warnings denied (broken intra-doc links fail it).

use std::path::{Path, PathBuf};

/// Hand-written Rust files of the workspace (generated bindings and build
/// output aside).
fn hand_written_sources(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if path.is_dir() {
                if !matches!(name.as_ref(), "target" | "generated" | ".git" | "snapshots") {
                    folders.push(path);
                }
            } else if name.ends_with(".rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Backticked spans of a comment line that name a file of the repository:
/// a path with a folder and one of the project's file extensions.
fn cited_paths(comment: &str) -> Vec<&str> {
    const EXTENSIONS: &[&str] = &[
        ".rs", ".md", ".toml", ".conf", ".py", ".json", ".jsonl", ".pem",
    ];
    comment
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|span| {
            span.contains('/')
                && EXTENSIONS.iter().any(|ext| span.ends_with(ext))
                && !span.contains(|c: char| c.is_whitespace() || "*{}<>$".contains(c))
                && !span.starts_with("http")
                && !span.starts_with('/')
                && !span.contains('…')
        })
        .collect()
}

/// Where a citation may be relative to: the workspace, the file's crate,
/// the file's folder, or the folder beside the workspace (`../shared/…`).
fn exists(root: &Path, file: &Path, cited: &str) -> bool {
    let crate_dir = file
        .ancestors()
        .find(|dir| dir.join("Cargo.toml").exists())
        .unwrap_or(root);
    let folder = file.parent().unwrap_or(root);
    [root, crate_dir, folder]
        .iter()
        .any(|base| base.join(cited).exists() || base.join("..").join(cited).exists())
}

/// Every file cited in a comment that does not exist, as `file:line: path`.
pub fn missing_citations(root: &Path) -> Vec<String> {
    let mut missing = Vec::new();
    for file in hand_written_sources(root) {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for (number, line) in text.lines().enumerate() {
            let Some(comment) = line.trim_start().strip_prefix("//") else {
                continue;
            };
            for cited in cited_paths(comment) {
                if !exists(root, &file, cited) {
                    let shown = file.strip_prefix(root).unwrap_or(&file).display();
                    missing.push(format!("{shown}:{}: `{cited}`", number + 1));
                }
            }
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy_comments_cite_only_files_that_exist() {
        let missing = missing_citations(&crate::workspace_root());
        assert!(
            missing.is_empty(),
            "comments cite files that do not exist (fix the path or the comment):\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn tidy_finds_a_citation_of_a_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Cargo.toml"), "").unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(
            dir.path().join("src/lib.rs"),
            "//! See `tests/fast_decode.rs` and `src/lib.rs`.\nfn main() {} // `not/a path.rs`\n",
        )
        .unwrap();
        assert_eq!(
            missing_citations(dir.path()),
            ["src/lib.rs:1: `tests/fast_decode.rs`"]
        );
    }
}
