/**
 * Placement: which devices run a workload's replicas, and why.
 *
 * Devices live in memory beside the registry, indexed so that a placement looks at tens or
 * hundreds of devices, not all of them. Scopes: per tier, with or without GPUs, in a region or
 * all, and per device class (size to a power of two, GPUs, model), so a class too small or too
 * dear for a request is skipped whole. Each scope ranks its devices by capacity and access RTT
 * (score buckets) and by bandwidth and price (sorted lists). Each group of scopes (all classes)
 * also has a map of 1° cells, whose devices are in bands of access RTT and in price, bandwidth and
 * capacity order, for walks around users and scans within a latency budget, and the same bands
 * fleet-wide for the weighted walk without users. Walks go best first and stop as soon as nothing
 * further can beat the replicas already found; around users they start at the users' cell and
 * widen. Every strategy returns exactly what a full scan and sort returns (property tests hold
 * them to it). Ties break by device id, so equal inputs give equal placements.
 */
export { bandwidthScore } from './bandwidth'
export { capacityScore } from './capacity'
export { costScore } from './cost'
export { DeviceIndex, type PlaceOptions } from './device-index'
export { EDGE_LATENCY_LIMIT_MS, gpuFits, gpuSlotsFor, naivePlace, satisfies } from './fit'
export { INTELLIGENT_WEIGHTS } from './intelligent'
export { latencyScore } from './latency'
export { NoFitError } from './no-fit'
