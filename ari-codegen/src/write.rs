//! Writing generated files: all or nothing.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Replaces the contents of `dir` with `files` (paths relative to `dir`).
///
/// Everything is written into a sibling temporary folder first and swapped in
/// with renames, so a failure at any point leaves the previous contents intact.
pub fn replace_dir(dir: &Path, files: &[(PathBuf, String)]) -> Result<()> {
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".to_owned());
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent.display().to_string(), e))?;
    let staging = parent.join(format!(".{name}.new-{}", std::process::id()));
    let previous = parent.join(format!(".{name}.old-{}", std::process::id()));
    let result = stage(&staging, files).and_then(|()| swap(dir, &staging, &previous));
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

fn stage(staging: &Path, files: &[(PathBuf, String)]) -> Result<()> {
    if staging.exists() {
        std::fs::remove_dir_all(staging)
            .map_err(|e| Error::io(staging.display().to_string(), e))?;
    }
    for (relative, contents) in files {
        let path = staging.join(relative);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)
                .map_err(|e| Error::io(folder.display().to_string(), e))?;
        }
        std::fs::write(&path, contents).map_err(|e| Error::io(path.display().to_string(), e))?;
    }
    Ok(())
}

fn swap(dir: &Path, staging: &Path, previous: &Path) -> Result<()> {
    let had_previous = dir.exists();
    if had_previous {
        std::fs::rename(dir, previous).map_err(|e| Error::io(dir.display().to_string(), e))?;
    }
    if let Err(e) = std::fs::rename(staging, dir) {
        if had_previous {
            let _ = std::fs::rename(previous, dir);
        }
        return Err(Error::io(dir.display().to_string(), e));
    }
    if had_previous {
        std::fs::remove_dir_all(previous)
            .map_err(|e| Error::io(previous.display().to_string(), e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_folder() {
        let root = std::env::temp_dir().join(format!("ari-codegen-write-{}", std::process::id()));
        let dir = root.join("out");
        replace_dir(
            &dir,
            &[
                (PathBuf::from("a.rs"), "a".into()),
                (PathBuf::from("old.rs"), "x".into()),
            ],
        )
        .unwrap();
        replace_dir(&dir, &[(PathBuf::from("a.rs"), "b".into())]).unwrap();
        assert_eq!(std::fs::read_to_string(dir.join("a.rs")).unwrap(), "b");
        assert!(!dir.join("old.rs").exists(), "stale files must not survive");
        let leftovers: Vec<_> = std::fs::read_dir(&root).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no staging folders left behind");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
