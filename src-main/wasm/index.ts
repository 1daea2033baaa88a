/**
 * Public face of the WASM pool: cached, pre-warmed, limited, per-tenant WebAssembly execution
 * (core modules, WASI preview 1 commands, the built-in workloads).
 */
export { WasmPool, type ExecuteRequest, type ExecuteResult, type ModuleRef, type WasiOptions, type WasmPoolOptions } from './pool'
export { WasmError, type WasmErrorKind } from './errors'
export { WasmMetrics } from './metrics'
export { BUILTIN_WORKLOADS, builtinWorkload, type BuiltinWorkload } from './builtins'
export { DEFAULT_MODULE_LIMITS, type ModuleLimits } from './binary'
export { DEFAULT_STORED_MODULES_BYTES, ModuleStore, WASM_MIGRATIONS, type StoredModule } from './module-store'
