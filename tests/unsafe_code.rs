//! `unsafe` only in src/sys.rs, and there each block justified by a `// SAFETY:` comment.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn unsafe_only_in_sys() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 20);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let mentions = text
            .lines()
            .map(str::trim_start)
            .filter(|l| !l.starts_with("//") && l.contains("unsafe") && !l.contains("unsafe_code"))
            .count();
        if name == "sys.rs" {
            assert!(mentions > 0);
        } else {
            assert_eq!(mentions, 0, "{name} mentions unsafe");
        }
    }
}

#[test]
fn every_unsafe_block_in_sys_is_justified() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sys.rs")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if !line.contains("unsafe {") {
            continue;
        }
        // The nearest comment above (within the statement) is a SAFETY comment.
        let justified = lines[..i]
            .iter()
            .rev()
            .take(3)
            .any(|l| l.trim_start().starts_with("// SAFETY:"));
        assert!(justified, "src/sys.rs:{}: {line}", i + 1);
    }
}
