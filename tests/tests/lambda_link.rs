//! The deploy build's linker script (scripts/lambda/no-unwind-tables.ld, added by
//! scripts/lambda-build to every arm64 Lambda link): a binary linked with it has no unwind
//! tables, still runs, and a panic still reports its message and location and aborts.
//!
//! Linked here for the host target with the host's linker: the script is plain GNU ld syntax,
//! which the deploy build's LLD reads alike.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

const PROGRAM: &str = r#"
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(word) = args.first() {
        panic!("deliberate panic: {word}");
    }
    println!("ran");
}
"#;

/// Compiles [`PROGRAM`] as the `release` and `deploy` profiles build functions
/// (`panic = "abort"`, size first), with `link_args`, into `dir/name`.
fn build(dir: &Path, name: &str, link_args: &[String]) -> PathBuf {
    let source = dir.join("main.rs");
    std::fs::write(&source, PROGRAM).unwrap();
    let out = dir.join(name);
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let mut command = Command::new(rustc);
    command
        .args(["--edition=2021", "-C", "panic=abort", "-C", "opt-level=z", "-o"])
        .arg(&out)
        .arg(&source);
    for arg in link_args {
        command.arg("-C").arg(format!("link-arg={arg}"));
    }
    let built = command.output().unwrap();
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    out
}

/// The names of an ELF64 little-endian file's sections, from its section header table.
fn section_names(file: &Path) -> Vec<String> {
    let bytes = std::fs::read(file).unwrap();
    assert_eq!(&bytes[..6], b"\x7fELF\x02\x01", "an ELF64 little-endian file");
    let u16_at = |at: usize| u16::from_le_bytes(bytes[at..at + 2].try_into().unwrap()) as usize;
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()) as usize;
    let (table, entry, count, names_index) = (u64_at(0x28), u16_at(0x3a), u16_at(0x3c), u16_at(0x3e));
    let header = |index: usize| table + index * entry;
    let names = u64_at(header(names_index) + 0x18);
    (0..count)
        .map(|index| {
            let start = names + u32_at(header(index));
            let end = start + bytes[start..].iter().position(|b| *b == 0).unwrap();
            String::from_utf8_lossy(&bytes[start..end]).into_owned()
        })
        .collect()
}

fn run(binary: &Path, args: &[&str]) -> Output {
    Command::new(binary)
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap()
}

#[test]
fn the_deploy_link_script_leaves_out_the_unwind_tables_and_panics_still_report() {
    let dir = tempfile_dir();
    let script = repo_root().join("scripts/lambda/no-unwind-tables.ld");
    assert!(script.is_file(), "{} is missing", script.display());

    let plain = build(&dir, "plain", &[]);
    let plain_sections = section_names(&plain);
    assert!(
        plain_sections.iter().any(|s| s == ".eh_frame"),
        "a default link has unwind tables: {plain_sections:?}"
    );

    let trimmed = build(&dir, "trimmed", &[format!("-Wl,-T,{}", script.display())]);
    let sections = section_names(&trimmed);
    assert!(!sections.iter().any(|s| s.starts_with(".eh_frame")), "{sections:?}");
    assert!(
        sections.iter().any(|s| s == ".text"),
        "the rest of the default layout stays: {sections:?}"
    );
    assert!(std::fs::metadata(&trimmed).unwrap().len() < std::fs::metadata(&plain).unwrap().len());

    let ran = run(&trimmed, &[]);
    assert!(ran.status.success(), "{ran:?}");
    assert_eq!(String::from_utf8_lossy(&ran.stdout), "ran\n");

    // A panic aborts (SIGABRT) after the message and its location reach stderr, as before;
    // only the backtrace under it is empty.
    let panicked = run(&trimmed, &["now"]);
    let stderr = String::from_utf8_lossy(&panicked.stderr);
    assert!(!panicked.status.success());
    assert!(stderr.contains("deliberate panic: now"), "{stderr}");
    assert!(stderr.contains("main.rs:5"), "{stderr}");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(panicked.status.signal(), Some(6), "SIGABRT: {stderr}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A fresh directory under the system's temporary directory.
fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("roost-lambda-link-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
