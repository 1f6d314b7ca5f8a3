//! The WebAssembly sandbox of Grantline's custom checks.
//!
//! A custom check is a WebAssembly module that answers yes or no for one
//! identity (see `docs/custom-checks.md` for the whole contract). This crate
//! knows nothing about policies: it loads modules and calls them with input
//! bytes, on [wasmtime](https://docs.rs/wasmtime), under hard limits:
//!
//! - **CPU**: every call gets a budget of *fuel* (about one unit per
//!   WebAssembly instruction); running out traps. Fuel is the main bound
//!   because it is deterministic: a check stops at the same instruction on
//!   every machine and in every run. A bulk-memory instruction
//!   (`memory.fill`, `memory.copy`) costs one unit however many bytes it
//!   writes, so a loop of them could run for minutes on its fuel: a
//!   wall-clock limit, enforced by epoch interruption, stops any call that
//!   runs longer than [`Limits::time`].
//! - **Memory**: linear memory and tables are bounded by a resource limiter;
//!   growing past the limit traps (not the silent `-1` of `memory.grow`),
//!   and so does instantiating a module whose initial memory is too large.
//! - **Stack**: the WebAssembly stack is bounded, so deep recursion is a
//!   stack-overflow trap.
//! - **No host access**: the only import a module may have is
//!   `grantline.log`. No WASI, no files, no clock, no network.
//! - **No state between calls**: each call runs in a fresh instance.
//!
//! Every failure is an `Err` ([`CheckFailure`] at a call, [`LoadError`] at
//! load); nothing panics, and the sandbox stays usable after any failure.
//!
//! # ABI, version 1
//!
//! A module exports `memory`, `grantline_alloc: (i32) -> i32` and
//! `grantline_check: (i32, i32) -> i32`, and optionally
//! `grantline_abi_version: () -> i32` (which must return 1). For a call, the
//! host asks `grantline_alloc(len)` for `len` bytes, writes the input there
//! and calls `grantline_check(ptr, len)`: `1` means the check passes, `0`
//! that it fails; anything else is a [`CheckFailure::MalformedResult`].
//! The module may import `grantline.log: (i32 ptr, i32 len) -> ()` to add
//! UTF-8 text to the call's log (bounded by [`Limits::log_bytes`]).
//!
//! ```
//! use grantline_sandbox::{Limits, Sandbox};
//!
//! let sandbox = Sandbox::new(Limits::default())?;
//! let module = sandbox.load(br#"(module
//!     (memory (export "memory") 1)
//!     (func (export "grantline_alloc") (param i32) (result i32) i32.const 1024)
//!     (func (export "grantline_check") (param i32 i32) (result i32) i32.const 1))"#)?;
//! let output = module.call(br#"{"check":"always","at":"2026-12-01T09:00:00Z","identity":{}}"#)?;
//! assert!(output.passed);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::{
    Caller, Config, Engine, ExternType, FuncType, InstanceAllocationStrategy, InstancePre, Linker,
    Module, PoolingAllocationConfig, ResourceLimiter, Store, Trap, ValType,
};

/// Tables a module may have.
const MAX_TABLES: u32 = 4;

/// The ABI version this sandbox implements.
pub const ABI_VERSION: i32 = 1;

/// The limits every call runs under. Settings of a [`Sandbox`]; the defaults
/// suit checks that parse a small JSON document and compute a little.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Fuel per call: about one unit per WebAssembly instruction executed.
    /// Default 10,000,000 (an infinite loop stops after about 10–30 ms).
    pub fuel: u64,
    /// Wall-clock time per call, the backstop for work that fuel does not
    /// count (bulk memory instructions). Measured in ticks of
    /// [`EPOCH_TICK`] by a clock thread that runs from the first module
    /// loaded until the sandbox and its modules are dropped, so a call stops
    /// a little past it. Default 200 ms: far above what fuel allows
    /// ordinary instructions. `Duration::MAX`: no time limit.
    pub time: Duration,
    /// Linear memory per instance, in bytes. Default 16 MiB.
    pub memory_bytes: usize,
    /// Elements per table. Default 10,000.
    pub table_elements: usize,
    /// The WebAssembly stack, in bytes. Default 256 KiB.
    pub stack_bytes: usize,
    /// The largest module accepted, in bytes (binary or text). Default 8 MiB.
    pub module_bytes: usize,
    /// The largest input passed to a call, in bytes. Default 1 MiB.
    pub input_bytes: usize,
    /// The log a call may write with `grantline.log`, in bytes; the rest is
    /// cut. Default 1 KiB.
    pub log_bytes: usize,
    /// Calls that can run at the same time (on as many threads): instances
    /// come from a pool of this many slots, set up once, which makes a
    /// call several times cheaper than mapping fresh memory for each.
    /// A call beyond it fails (closed). Default 64.
    pub concurrent_calls: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel: 10_000_000,
            time: Duration::from_millis(200),
            memory_bytes: 16 << 20,
            table_elements: 10_000,
            stack_bytes: 256 << 10,
            module_bytes: 8 << 20,
            input_bytes: 1 << 20,
            log_bytes: 1 << 10,
            concurrent_calls: 64,
        }
    }
}

