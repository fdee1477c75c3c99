//! Runs the souverain WASM module (wasm/souverain-wasm) under wasmtime, with
//! the module precompiled once and cached, and every scan bounded in time
//! (epoch deadlines) and memory. Feature `wasm-host`; it is what the parity
//! tests and `souverain wasm-scan` use.
//!
//! Time, not fuel: fuel counts every instruction and made scans 40% slower
//! (docs/wasm.md); an epoch deadline costs a check at loop heads and calls.

use crate::ScanRequest;
use std::path::{Path, PathBuf};
use std::time::Duration;
use wasmtime::{
    Config, Engine, InstancePre, Linker, Memory, Module, Store, StoreLimits, StoreLimitsBuilder,
    TypedFunc,
};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::p1::{self, WasiP1Ctx};

/// Bounds on one scan.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Wall-clock time a scan may take, to the next [`TICK`].
    pub time: Duration,
    /// Linear memory a scan may grow to, in bytes.
    pub memory_bytes: usize,
}

impl Default for Limits {
    /// 30 s and 1 GiB: a 400 kB plan takes 10 ms and 20 MB.
    fn default() -> Self {
        Self {
            time: Duration::from_secs(30),
            memory_bytes: 1 << 30,
        }
    }
}

/// How often the engine's epoch advances: the granularity of time limits.
pub const TICK: Duration = Duration::from_millis(10);

#[derive(Debug, thiserror::Error)]
pub enum WasmError {
    #[error("cannot load the WASM module {path}: {message}")]
    Load { path: PathBuf, message: String },
    #[error(
        "the scan took longer than its time limit ({limit:?}): the input is too large or too complex for the configured limit"
    )]
    Timeout { limit: Duration },
    #[error("the scan exceeded its memory limit ({bytes} bytes)")]
    Memory { bytes: usize },
    #[error("the WASM module failed: {0}")]
    Trap(String),
    /// The module answered with an error object (invalid request or policy).
    #[error("{0}")]
    Rejected(String),
}

struct State {
    wasi: WasiP1Ctx,
    limits: StoreLimits,
}

/// A loaded module, ready to run scans.
pub struct WasmEngine {
    engine: Engine,
    /// The module with its WASI imports resolved, ready to instantiate.
    linked: InstancePre<State>,
    limits: Limits,
}

impl WasmEngine {
    /// Loads `module`, compiling it once into `cache_dir` (a `.cwasm` named
    /// after the module file and what the engine compiles for) when given.
    pub fn load(
        module: &Path,
        cache_dir: Option<&Path>,
        limits: Limits,
    ) -> Result<Self, WasmError> {
        let load_error = |message: String| WasmError::Load {
            path: module.to_path_buf(),
            message,
        };
        let mut config = Config::new();
        config.epoch_interruption(true);
        let engine = Engine::new(&config).map_err(|e| load_error(e.to_string()))?;
        // The clock of the deadlines; it stops with the engine.
        let weak = engine.weak();
        std::thread::Builder::new()
            .name("souverain-wasm-epoch".into())
            .spawn(move || {
                while let Some(engine) = weak.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(TICK);
                }
            })
            .map_err(|e| load_error(e.to_string()))?;
        let read = || std::fs::read(module).map_err(|e| load_error(e.to_string()));
        let module = match cache_dir {
            Some(dir) => {
                // Named after the module file's identity rather than its
                // bytes: reading and hashing 7 MB took longer than loading
                // the compiled module.
                let identity = file_identity(module).map_err(|e| load_error(e.to_string()))?;
                let cached = dir.join(format!(
                    "souverain-{:016x}-{:016x}.cwasm",
                    fnv(identity.as_bytes()),
                    compatibility(&engine)
                ));
                // SAFETY: the file is written below by `precompile_module`
                // of an engine with this configuration, under a name that
                // changes with the module file (path, size, modification
                // time) and with what the engine compiles for (wasmtime's
                // version, features and configuration).
                let cached_module = || unsafe { Module::deserialize_file(&engine, &cached) };
                match cached.exists().then(cached_module) {
                    Some(Ok(module)) => module,
                    // Absent, or left by another wasmtime build: compile.
                    _ => {
                        let compiled = engine
                            .precompile_module(&read()?)
                            .map_err(|e| load_error(e.to_string()))?;
                        std::fs::create_dir_all(dir).map_err(|e| load_error(e.to_string()))?;
                        // Written aside then renamed: a concurrent reader
                        // sees the whole file or none. The aside name is
                        // unique to this load, as threads may load at once.
                        let partial = cached.with_extension(format!(
                            "{}-{}.partial",
                            std::process::id(),
                            NEXT_LOAD.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                        ));
                        std::fs::write(&partial, compiled)
                            .map_err(|e| load_error(e.to_string()))?;
                        std::fs::rename(&partial, &cached)
                            .map_err(|e| load_error(e.to_string()))?;
                        cached_module().map_err(|e| load_error(e.to_string()))?
                    }
                }
            }
            None => Module::new(&engine, read()?).map_err(|e| load_error(e.to_string()))?,
        };
        let mut linker: Linker<State> = Linker::new(&engine);
        p1::add_to_linker_sync(&mut linker, |state| &mut state.wasi)
            .map_err(|e| load_error(e.to_string()))?;
        let linked = linker
            .instantiate_pre(&module)
            .map_err(|e| load_error(e.to_string()))?;
        Ok(Self {
            engine,
            linked,
            limits,
        })
    }

    /// Scans one input in a fresh instance; the JSON report on success.
    pub fn scan(&self, request: &ScanRequest, input: &[u8]) -> Result<String, WasmError> {
        self.instantiate()?.scan(request, input)
    }

    /// A fresh instance: its own memory, and the module's lazily built state
    /// (the embedded policy, parsed on the first scan).
    pub fn instantiate(&self) -> Result<WasmInstance, WasmError> {
        let trap = |e: wasmtime::Error| classify(e, &self.limits);
        let mut store = Store::new(
            &self.engine,
            State {
                wasi: WasiCtxBuilder::new().build_p1(),
                limits: StoreLimitsBuilder::new()
                    .memory_size(self.limits.memory_bytes)
                    .trap_on_grow_failure(true)
                    .build(),
            },
        );
        store.limiter(|state| &mut state.limits);
        store.set_epoch_deadline(deadline_ticks(self.limits.time));
        let instance = self.linked.instantiate(&mut store).map_err(trap)?;
        if let Ok(initialize) = instance.get_typed_func::<(), ()>(&mut store, "_initialize") {
            initialize.call(&mut store, ()).map_err(trap)?;
        }
        let alloc = instance
            .get_typed_func::<u32, u32>(&mut store, "souverain_alloc")
            .map_err(trap)?;
        let scan = instance
            .get_typed_func::<(u32, u32, u32, u32), u64>(&mut store, "souverain_scan")
            .map_err(trap)?;
        let free = instance
            .get_typed_func::<(u32, u32), ()>(&mut store, "souverain_free")
            .map_err(trap)?;
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or_else(|| WasmError::Trap("the module exports no memory".into()))?;
        Ok(WasmInstance {
            store,
            alloc,
            scan,
            free,
            memory,
            limits: self.limits,
        })
    }
}

