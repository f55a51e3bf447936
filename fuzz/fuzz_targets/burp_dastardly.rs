#![no_main]
//! No panic, bounded memory: parse anything as BurpDastardly (and let detect look at it).
use khien_scan::{Limits, Tool, detect, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = detect(data);
    let limits = Limits { max_findings: 1_000, max_token_bytes: 1 << 20, ..Limits::default() };
    let mut sink = |_f| Ok(());
    let _ = parse(Tool::BurpDastardly, data, &limits, &mut sink);
});
