//! Regenerates include/group_redis.h from the C ABI (src/c_api) with the pinned cbindgen.
//! The prototypes of the bridged operations (cbindgen cannot see what a macro emits) are a
//! section of the same header, rendered from their definitions by the declarations test
//! (src/bridge/declarations.rs); this script keeps that section in its place.
//! The header is committed; tests/c/run.sh (and CI) rebuild and fail on any diff. The JNI
//! module is marked `cbindgen:ignore` in src/lib.rs and never reaches the header.
//!
//! Two things come from the crate version so they cannot drift from it: the header's
//! GROUP_REDIS_VERSION* macros and, on Linux, the shared library's SONAME.

use std::path::PathBuf;

include!("src/bridge/header_section.rs");

fn main() {
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let header = crate_dir.join("../include/group_redis.h");
    println!("cargo:rerun-if-changed=src/c_api");
    println!("cargo:rerun-if-changed=src/lib.rs");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=src/subscription.rs");
    // A hand edit of the header triggers a rebuild, which writes it back from the source.
    println!("cargo:rerun-if-changed=../include/group_redis.h");

    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{}", soname());
    }

    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("ffi/cbindgen.toml is not valid");
    config.after_includes = Some(version_macros());
    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen could not generate include/group_redis.h");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let generated = String::from_utf8(generated).expect("cbindgen wrote non-UTF-8");
    let existing = std::fs::read_to_string(&header).unwrap_or_default();
    let text = with_section(&generated, section_of(&existing)).into_bytes();
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

/// The SONAME follows Cargo's compatibility rule: before 1.0 a minor release may break the
/// ABI (libgroup_redis.so.0.1, .so.0.2, ...), from 1.0 on only a major one (.so.1, .so.2).
/// scripts/install-c.sh names the installed file and its links after the same rule.
fn soname() -> String {
    let major = env!("CARGO_PKG_VERSION_MAJOR");
    let minor = env!("CARGO_PKG_VERSION_MINOR");
    if major == "0" {
        format!("libgroup_redis.so.0.{minor}")
    } else {
        format!("libgroup_redis.so.{major}")
    }
}

/// The compile-time version of the header, for `#if` checks and for comparing with what
/// `gr_version()` reports at run time.
fn version_macros() -> String {
    format!(
        "\n/* The version of this header (the crate version); gr_version() gives the library's. */\n\
         #define GROUP_REDIS_VERSION_MAJOR {major}\n\
         #define GROUP_REDIS_VERSION_MINOR {minor}\n\
         #define GROUP_REDIS_VERSION_PATCH {patch}\n\
         #define GROUP_REDIS_VERSION \"{version}\"\n\
         /* The SONAME of the shared library this header belongs to. */\n\
         #define GROUP_REDIS_SONAME \"{soname}\"",
        major = env!("CARGO_PKG_VERSION_MAJOR"),
        minor = env!("CARGO_PKG_VERSION_MINOR"),
        patch = env!("CARGO_PKG_VERSION_PATCH"),
        version = env!("CARGO_PKG_VERSION"),
        soname = soname(),
    )
}
