/**
 * The files an operator feeds the orchestrator: a JSON array of devices (`dwcp edge register --file`)
 * and the Alibaba trace CSVs (`dwcp edge simulate`). Reading and parsing live here, not in the CLI, so
 * the fuzz test goes through the same code. Every refusal is an InputFileError, an OrchestratorError
 * or a TraceFormatError with a message naming the file.
 */
import { MiB, readInputFile } from '../input-file'
import { OrchestratorError } from './registry'
import { parseNodes, parsePods, type TraceNode, type TracePod } from './trace'

/** The same bound as a REST body of edge.register. */
export const DEVICE_FILE_MAX_BYTES = 64 * MiB
/** A JavaScript string holds at most ~512 M characters; the real v2023 trace is a few MB. */
export const TRACE_FILE_MAX_BYTES = 256 * MiB

/** The devices, not yet checked one by one: edge.register's contract does that, for the whole batch. */
export function parseDeviceFile(text: string, file: string): { devices: unknown[] } {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new OrchestratorError('bad_request', `${file} is not JSON: ${(err as Error).message.slice(0, 200)}`)
  }
  if (!Array.isArray(value)) throw new OrchestratorError('bad_request', `${file} must hold a JSON array of devices`)
  if (value.length === 0) throw new OrchestratorError('bad_request', `${file} holds no devices`)
  return { devices: value }
}

export function readDeviceFile(file: string): { devices: unknown[] } {
  return parseDeviceFile(readInputFile(file, DEVICE_FILE_MAX_BYTES), file)
}

export function readTraceFiles(nodesFile: string, podsFile: string): { nodes: TraceNode[]; pods: TracePod[] } {
  const nodes = parseNodes(readInputFile(nodesFile, TRACE_FILE_MAX_BYTES), nodesFile)
  const pods = parsePods(readInputFile(podsFile, TRACE_FILE_MAX_BYTES), podsFile)
  return { nodes, pods }
}
