//! The model bundle manifest (TOML): parsing and validation. Any text may be refused with an
//! error naming the key; none may panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = macsql::Bundle::parse(std::path::Path::new("fuzz.toml"), text);
});