/// The sandbox could not be created (a limit wasmtime does not accept).
#[derive(Debug, thiserror::Error)]
#[error("cannot create the WebAssembly engine: {message}")]
pub struct SandboxError {
    pub message: String,
}

/// Why a module cannot be used as a check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("the module is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("the module is not valid WebAssembly: {message}")]
    Invalid { message: String },
    #[error(
        "the module imports `{module}.{name}`, which the sandbox does not offer (a check may import only `grantline.log`)"
    )]
    UnknownImport { module: String, name: String },
    #[error("the module does not export `{name}` ({expected})")]
    MissingExport { name: String, expected: String },
    #[error("the module's `{name}` is {found}, expected {expected}")]
    WrongSignature {
        name: String,
        expected: String,
        found: String,
    },
    #[error(
        "the module implements ABI version {found}; this sandbox implements version {ABI_VERSION}"
    )]
    AbiVersion { found: String },
    #[error("cannot start the clock of the time limit: {message}")]
    Clock { message: String },
}

/// Why a call did not give a result. Every failure is fail-closed: the
/// caller treats the check as neither passed nor failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckFailure {
    #[error("out of fuel after {limit} instructions (an endless loop, or a check too slow for the limit)")]
    OutOfFuel { limit: u64 },
    #[error("time limit of {} ms reached", limit.as_millis())]
    TimeLimit { limit: Duration },
    #[error("memory limit of {limit} bytes reached")]
    MemoryLimit { limit: usize },
    #[error("table limit of {limit} elements reached")]
    TableLimit { limit: usize },
    #[error("stack overflow (recursion deeper than the {limit}-byte stack)")]
    StackOverflow { limit: usize },
    #[error("trap: {message}")]
    Trap { message: String },
    #[error("result {value} is neither 1 (passed) nor 0 (failed)")]
    MalformedResult { value: i32 },
    #[error("`grantline_alloc({len})` returned {ptr}, not {len} bytes inside the module's memory")]
    AllocationFailed { ptr: i32, len: usize },
    #[error("the input is {size} bytes, more than the limit of {limit} bytes")]
    InputTooLarge { size: usize, limit: usize },
    #[error("the module cannot be instantiated: {message}")]
    Instantiation { message: String },
}

/// Loads and caches check modules, all under the same [`Limits`].
///
/// `Sync`: share one across threads. Modules are compiled once per sandbox
/// (keyed by the SHA-256 of their bytes) and every call instantiates its
/// module afresh.
pub struct Sandbox {
    engine: Engine,
    linker: Linker<CallState>,
    limits: Arc<Limits>,
    cache: Mutex<HashMap<String, CheckModule>>,
    /// Started with the first module, shared by every module (which may
    /// outlive the sandbox): the clock runs while something can be called.
    ticker: Mutex<Option<Arc<EpochTicker>>>,
}

/// How often the sandbox's clock thread advances the engine's epoch: the
/// resolution of [`Limits::time`].
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// The furthest deadline set, in ticks: about 46 million years, far from
/// the overflow of the epoch counter.
const MAX_DEADLINE_TICKS: u64 = 1 << 57;

/// A thread that advances the engine's epoch once per [`EPOCH_TICK`] of
/// real time while a sandbox or one of its modules lives; calls past their
/// deadline in ticks trap.
struct EpochTicker {
    stop: Arc<AtomicBool>,
}

