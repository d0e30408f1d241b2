//! Fuzz target: `aiwatch_tui::fuzzing::proxy_header` (what it checks is written there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| aiwatch_tui::fuzzing::proxy_header(data));
