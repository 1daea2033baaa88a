/** Public face of the orchestrator: device registry, explained placement, deployments, health, trace replay. */
export * from './types'
export { DeviceIndex, NoFitError, naivePlace, EDGE_LATENCY_LIMIT_MS, INTELLIGENT_WEIGHTS } from './placement'
export { DeviceRegistry, OrchestratorError, view as deviceView, type DeviceInput, type DeviceView, type Heartbeat } from './registry'
export { ORCHESTRATOR_MIGRATIONS } from './schema'
export { METROS, seededRandom, syntheticFleet } from './fleet'
