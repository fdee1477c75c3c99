//! souverain as a WebAssembly module for `wasm32-wasip1`: a thin ABI over
//! [`souverain::scan_json`], with no logic of its own.
//!
//! # ABI
//! Memory is exchanged as (pointer, length) pairs of bytes in the module's
//! linear memory:
//!
//! 1. `souverain_alloc(len) -> ptr` reserves `len` bytes; the host writes the
//!    request (JSON, see [`souverain::ScanRequest`]: `name`, optional
//!    `profile`, `policy`, `today`) and the input there.
//! 2. `souverain_scan(request_ptr, request_len, input_ptr, input_len) -> u64`
//!    returns the output as `(ptr << 32) | len`: the JSON report of
//!    docs/json-report.md, or `{"error": ..., "issues": [...]}` when the
//!    request, policy or profile is invalid. The status is in the high bit of
//!    `len`'s word: see [`STATUS_ERROR`].
//! 3. `souverain_free(ptr, len)` releases any buffer the host got or made.
//!
//! The inputs passed to `souverain_scan` are released by the call.

/// Set in the returned length word when the output is an error object.
pub const STATUS_ERROR: u64 = 1 << 31;

/// Reserves `len` bytes for the host to write into.
#[unsafe(no_mangle)]
pub extern "C" fn souverain_alloc(len: u32) -> u32 {
    let mut buffer = Vec::<u8>::with_capacity(len as usize);
    let ptr = buffer.as_mut_ptr();
    std::mem::forget(buffer);
    ptr as usize as u32
}

/// Releases a buffer of `len` bytes from [`souverain_alloc`] or an output.
///
/// # Safety
/// `ptr` and `len` must describe a buffer this module allocated and not
/// freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn souverain_free(ptr: u32, len: u32) {
    // SAFETY: the caller hands back a buffer this module allocated with
    // exactly this capacity (alloc and outputs are boxed slices).
    drop(unsafe { Vec::from_raw_parts(ptr as usize as *mut u8, 0, len as usize) });
}

/// Scans one input; see the module documentation for the ABI.
///
/// # Safety
/// Both (pointer, length) pairs must describe buffers from
/// [`souverain_alloc`], filled by the host; they are released here.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn souverain_scan(
    request_ptr: u32,
    request_len: u32,
    input_ptr: u32,
    input_len: u32,
) -> u64 {
    // SAFETY: per the contract above, both are live buffers of this module.
    let request = unsafe { take(request_ptr, request_len) };
    let input = unsafe { take(input_ptr, input_len) };
    let (output, status) = match serde_json::from_slice::<souverain::ScanRequest>(&request) {
        Ok(request) => match souverain::scan_json(&request, &input) {
            Ok(report) => (report, 0),
            Err(error) => (error, STATUS_ERROR),
        },
        Err(e) => (
            serde_json::json!({ "error": format!("invalid request: {e}"), "issues": [] })
                .to_string(),
            STATUS_ERROR,
        ),
    };
    let bytes = output.into_bytes().into_boxed_slice();
    let len = bytes.len() as u64;
    let ptr = Box::into_raw(bytes) as *mut u8 as usize as u64;
    (ptr << 32) | status | len
}

/// Takes ownership of a host-filled buffer.
unsafe fn take(ptr: u32, len: u32) -> Vec<u8> {
    // SAFETY: see `souverain_scan`: allocated by `souverain_alloc(len)` and
    // filled with `len` bytes.
    unsafe { Vec::from_raw_parts(ptr as usize as *mut u8, len as usize, len as usize) }
}
