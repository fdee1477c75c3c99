//! Runs the souverain WASM module (wasm/souverain-wasm) under wasmtime, with
//! the module precompiled once and cached, and every scan bounded in fuel
//! (instructions) and memory. Feature `wasm-host`; it is what the parity tests
//! and `souverain wasm-scan` use.

use crate::ScanRequest;
use std::path::{Path, PathBuf};
use wasmtime::{
    Config, Engine, InstancePre, Linker, Memory, Module, Store, StoreLimits, StoreLimitsBuilder,
    TypedFunc,
};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::p1::{self, WasiP1Ctx};

/// Bounds on one scan.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Fuel units (roughly instructions) a scan may burn.
    pub fuel: u64,
    /// Linear memory a scan may grow to, in bytes.
    pub memory_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            fuel: 20_000_000_000,
            memory_bytes: 1 << 30,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WasmError {
    #[error("cannot load the WASM module {path}: {message}")]
    Load { path: PathBuf, message: String },
    #[error(
        "the scan ran out of fuel ({fuel} units): the input is too large or too complex for the configured limit"
    )]
    Fuel { fuel: u64 },
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
    /// after the module's hash and wasmtime's version) when given.
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
        config.consume_fuel(true);
        let engine = Engine::new(&config).map_err(|e| load_error(e.to_string()))?;
        let bytes = std::fs::read(module).map_err(|e| load_error(e.to_string()))?;
        let module = match cache_dir {
            Some(dir) => {
                let cached = dir.join(format!("souverain-{:016x}-wasmtime48.cwasm", fnv(&bytes)));
                if !cached.exists() {
                    let compiled = engine
                        .precompile_module(&bytes)
                        .map_err(|e| load_error(e.to_string()))?;
                    std::fs::create_dir_all(dir).map_err(|e| load_error(e.to_string()))?;
                    // Written aside then renamed: a concurrent reader sees
                    // the whole file or none.
                    let partial = cached.with_extension(format!("{}.partial", std::process::id()));
                    std::fs::write(&partial, compiled).map_err(|e| load_error(e.to_string()))?;
                    std::fs::rename(&partial, &cached).map_err(|e| load_error(e.to_string()))?;
                }
                // SAFETY: the file was written by `precompile_module` of an
                // engine with this configuration, under a name that changes
                // with the module's bytes and wasmtime's version.
                unsafe { Module::deserialize_file(&engine, &cached) }
                    .map_err(|e| load_error(e.to_string()))?
            }
            None => Module::new(&engine, &bytes).map_err(|e| load_error(e.to_string()))?,
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
        store.set_fuel(self.limits.fuel).map_err(trap)?;
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

/// An instance of the module. Each scan gets the full fuel of [`Limits`];
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
        self.store.set_fuel(limits.fuel).map_err(trap)?;
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
        Some(wasmtime::Trap::OutOfFuel)
    ) {
        return WasmError::Fuel { fuel: limits.fuel };
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

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
