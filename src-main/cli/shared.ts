/**
 * What every group of `dwcp` commands needs: a host for the length of one command, calls through the
 * contract with transport 'cli', JSON output. Each engine's commands live in their own file here
 * (cli/wasm.ts, …) and register themselves in buildProgram.
 */
import type { CallInput, CallOutput, MethodName } from '../api/contract'
import type { CallContext } from '../api/dispatch'
import { createHost, type Host } from '../host'
import { defaultHome } from '../paths'

export const CLI_CONTEXT: CallContext = { clientId: 'cli', transport: 'cli', emit: () => {} }

/** Open the host for one command, run it, close it, whatever happens. */
export async function withHost<T>(fn: (host: Host) => Promise<T>): Promise<T> {
  const host = createHost({ home: defaultHome(), shell: 'cli' })
  try {
    return await fn(host)
  } finally {
    await host.close()
  }
}

export function call<M extends MethodName>(host: Host, method: M, input: CallInput<M>): Promise<CallOutput<M>> {
  return host.call(method, input, CLI_CONTEXT) as Promise<CallOutput<M>>
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n')
}

/** A file argument on the command line is a path relative to where the user stands. */
export function asPath(file: string): string {
  return file.includes('/') ? file : `./${file}`
}

