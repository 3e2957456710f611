//! The C prototypes of the bridged operations, rendered from their [`Declaration`]s into
//! their section of include/group_redis.h (inside its include guard and `extern "C"`;
//! cbindgen cannot see functions a macro emits, and ffi/build.rs keeps the section when it
//! regenerates the rest). A test keeps the committed header equal to the rendering, and
//! ffi/tests/java_natives.rs checks java/.../NativeLib.java against the library, so the one
//! definition stays the only source.
//!
//! After changing an operation: `GR_BLESS=1 cargo test -p group-redis-ffi --lib
//! declarations`.

use super::Declaration;

include!("header_section.rs");

/// The committed header, relative to the ffi crate.
pub(crate) const HEADER: &str = "../include/group_redis.h";

/// The header section of `declarations`, markers included.
pub(crate) fn render_section<'a>(declarations: impl Iterator<Item = &'a Declaration>) -> String {
    let mut text = format!(
        "{SECTION_BEGIN}: each defined once in ffi/src/ops (see ffi/src/bridge/mod.rs),\n \
         * rendered by ffi/src/bridge/declarations.rs. */\n"
    );
    for declaration in declarations {
        text.push('\n');
        text.push_str(&render_prototype(declaration));
    }
    text.push('\n');
    text.push_str(SECTION_END);
    text
}

fn render_prototype(declaration: &Declaration) -> String {
    let mut text = String::from("/**\n");
    for line in declaration.doc {
        let line = line.strip_prefix(' ').unwrap_or(line);
        if line.is_empty() {
            text.push_str(" *\n");
        } else {
            text.push_str(&format!(" * {line}\n"));
        }
    }
    text.push_str(" */\n");
    let mut params: Vec<String> = declaration
        .c_params
        .iter()
        .map(|(ty, name)| join_type(ty, name))
        .collect();
    if let Some((ty, name)) = declaration.c_out {
        let pointer = if ty.ends_with('*') {
            format!("{ty}*")
        } else {
            format!("{ty} *")
        };
        params.push(join_type(&pointer, name));
    }
    let opening = format!("enum gr_status {}(", declaration.c_name);
    let one_line = format!("{opening}{});", params.join(", "));
    if one_line.len() <= 100 {
        text.push_str(&one_line);
    } else {
        let indent = " ".repeat(opening.len());
        text.push_str(&opening);
        text.push_str(&params.join(&format!(",\n{indent}")));
        text.push_str(");");
    }
    text.push('\n');
    text
}

/// `const char *` + `name` → `const char *name`; `bool` + `x` → `bool x`.
fn join_type(ty: &str, name: &str) -> String {
    if ty.ends_with('*') {
        format!("{ty}{name}")
    } else {
        format!("{ty} {name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    fn crate_file(relative: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
    }

    #[test]
    fn committed_header_has_the_current_operations() {
        let path = crate_file(HEADER);
        let committed = std::fs::read_to_string(&path).unwrap();
        let rendered = with_section(&committed, &render_section(crate::ops::declarations()));
        if std::env::var_os("GR_BLESS").is_some() {
            std::fs::write(&path, &rendered).unwrap();
        }
        assert!(
            committed == rendered,
            "the bridged operations in {} are stale: run `GR_BLESS=1 cargo test -p \
             group-redis-ffi --lib declarations`",
            path.display()
        );
    }

    #[test]
    fn every_operation_has_one_c_name_and_one_jni_symbol() {
        let mut c_names = BTreeMap::new();
        let mut jni_symbols = BTreeMap::new();
        for declaration in crate::ops::declarations() {
            assert!(
                declaration.c_name.starts_with("gr_"),
                "{}",
                declaration.c_name
            );
            assert!(
                c_names.insert(declaration.c_name, ()).is_none(),
                "{}",
                declaration.c_name
            );
            if !declaration.jni_symbol.is_empty() {
                assert!(
                    jni_symbols.insert(declaration.jni_symbol, ()).is_none(),
                    "{}",
                    declaration.jni_symbol
                );
            }
        }
    }

    /// `static native R name(long handle, T1 a, ...)` lines of NativeLib.java as
    /// name → (return type, parameter types).
    fn java_natives() -> BTreeMap<String, (String, Vec<String>)> {
        let source = std::fs::read_to_string(crate_file(
            "../java/src/main/java/group_redis/NativeLib.java",
        ))
        .unwrap();
        let mut natives = BTreeMap::new();
        for line in source.lines().map(str::trim) {
            let Some(rest) = line.strip_prefix("static native ") else {
                continue;
            };
            let (head, params) = rest.split_once('(').unwrap();
            let (ret, name) = head.trim().rsplit_once(' ').unwrap();
            let params = params.trim_end_matches(");");
            let types = params
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| p.rsplit_once(' ').unwrap().0.to_string())
                .collect();
            natives.insert(name.to_string(), (ret.to_string(), types));
        }
        natives
    }

    #[test]
    fn java_native_declarations_match_the_jni_exports() {
        let natives = java_natives();
        for declaration in crate::ops::declarations() {
            let Some(name) = declaration
                .jni_symbol
                .strip_prefix("Java_group_1redis_NativeLib_")
            else {
                continue;
            };
            let (ret, types) = natives
                .get(name)
                .unwrap_or_else(|| panic!("NativeLib.java declares no native {name}"));
            let mut expected = vec!["long".to_string()];
            expected.extend(declaration.java_params.iter().map(|(ty, _)| ty.to_string()));
            assert_eq!(
                (ret.as_str(), types),
                (declaration.java_return, &expected),
                "NativeLib.{name} does not match its definition in ffi/src/ops"
            );
        }
    }
}