impl EpochTicker {
    fn start(engine: &Engine) -> std::io::Result<EpochTicker> {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let engine = engine.clone();
        std::thread::Builder::new()
            .name("grantline-sandbox-clock".to_string())
            .spawn(move || {
                // Ticks counted from the elapsed time, not from the sleeps,
                // so that late wake-ups do not add up.
                let started = std::time::Instant::now();
                let mut ticked: u128 = 0;
                while !stopped.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    let due = started.elapsed().as_nanos() / EPOCH_TICK.as_nanos();
                    while ticked < due {
                        engine.increment_epoch();
                        ticked += 1;
                    }
                }
            })?;
        Ok(EpochTicker { stop })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    pub fn new(limits: Limits) -> Result<Sandbox, SandboxError> {
        let mut config = Config::new();
        config.consume_fuel(true);
        config.epoch_interruption(true);
        config.max_wasm_stack(limits.stack_bytes);
        // Instances from a pool of slots set up once: a call then costs a
        // few microseconds instead of mapping fresh memory.
        let mut pool = PoolingAllocationConfig::new();
        // The first pages of a memory are zeroed in place when a slot is
        // reused, rather than unmapped and faulted in again.
        pool.linear_memory_keep_resident(64 << 10)
            .table_keep_resident(64 << 10)
            .total_core_instances(limits.concurrent_calls)
            .total_memories(limits.concurrent_calls)
            .total_tables(limits.concurrent_calls.saturating_mul(MAX_TABLES))
            .max_memories_per_module(1)
            .max_tables_per_module(MAX_TABLES)
            .table_elements(limits.table_elements)
            .max_memory_size(limits.memory_bytes);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config).map_err(|error| SandboxError {
            message: format!("{error:#}"),
        })?;
        let mut linker = Linker::new(&engine);
        linker
            .func_wrap("grantline", "log", log)
            .map_err(|error| SandboxError {
                message: format!("{error:#}"),
            })?;
        Ok(Sandbox {
            engine,
            linker,
            limits: Arc::new(limits),
            cache: Mutex::new(HashMap::new()),
            ticker: Mutex::new(None),
        })
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// A check module from its bytes: WebAssembly binary or text (`.wat`).
    /// The same bytes give the same compiled module.
    pub fn load(&self, bytes: &[u8]) -> Result<CheckModule, LoadError> {
        if bytes.len() > self.limits.module_bytes {
            return Err(LoadError::TooLarge {
                size: bytes.len(),
                limit: self.limits.module_bytes,
            });
        }
        let sha256 = sha256(bytes);
        if let Some(module) = self.cached().get(&sha256) {
            return Ok(module.clone());
        }
        let module = Module::new(&self.engine, bytes).map_err(|error| LoadError::Invalid {
            message: one_line(&format!("{error:#}")),
        })?;
        check_interface(&module)?;
        let pre = self
            .linker
            .instantiate_pre(&module)
            .map_err(|error| LoadError::Invalid {
                message: format!("{error:#}"),
            })?;
        let loaded = CheckModule {
            inner: Arc::new(Inner {
                pre,
                sha256: sha256.clone(),
                limits: Arc::clone(&self.limits),
                _ticker: self.ticker()?,
            }),
        };
        loaded.check_abi_version()?;
        self.cached().insert(sha256, loaded.clone());
        Ok(loaded)
    }

    /// [`load`](Self::load) of a file's bytes.
    pub fn load_file(&self, path: &std::path::Path) -> Result<CheckModule, LoadFileError> {
        let bytes = std::fs::read(path).map_err(|source| LoadFileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(self.load(&bytes)?)
    }

    /// The clock of the time limit, started on first use.
    fn ticker(&self) -> Result<Arc<EpochTicker>, LoadError> {
        let mut slot = self
            .ticker
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(ticker) = &*slot {
            return Ok(Arc::clone(ticker));
        }
        let ticker =
            Arc::new(
                EpochTicker::start(&self.engine).map_err(|error| LoadError::Clock {
                    message: error.to_string(),
                })?,
            );
        *slot = Some(Arc::clone(&ticker));
        Ok(ticker)
    }

    /// The cache, also after a thread panicked while holding it (it only
    /// ever holds complete entries).
    fn cached(&self) -> std::sync::MutexGuard<'_, HashMap<String, CheckModule>> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A module file that cannot be read or used.
#[derive(Debug, thiserror::Error)]
pub enum LoadFileError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Load(#[from] LoadError),
}

/// A loaded check, ready to call. Cheap to clone, `Send` and `Sync`.
#[derive(Clone)]
pub struct CheckModule {
    inner: Arc<Inner>,
}

struct Inner {
    pre: InstancePre<CallState>,
    sha256: String,
    limits: Arc<Limits>,
    /// Keeps the time limit's clock running while the module can be called.
    _ticker: Arc<EpochTicker>,
}

impl std::fmt::Debug for CheckModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckModule")
            .field("sha256", &self.inner.sha256)
            .finish_non_exhaustive()
    }
}

