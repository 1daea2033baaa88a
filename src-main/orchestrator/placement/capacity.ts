/** The capacity strategy: free CPU and memory, less load. */
import type { Device } from '../types'

export function capacityScore(d: Device): number {
  const cpu = d.cpuMilli > 0 ? (d.cpuMilli - d.usedCpuMilli) / d.cpuMilli : 0
  const mem = d.memoryMb > 0 ? (d.memoryMb - d.usedMemoryMb) / d.memoryMb : 0
  return Math.max(0, Math.min(cpu, mem)) * (1 - Math.min(1, Math.max(0, d.load)))
}

export const capacityReason = (d: Device): string => `most free capacity (${Math.round(capacityScore(d) * 100)}% after load ${Math.round(d.load * 100)}%)`
