/** The error a placement that cannot be met throws, and how it names what excluded the devices. */
import type { Constraint, Requirements } from '../types'

export class NoFitError extends Error {
  constructor(
    readonly constraint: Constraint,
    readonly excluded: Partial<Record<Constraint, number>>,
    readonly devices: number,
    readonly placed: number,
    readonly wanted: number,
    detail: string,
  ) {
    super(
      devices === 0
        ? 'no device fits: no devices are registered'
        : (excluded[constraint] ?? 0) === 0
          ? `no device fits${placed > 0 ? ` ${wanted - placed} of ${wanted} replicas` : ''}: ${detail}`
          : `no device fits${placed > 0 ? ` ${wanted - placed} of ${wanted} replicas` : ''}: ${constraint} excluded the most devices (${excluded[constraint] ?? 0} of ${devices}; ${detail})`,
    )
    this.name = 'NoFitError'
  }
}

export function describeConstraint(c: Constraint, req: Requirements, placed: number, wanted: number): string {
  switch (c) {
    case 'state':
      return 'they are offline'
    case 'region':
      return `not in region ${req.region}`
    case 'cluster':
      return `not in cluster ${req.clusters?.join(' or ')}`
    case 'tier':
      return `a latency budget of ${req.maxLatencyMs} ms needs an edge device`
    case 'slice':
      return `not on 5G slice ${req.slice}`
    case 'cpu':
      return `fewer than ${(req.cpuMilli ?? 0) / 1000} CPU cores free`
    case 'memory':
      return `less than ${req.memoryMb} MB memory free`
    case 'gpu':
      return (req.gpus ?? 0) === 1 && (req.gpuMilli ?? 1000) < 1000 ? `no GPU with ${req.gpuMilli} milli free` : `fewer than ${req.gpus} idle GPUs`
    case 'gpu_model':
      return `GPU model is not ${req.gpuModels?.join(' or ')}`
    case 'latency':
      return `estimated latency above ${req.maxLatencyMs} ms`
    case 'cost':
      return `cost above $${req.costCeiling}/h`
    case 'spread':
      return `each replica needs a device of its own${placed > 0 ? ': ' : ', and '}${placed > 0 ? `${placed} fit, ${wanted} asked` : 'every device that fits holds one already'}`
  }
}
