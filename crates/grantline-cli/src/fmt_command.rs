//! `grantline fmt`: rewrite policy files in the one canonical layout
//! (`grantline_fmt`), or with `--check` list the files that are not in it.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use grantline::Diagnostic;

use crate::{print_out, Failure};

/// Formats every `*.grant` file below each folder of `paths` and each file of
/// `paths`. A file with a syntax error is reported and left as it is; the
/// others are still formatted.
pub fn run(paths: &[PathBuf], check: bool) -> Result<(), Failure> {
    // Read everything first, so that a wrong path changes nothing.
    let mut loaded = Vec::new();
    for path in paths {
        let sources = grantline_compiler::load_path(path)
            .map_err(|error| Failure::Policy(vec![error.to_diagnostic()]))?;
        loaded.push(sources);
    }
    let mut seen = HashSet::new();
    let mut errors: Vec<Diagnostic> = Vec::new();
    let mut changed = 0usize;
    let mut unchanged = 0usize;
    for sources in &loaded {
        for (id, file) in sources.files() {
            let path = PathBuf::from(file.name());
            let identity = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if !seen.insert(identity) {
                continue;
            }
            let formatted = match grantline_fmt::format_source(sources, id) {
                Ok(formatted) => formatted,
                Err(diagnostic) => {
                    errors.push(diagnostic);
                    continue;
                }
            };
            // Compare with the bytes on disk: the source map drops a
            // byte-order mark, which formatting removes too.
            let on_disk = std::fs::read(&path).map_err(|error| {
                Failure::Input(format!("cannot read {}: {error}", path.display()))
            })?;
            if on_disk == formatted.as_bytes() {
                unchanged += 1;
                continue;
            }
            changed += 1;
            if check {
                print_out(&format!("would reformat {}", file.name()))?;
            } else {
                write_atomically(&path, &formatted).map_err(|error| {
                    Failure::Input(format!("cannot write {}: {error}", path.display()))
                })?;
            }
        }
    }
    if !check {
        print_out(&format!(
            "formatted {changed} file{} ({unchanged} unchanged)",
            if changed == 1 { "" } else { "s" }
        ))?;
    }
    if !errors.is_empty() {
        return Err(Failure::Policy(errors));
    }
    if check && changed > 0 {
        return Err(Failure::Reported);
    }
    Ok(())
}

/// Replaces the file's content through a temporary file in the same folder
/// and a rename, so that a crash leaves either the old or the new policy,
/// never half of one. A symbolic link is followed: the file it points to is
/// replaced, the link stays.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let target = std::fs::canonicalize(path)?;
    let folder = target.parent().unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = folder.join(format!(".{name}.{}.fmt-tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temporary)?;
        file.write_all(text.as_bytes())?;
        let permissions = std::fs::metadata(&target)?.permissions();
        file.set_permissions(permissions)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temporary, &target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}
