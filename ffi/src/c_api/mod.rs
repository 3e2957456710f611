//! The C ABI (`gr_` prefix). Filled in by the C/Python bindings work.
