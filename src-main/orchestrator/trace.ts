/**
 * Reader of the Alibaba GPU cluster trace (cluster-trace-gpu-v2023) CSV format. Columns are found by
 * header name, so their order does not matter; the optional ones (gpu_spec, qos, pod_phase and the
 * three times) may be missing from a file altogether. A malformed line is refused with its number.
 */

export interface TraceNode {
  name: string
  cpuMilli: number
  memoryMib: number
  gpus: number
  model: string | null
}

export interface TracePod {
  name: string
  cpuMilli: number
  memoryMib: number
  numGpu: number
  /** Share of one GPU for GPU-sharing tasks (num_gpu = 1), 1000 for whole GPUs, 0 without GPUs. */
  gpuMilli: number
  /** Accepted GPU models (`V100M16|V100M32`), empty when any will do. */
  gpuModels: string[]
  qos: string | null
  phase: string | null
  creationTime: number | null
  deletionTime: number | null
}

export class TraceFormatError extends Error {
  constructor(file: string, line: number, message: string) {
    super(`${file}${line > 0 ? `:${line}` : ''}: ${message}`)
    this.name = 'TraceFormatError'
  }
}

interface Table {
  header: Map<string, number>
  rows: { line: number; cells: string[] }[]
}

function readTable(text: string, file: string, required: string[]): Table {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  const headerLine = lines[0] ?? ''
  const names = headerLine.split(',').map((h) => h.trim())
  const header = new Map(names.map((n, i) => [n, i]))
  const missing = required.filter((r) => !header.has(r))
  if (missing.length > 0) throw new TraceFormatError(file, 1, `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (header: ${headerLine.slice(0, 200) || 'empty'})`)
  const rows: Table['rows'] = []
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue
    const cells = lines[i].split(',')
    if (cells.length !== names.length) throw new TraceFormatError(file, i + 1, `${cells.length} fields where the header has ${names.length}`)
    rows.push({ line: i + 1, cells })
  }
  return { header, rows }
}

function cell(table: Table, row: Table['rows'][number], column: string): string | null {
  const at = table.header.get(column)
  if (at === undefined) return null
  const value = row.cells[at].trim()
  return value === '' || value === 'nan' ? null : value
}

function count(table: Table, row: Table['rows'][number], column: string, file: string, optional = false): number | null {
  const value = cell(table, row, column)
  if (value === null) {
    if (optional) return null
    throw new TraceFormatError(file, row.line, `${column} is empty`)
  }
  const n = Number(value)
  if (!Number.isFinite(n) || n < 0) throw new TraceFormatError(file, row.line, `${column} is not a number ≥ 0: "${value.slice(0, 40)}"`)
  return n
}

export function parseNodes(text: string, file = 'nodes'): TraceNode[] {
  const table = readTable(text, file, ['sn', 'cpu_milli', 'memory_mib', 'gpu'])
  const seen = new Set<string>()
  const nodes = table.rows.map((row) => {
    const name = cell(table, row, 'sn')
    if (!name) throw new TraceFormatError(file, row.line, 'sn is empty')
    if (seen.has(name)) throw new TraceFormatError(file, row.line, `machine ${name} appears twice`)
    seen.add(name)
    const gpus = count(table, row, 'gpu', file)!
    if (!Number.isInteger(gpus) || gpus > 64) throw new TraceFormatError(file, row.line, `gpu must be a whole number 0–64, not ${gpus}`)
    return { name, cpuMilli: count(table, row, 'cpu_milli', file)!, memoryMib: count(table, row, 'memory_mib', file)!, gpus, model: gpus > 0 ? cell(table, row, 'model') : null }
  })
  if (nodes.length === 0) throw new TraceFormatError(file, 0, 'no machines in the file')
  return nodes
}

export function parsePods(text: string, file = 'pods'): TracePod[] {
  const table = readTable(text, file, ['name', 'cpu_milli', 'memory_mib', 'num_gpu', 'gpu_milli'])
  return table.rows.map((row) => {
    const name = cell(table, row, 'name')
    if (!name) throw new TraceFormatError(file, row.line, 'name is empty')
    const numGpu = count(table, row, 'num_gpu', file)!
    if (!Number.isInteger(numGpu) || numGpu > 64) throw new TraceFormatError(file, row.line, `num_gpu must be a whole number 0–64, not ${numGpu}`)
    const gpuMilli = count(table, row, 'gpu_milli', file, true) ?? 0
    if (numGpu === 1 && (gpuMilli <= 0 || gpuMilli > 1000)) throw new TraceFormatError(file, row.line, `gpu_milli must be 1–1000 for a one-GPU task, not ${gpuMilli}`)
    const creationTime = count(table, row, 'creation_time', file, true)
    const deletionTime = count(table, row, 'deletion_time', file, true)
    return {
      name,
      cpuMilli: count(table, row, 'cpu_milli', file)!,
      memoryMib: count(table, row, 'memory_mib', file)!,
      numGpu,
      gpuMilli: numGpu === 0 ? 0 : numGpu === 1 ? gpuMilli : 1000,
      gpuModels: (cell(table, row, 'gpu_spec') ?? '').split('|').map((m) => m.trim()).filter(Boolean),
      qos: cell(table, row, 'qos'),
      phase: cell(table, row, 'pod_phase'),
      creationTime,
      deletionTime,
    }
  })
}
