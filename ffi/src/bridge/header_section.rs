// The place of the bridged operations' prototypes inside include/group_redis.h: between
// these markers, inside the header's include guard and `extern "C"`. Shared, through
// `include!`, by ffi/build.rs (which keeps the section when cbindgen regenerates the rest)
// and by the declarations test (which renders and checks it), so both agree on the place.

/// The first line of the section starts with this.
const SECTION_BEGIN: &str = "/* BEGIN bridged operations";
/// The last line of the section.
const SECTION_END: &str = "/* END bridged operations */\n";
/// cbindgen's closing of the `extern "C"` block; the section goes right before it.
const EXTERN_C_CLOSE: &str = "#ifdef __cplusplus\n}  // extern \"C\"";

/// The section of `header` (markers included), or "" when it has none.
#[allow(dead_code)] // build.rs uses this one, the test the other
fn section_of(header: &str) -> &str {
    match (header.find(SECTION_BEGIN), header.find(SECTION_END)) {
        (Some(begin), Some(end)) if begin < end => &header[begin..end + SECTION_END.len()],
        _ => "",
    }
}

/// `header` with its section (if any) replaced by `section`, placed before the closing of
/// its `extern "C"` block.
fn with_section(header: &str, section: &str) -> String {
    let old = section_of(header);
    let mut text = if old.is_empty() {
        header.to_string()
    } else {
        header.replacen(&format!("{old}\n"), "", 1)
    };
    match text.rfind(EXTERN_C_CLOSE) {
        Some(at) if !section.is_empty() => text.insert_str(at, &format!("{section}\n")),
        _ => {}
    }
    text
}
