//! NativeLib.java against the built library, both ways: every `native` method declared in
//! Java has its `Java_group_1redis_NativeLib_*` export in libgroup_redis.so, and every such
//! export (bridged or hand-written) is declared in Java. The symbols are read from the
//! library's dynamic symbol table (`nm -D`), i.e. what the JVM's loader will find. (The
//! types of the bridged natives are checked against their definitions by the
//! `declarations` unit tests.)

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

const PREFIX: &str = "Java_group_1redis_NativeLib_";

/// The cdylib cargo built with this test (target/<profile>/deps/). `cargo test` writes it
/// there and does not copy it up to target/<profile>/, where an older `cargo build` may
/// have left a stale one (or none, on a fresh clone).
fn library() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    let path = deps.join("libgroup_redis.so");
    assert!(path.is_file(), "{} was not built", path.display());
    path
}

fn exported_natives() -> BTreeSet<String> {
    let output = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(library())
        .output()
        .expect("cannot run nm (binutils)");
    assert!(output.status.success(), "nm failed: {output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| line.split_whitespace().last())
        .filter_map(|symbol| symbol.strip_prefix(PREFIX))
        .map(str::to_string)
        .collect()
}

/// The names of `native` methods in NativeLib.java (one declaration per line).
fn declared_natives() -> BTreeSet<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../java/src/main/java/group_redis/NativeLib.java");
    let source = std::fs::read_to_string(&path).unwrap();
    source
        .lines()
        .map(str::trim)
        // A declaration: modifiers including `native`, then `Type name(...)` (never a
        // comment line, which starts with `*` or `//`).
        .filter(|line| {
            let words: Vec<&str> = line
                .split('(')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .collect();
            words.contains(&"native")
                && words.iter().all(|w| {
                    w.chars()
                        .all(|c| c.is_alphanumeric() || "<>[]_".contains(c))
                })
        })
        .filter_map(|line| {
            let head = line.split('(').next()?;
            head.split_whitespace().last().map(str::to_string)
        })
        .collect()
}

#[test]
fn every_java_native_is_exported_and_every_export_is_declared() {
    let exported = exported_natives();
    let declared = declared_natives();
    assert!(
        exported.len() > 30,
        "too few JNI exports found: {exported:?}"
    );
    let missing: Vec<_> = declared.difference(&exported).collect();
    let undeclared: Vec<_> = exported.difference(&declared).collect();
    assert!(
        missing.is_empty() && undeclared.is_empty(),
        "declared in NativeLib.java but not exported by the library: {missing:?}; \
         exported but not declared in NativeLib.java: {undeclared:?}"
    );
}
