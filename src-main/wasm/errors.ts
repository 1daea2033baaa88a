/** Why a workload could not run, in words for the person who sent it; `kind` maps to an API error code. */
export type WasmErrorKind =
  | 'bad_module' // not WebAssembly, or invalid
  | 'import' // needs something the pool does not offer
  | 'limit' // a limit of the pool or the tenant (tables, instances, sizes)
  | 'memory' // memory limit exceeded
  | 'stack' // stack overflow (recursion too deep)
  | 'timeout' // time limit exceeded
  | 'trap' // the module trapped
  | 'not_found' // unknown module, export or built-in
  | 'bad_request' // the request itself is wrong (arguments, paths)
  | 'unavailable' // the pool is closing

export class WasmError extends Error {
  constructor(
    readonly kind: WasmErrorKind,
    message: string,
  ) {
    super(message)
    this.name = 'WasmError'
  }
}
