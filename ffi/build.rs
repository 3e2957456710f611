//! Regenerates include/group_redis.h from the C ABI (src/c_api) with the pinned cbindgen.
//! The header is committed; tests/c/run.sh (and CI) rebuild and fail on any diff. The JNI
//! module is marked `cbindgen:ignore` in src/lib.rs and never reaches the header.

use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let header = crate_dir.join("../include/group_redis.h");
    println!("cargo:rerun-if-changed=src/c_api");
    println!("cargo:rerun-if-changed=src/lib.rs");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    // A hand edit of the header triggers a rebuild, which writes it back from the source.
    println!("cargo:rerun-if-changed=../include/group_redis.h");

    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("ffi/cbindgen.toml is not valid");
    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen could not generate include/group_redis.h");
    let mut text = Vec::new();
    bindings.write(&mut text);
    // Write only on change: an unchanged header keeps its mtime, so it does not retrigger
    // this script and C builds depending on it stay up to date.
    if std::fs::read(&header).ok().as_deref() != Some(text.as_slice()) {
        // A read-only checkout (a packaging build) cannot take the header; that is no
        // reason to fail the library build, and CI's header check catches a stale copy.
        if let Err(err) = std::fs::write(&header, &text) {
            println!("cargo:warning=cannot write {}: {err}", header.display());
        }
    }
}
