import type { IPty, IPtyForkOptions } from 'node-pty'
import { createRequire } from 'node:module'

/**
 * The one place that loads node-pty. node-pty 1.x is a Node-API addon, so the build npm made serves
 * Node and Electron alike; if that ever changes, the choice of build belongs here.
 */
export type Pty = IPty

let ptyModule: typeof import('node-pty') | undefined

export function spawnPty(file: string, args: string[], options: IPtyForkOptions): Pty {
  ptyModule ??= createRequire(import.meta.url)('node-pty') as typeof import('node-pty')
  return ptyModule.spawn(file, args, options)
}
