#![no_main]

// Each target uses one function of the harness it shares with the tests.
#[allow(dead_code)]
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::hcl(data));
