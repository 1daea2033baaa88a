/**
 * Reading a file an operator hands in (a device list, trace CSVs, a labelled set) with its size bounded
 * while it is read, so a wrong or hostile file — a disk image, /dev/zero, a FIFO that never ends — is a
 * clear refusal instead of an exhausted heap. Pure enough for any engine to use.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { StringDecoder } from 'node:string_decoder'

export const MiB = 1024 * 1024
const CHUNK_BYTES = MiB

export class InputFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message)
    this.name = 'InputFileError'
  }
}

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return 'no such file'
  if (code === 'EISDIR') return 'it is a folder, not a file'
  if (code === 'EACCES') return 'permission denied'
  return (err as Error).message
}

/** The file as UTF-8 text (a leading byte-order mark dropped), refused past maxBytes before more is read. */
export function readInputFile(file: string, maxBytes: number): string {
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch (err) {
    throw new InputFileError(file, `cannot read ${file}: ${reason(err)}`)
  }
  const tooLarge = () => new InputFileError(file, `${file} is larger than ${Math.round(maxBytes / MiB)} MiB, more than this import reads`)
  try {
    // A regular file says its size up front; devices and pipes report none, so the reading is bounded too.
    if (fstatSync(fd).size > maxBytes) throw tooLarge()
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES)
    const decoder = new StringDecoder('utf8')
    let text = ''
    let total = 0
    for (;;) {
      let n: number
      try {
        n = readSync(fd, chunk, 0, chunk.length, null)
      } catch (err) {
        throw new InputFileError(file, `cannot read ${file}: ${reason(err)}`)
      }
      if (n === 0) break
      total += n
      if (total > maxBytes) throw tooLarge()
      text += decoder.write(chunk.subarray(0, n))
    }
    return (text + decoder.end()).replace(/^\uFEFF/, '')
  } finally {
    closeSync(fd)
  }
}