/// A call that ran to a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutput {
    pub passed: bool,
    /// What the module wrote with `grantline.log`.
    pub log: String,
    /// Fuel the call used (instructions, roughly).
    pub fuel_used: u64,
}

impl CheckModule {
    /// `sha256:` and the hex digest of the module's bytes.
    pub fn sha256(&self) -> &str {
        &self.inner.sha256
    }

    /// Whether two handles share one compiled module.
    pub fn same_module(&self, other: &CheckModule) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Runs the check on `input` in a fresh instance.
    pub fn call(&self, input: &[u8]) -> Result<CheckOutput, CheckFailure> {
        let limits = &self.inner.limits;
        if input.len() > limits.input_bytes {
            return Err(CheckFailure::InputTooLarge {
                size: input.len(),
                limit: limits.input_bytes,
            });
        }
        let mut store = self.store()?;
        let result = self.run(&mut store, input);
        let fuel_used = limits.fuel.saturating_sub(store.get_fuel().unwrap_or(0));
        let value = result.map_err(|failure| classify(failure, &store, limits))?;
        let passed = match value {
            1 => true,
            0 => false,
            value => return Err(CheckFailure::MalformedResult { value }),
        };
        let state = store.into_data();
        Ok(CheckOutput {
            passed,
            log: state.log,
            fuel_used,
        })
    }

    fn store(&self) -> Result<Store<CallState>, CheckFailure> {
        let limits = &self.inner.limits;
        let mut store = Store::new(self.inner.pre.module().engine(), CallState::new(limits));
        store.limiter(|state| state as &mut dyn ResourceLimiter);
        store
            .set_fuel(limits.fuel)
            .map_err(|error| CheckFailure::Instantiation {
                message: format!("{error:#}"),
            })?;
        // The tick under way may be nearly over: one more. Bounded so that
        // wasmtime's `current + deadline` cannot overflow (a limit of
        // `Duration::MAX` means no limit in practice).
        let ticks = limits.time.as_nanos().div_ceil(EPOCH_TICK.as_nanos()) + 1;
        store.set_epoch_deadline(
            u64::try_from(ticks)
                .unwrap_or(u64::MAX)
                .min(MAX_DEADLINE_TICKS),
        );
        store.epoch_deadline_trap();
        Ok(store)
    }

    /// Instantiates, writes the input and calls the check.
    fn run(&self, store: &mut Store<CallState>, input: &[u8]) -> Result<i32, Failed> {
        let instance = self
            .inner
            .pre
            .instantiate(&mut *store)
            .map_err(Failed::Instantiate)?;
        let memory = instance
            .get_memory(&mut *store, "memory")
            .ok_or_else(|| Failed::Interface("memory".to_string()))?;
        let alloc = instance
            .get_typed_func::<i32, i32>(&mut *store, "grantline_alloc")
            .map_err(|_| Failed::Interface("grantline_alloc".to_string()))?;
        let check = instance
            .get_typed_func::<(i32, i32), i32>(&mut *store, "grantline_check")
            .map_err(|_| Failed::Interface("grantline_check".to_string()))?;
        // The input limit is far below `i32::MAX`; a larger one is refused.
        let len = i32::try_from(input.len()).map_err(|_| Failed::Allocation {
            ptr: 0,
            len: input.len(),
        })?;
        let ptr = alloc.call(&mut *store, len).map_err(Failed::Run)?;
        let offset = usize::try_from(ptr)
            .ok()
            .filter(|&offset| offset != 0)
            .ok_or(Failed::Allocation {
                ptr,
                len: input.len(),
            })?;
        memory
            .write(&mut *store, offset, input)
            .map_err(|_| Failed::Allocation {
                ptr,
                len: input.len(),
            })?;
        check.call(&mut *store, (ptr, len)).map_err(Failed::Run)
    }