/// An instance of the module. Each scan gets the full time of [`Limits`];
/// memory is the instance's, so a host that wants every scan isolated uses
/// [`WasmEngine::scan`] (a fresh instance each time).
pub struct WasmInstance {
    store: Store<State>,
    alloc: TypedFunc<u32, u32>,
    scan: TypedFunc<(u32, u32, u32, u32), u64>,
    free: TypedFunc<(u32, u32), ()>,
    memory: Memory,
    limits: Limits,
}

impl WasmInstance {
    /// Scans one input; the JSON report on success.
    pub fn scan(&mut self, request: &ScanRequest, input: &[u8]) -> Result<String, WasmError> {
        let limits = self.limits;
        let trap = |e: wasmtime::Error| classify(e, &limits);
        self.store.set_epoch_deadline(deadline_ticks(limits.time));
        let request = serde_json::json!({
            "name": request.name,
            "profile": request.profile,
            "policy": request.policy,
            "today": request.today,
        })
        .to_string();
        let (request_ptr, request_len) = self.pass(request.as_bytes())?;
        let (input_ptr, input_len) = self.pass(input)?;
        let packed = self
            .scan
            .call(
                &mut self.store,
                (request_ptr, request_len, input_ptr, input_len),
            )
            .map_err(trap)?;
        let ptr = (packed >> 32) as u32;
        let len = (packed & 0x7fff_ffff) as u32;
        let mut output = vec![0; len as usize];
        self.memory
            .read(&self.store, ptr as usize, &mut output)
            .map_err(|e| WasmError::Trap(e.to_string()))?;
        self.free.call(&mut self.store, (ptr, len)).map_err(trap)?;
        let output = String::from_utf8(output).map_err(|e| WasmError::Trap(e.to_string()))?;
        if packed & (1 << 31) != 0 {
            return Err(WasmError::Rejected(output));
        }
        Ok(output)
    }

    /// Copies `bytes` into a buffer of the module's.
    fn pass(&mut self, bytes: &[u8]) -> Result<(u32, u32), WasmError> {
        let limits = self.limits;
        let len = u32::try_from(bytes.len()).map_err(|_| WasmError::Memory {
            bytes: limits.memory_bytes,
        })?;
        let ptr = self
            .alloc
            .call(&mut self.store, len)
            .map_err(|e| classify(e, &limits))?;
        self.memory
            .write(&mut self.store, ptr as usize, bytes)
            .map_err(|e| WasmError::Trap(e.to_string()))?;
        Ok((ptr, len))
    }
}

fn classify(error: wasmtime::Error, limits: &Limits) -> WasmError {
    if matches!(
        error.downcast_ref::<wasmtime::Trap>(),
        Some(wasmtime::Trap::Interrupt)
    ) {
        return WasmError::Timeout { limit: limits.time };
    }
    // `trap_on_grow_failure` reports a refused growth in the error chain.
    if error.chain().any(|cause| {
        cause
            .to_string()
            .contains("forcing trap when growing memory")
    }) {
        return WasmError::Memory {
            bytes: limits.memory_bytes,
        };
    }
    WasmError::Trap(format!("{error:#}"))
}

/// Numbers the loads of this process, for unique temporary file names.
static NEXT_LOAD: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// What a compiled module depends on besides its source: wasmtime's version,
/// the features it was built with and the engine's configuration.
fn compatibility(engine: &Engine) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hasher.finish()
}

/// Ticks of [`TICK`] covering `time`, at least one.
fn deadline_ticks(time: Duration) -> u64 {
    let ticks = time.as_nanos().div_ceil(TICK.as_nanos()).max(1);
    u64::try_from(ticks).unwrap_or(u64::MAX)
}

/// A module file's absolute path, size and modification time (ns): a
/// rebuilt module gets a new cache entry.
fn file_identity(path: &Path) -> std::io::Result<String> {
    let metadata = std::fs::metadata(path)?;
    let modified = metadata
        .modified()?
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    Ok(format!(
        "{}\0{}\0{modified}",
        std::path::absolute(path)?.display(),
        metadata.len()
    ))
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