    /// An exported `grantline_abi_version` must return [`ABI_VERSION`].
    fn check_abi_version(&self) -> Result<(), LoadError> {
        let Some(ExternType::Func(_)) = self.inner.pre.module().get_export("grantline_abi_version")
        else {
            return Ok(());
        };
        let failed = |found: String| LoadError::AbiVersion { found };
        let mut store = self.store().map_err(|f| failed(f.to_string()))?;
        let instance = self.inner.pre.instantiate(&mut store).map_err(|e| {
            failed(format!(
                "unknown (the module cannot be instantiated: {e:#})"
            ))
        })?;
        let version = instance
            .get_typed_func::<(), i32>(&mut store, "grantline_abi_version")
            .map_err(|e| {
                failed(format!(
                    "unknown (`grantline_abi_version` is not `() -> i32`: {e:#})"
                ))
            })?
            .call(&mut store, ())
            .map_err(|e| failed(format!("unknown (`grantline_abi_version` failed: {e:#})")))?;
        if version == ABI_VERSION {
            Ok(())
        } else {
            Err(failed(version.to_string()))
        }
    }
}

/// A call that went wrong, before it is classified.
enum Failed {
    Instantiate(wasmtime::Error),
    Run(wasmtime::Error),
    Interface(String),
    Allocation { ptr: i32, len: usize },
}

fn classify(failed: Failed, store: &Store<CallState>, limits: &Limits) -> CheckFailure {
    let state = store.data();
    if state.memory_exceeded {
        return CheckFailure::MemoryLimit {
            limit: limits.memory_bytes,
        };
    }
    if state.table_exceeded {
        return CheckFailure::TableLimit {
            limit: limits.table_elements,
        };
    }
    match failed {
        Failed::Instantiate(error) => match error.downcast_ref::<Trap>() {
            Some(trap) => trap_failure(*trap, limits),
            None => CheckFailure::Instantiation {
                message: format!("{error:#}"),
            },
        },
        Failed::Run(error) => match error.downcast_ref::<Trap>() {
            Some(trap) => trap_failure(*trap, limits),
            None => CheckFailure::Trap {
                message: format!("{error:#}"),
            },
        },
        Failed::Interface(name) => CheckFailure::Instantiation {
            message: format!("the instance has no usable `{name}`"),
        },
        Failed::Allocation { ptr, len } => CheckFailure::AllocationFailed { ptr, len },
    }
}

fn trap_failure(trap: Trap, limits: &Limits) -> CheckFailure {
    match trap {
        Trap::OutOfFuel => CheckFailure::OutOfFuel { limit: limits.fuel },
        Trap::Interrupt => CheckFailure::TimeLimit { limit: limits.time },
        Trap::StackOverflow => CheckFailure::StackOverflow {
            limit: limits.stack_bytes,
        },
        other => CheckFailure::Trap {
            message: other.to_string(),
        },
    }
}

/// The state of one call: its limits and its log.
struct CallState {
    memory_limit: usize,
    table_limit: usize,
    memory_exceeded: bool,
    table_exceeded: bool,
    log: String,
    log_limit: usize,
}

impl CallState {
    fn new(limits: &Limits) -> CallState {
        CallState {
            memory_limit: limits.memory_bytes,
            table_limit: limits.table_elements,
            memory_exceeded: false,
            table_exceeded: false,
            log: String::new(),
            log_limit: limits.log_bytes,
        }
    }
}

impl ResourceLimiter for CallState {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_limit {
            // An error, not `Ok(false)`: the check traps instead of reading
            // `-1` from `memory.grow` and carrying on.
            self.memory_exceeded = true;
            return Err(wasmtime::Error::msg(format!(
                "memory limit of {} bytes reached",
                self.memory_limit
            )));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.table_limit {
            self.table_exceeded = true;
            return Err(wasmtime::Error::msg(format!(
                "table limit of {} elements reached",
                self.table_limit
            )));
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        MAX_TABLES as usize
    }

    fn memories(&self) -> usize {
        1
    }
}

/// `grantline.log(ptr, len)`: appends text to the call's log, up to the
/// limit; an out-of-bounds range traps.
fn log(mut caller: Caller<'_, CallState>, ptr: i32, len: i32) -> wasmtime::Result<()> {
    let Some(memory) = caller
        .get_export("memory")
        .and_then(wasmtime::Extern::into_memory)
    else {
        return Err(wasmtime::Error::msg(
            "grantline.log: the module has no memory",
        ));
    };
    let (data, state) = memory.data_and_store_mut(&mut caller);
    let range = usize::try_from(ptr)
        .ok()
        .zip(usize::try_from(len).ok())
        .and_then(|(start, len)| Some(start..start.checked_add(len)?));
    let Some(bytes) = range.and_then(|range| data.get(range)) else {
        return Err(wasmtime::Error::msg(
            "grantline.log: the text is outside the module's memory",
        ));
    };
    const CUT: &str = "…";
    if state.log.ends_with(CUT) {
        return Ok(());
    }
    let text = String::from_utf8_lossy(bytes);
    let room = state.log_limit.saturating_sub(state.log.len());
    if text.len() <= room {
        state.log.push_str(&text);
    } else {
        let mut end = room.saturating_sub(CUT.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        state.log.push_str(text.get(..end).unwrap_or(""));
        state.log.push_str(CUT);
    }
    Ok(())
}

/// Checks a module's imports and exports against the ABI.
fn check_interface(module: &Module) -> Result<(), LoadError> {
    for import in module.imports() {
        let allowed = import.module() == "grantline"
            && import.name() == "log"
            && matches!(import.ty(), ExternType::Func(ty) if signature(&ty) == "(i32, i32) -> ()");
        if !allowed {
            return Err(LoadError::UnknownImport {
                module: import.module().to_string(),
                name: import.name().to_string(),
            });
        }
    }
    match module.get_export("memory") {
        // A memory larger than the limit to start with is refused by
        // the instance pool when the module is compiled.
        Some(ExternType::Memory(_)) => {}
        Some(other) => {
            return Err(LoadError::WrongSignature {
                name: "memory".to_string(),
                expected: "a memory".to_string(),
                found: kind(&other).to_string(),
            })
        }
        None => {
            return Err(LoadError::MissingExport {
                name: "memory".to_string(),
                expected: "its linear memory".to_string(),
            })
        }
    }
    for (name, expected) in [
        ("grantline_alloc", "(i32) -> (i32)"),
        ("grantline_check", "(i32, i32) -> (i32)"),
    ] {
        match module.get_export(name) {
            Some(ExternType::Func(ty)) if signature(&ty) == expected => {}
            Some(ExternType::Func(ty)) => {
                return Err(LoadError::WrongSignature {
                    name: name.to_string(),
                    expected: format!("a function {expected}"),
                    found: format!("a function {}", signature(&ty)),
                })
            }
            Some(other) => {
                return Err(LoadError::WrongSignature {
                    name: name.to_string(),
                    expected: format!("a function {expected}"),
                    found: kind(&other).to_string(),
                })
            }
            None => {
                return Err(LoadError::MissingExport {
                    name: name.to_string(),
                    expected: format!("a function {expected}"),
                })
            }
        }
    }
    Ok(())
}

/// `(i32, i32) -> (i32)`, or `-> ()` for no results.
fn signature(ty: &FuncType) -> String {
    let types = |types: &mut dyn Iterator<Item = ValType>| -> Vec<String> {
        types.map(|t| t.to_string()).collect()
    };
    let params = types(&mut ty.params());
    let results = types(&mut ty.results());
    if results.is_empty() {
        format!("({}) -> ()", params.join(", "))
    } else {
        format!("({}) -> ({})", params.join(", "), results.join(", "))
    }
}

fn kind(ty: &ExternType) -> &'static str {
    match ty {
        ExternType::Func(_) => "a function",
        ExternType::Global(_) => "a global",
        ExternType::Table(_) => "a table",
        ExternType::Memory(_) => "a memory",
        ExternType::Tag(_) => "a tag",
    }
}

/// A compiler message on one line: the text parser's source excerpt
/// (`--> <anon>:3:7` and the lines under it) becomes `(line 3, column 7)`.
fn one_line(message: &str) -> String {
    let mut lines = message.lines();
    let first = lines.next().unwrap_or("").trim().to_string();
    let at = lines
        .find_map(|line| line.trim().strip_prefix("--> <anon>:"))
        .and_then(|at| at.split_once(':'));
    match at {
        Some((line, column)) => format!("{first} (line {line}, column {column})"),
        None => first,
    }
}

/// `sha256:` and the hex digest of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    let mut text = String::from("sha256:");
    for byte in Sha256::digest(bytes) {
        text.push_str(&format!("{byte:02x}"));
    }
    text
}
