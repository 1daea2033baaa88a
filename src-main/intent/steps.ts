/**
 * From an intent to the concrete contract calls that carry it out. The intent engine knows the other
 * engines only through the shared API contract: each step names a contract method and its input,
 * and the composition root runs it like any other caller would (validated, audited).
 */
import { DeploymentName, ModuleRef } from '../api/contracts/orchestrator'
import { IntentError } from './errors'
import type { Intent } from './types'

export interface ExecutionStep {
  description: string
  method: string
  input: Record<string, unknown>
  readOnly: boolean
}

/** Read-only questions a step list may need answered first (the newest backup, a previous module). */
export interface StepLookups {
  newestBackup(): Promise<{ name: string; createdAt: string } | null>
  /** The module a deployment ran before its current one, from the audit log. */
  previousModule(deployment: string): Promise<string | null>
}

const need = (what: string, example: string): never => {
  throw new IntentError('bad_request', `${what} — for example “${example}”`)
}

/**
 * A name checked by the schema its call will be checked by, but before anything runs: a bad name
 * must not leave a guardrail backup behind a refused destroy.
 */
function valid(schema: typeof DeploymentName | typeof ModuleRef, value: string): string {
  const checked = schema.safeParse(value)
  if (!checked.success) throw new IntentError('bad_request', `“${value}”: ${checked.error.issues[0]?.message ?? 'not valid'}`)
  return value
}

function deploymentName(intent: Intent, verb: string): string {
  const target = intent.parameters.target
  if (!target) return need(`say which deployment to ${verb}`, `${verb} web`)
  return valid(DeploymentName, target)
}

function moduleOf(intent: Intent, verb: string): string {
  const module = intent.parameters.module
  if (!module) {
    const version = intent.parameters.version ? ` version ${intent.parameters.version}` : ''
    return need(`say which module${version} to ${verb} to: a built-in workload (trivial, hash, transform, http) or sha256:<hash> of an uploaded one`, `update ${intent.parameters.target ?? 'web'} to module hash`)
  }
  return valid(ModuleRef, module)
}

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-')

export async function executionSteps(intent: Intent, lookups: StepLookups): Promise<ExecutionStep[]> {
  const p = intent.parameters
  const step = (description: string, method: string, input: Record<string, unknown>, readOnly = false): ExecutionStep => ({ description, method, input, readOnly })
  switch (intent.type) {
    case 'deploy': {
      const name = deploymentName(intent, 'deploy')
      const module = valid(ModuleRef, p.module ?? 'trivial')
      const replicas = p.replicas ?? 1
      const requirements = { ...(p.memoryMB !== undefined ? { memoryMb: p.memoryMB } : {}), ...(p.cpu !== undefined ? { cpu: p.cpu } : {}), ...(p.region ? { region: p.region } : {}) }
      return [step(`Deploy ${name}: ${replicas} replica${replicas === 1 ? '' : 's'} of ${module}`, 'edge.deployments.create', { name, module, replicas, requirements, strategy: p.strategy ?? 'intelligent' })]
    }
    case 'scale': {
      const name = deploymentName(intent, 'scale')
      if (p.replicas === undefined) return need('say how many replicas', `scale ${name} to 3`)
      return [step(`Scale ${name} to ${p.replicas} replicas`, 'edge.deployments.scale', { name, replicas: p.replicas })]
    }
    case 'update': {
      const name = deploymentName(intent, 'update')
      const module = moduleOf(intent, 'update')
      return [step(`Rolling update of ${name} to ${module}`, 'edge.deployments.update', { name, module })]
    }
    case 'destroy': {
      const name = deploymentName(intent, 'destroy')
      return [step(`Stop every replica of ${name} and delete it`, 'edge.deployments.delete', { name })]
    }
    case 'migrate': {
      const name = deploymentName(intent, 'migrate')
      if (!p.region) return need('say where to move it', `migrate ${name} to eu-west-1`)
      return [step(`Move ${name}'s replicas to ${p.region}`, 'edge.deployments.migrate', { name, region: p.region })]
    }
    case 'backup': {
      const file = `intent-${stamp()}.db`
      return [step('Back up the whole state', 'backup.create', { file, reason: `intent: ${intent.text.slice(0, 180)}` }), step(`Verify ${file}`, 'backup.verify', { file }, true)]
    }
    case 'restore': {
      // The source is chosen before any guardrail backup is taken, so "restore the newest backup"
      // never means the copy of the present state made a moment ago.
      const file = p.backupId ?? (await lookups.newestBackup())?.name ?? need('there is no backup to restore; take one first', 'back up everything')
      return [step(`Verify backup ${file}`, 'backup.verify', { file }, true), step(`Restore ${file} (the current state is kept as a backup first)`, 'backup.restore', { file })]
    }
    case 'rollback': {
      if (p.protocol || !p.target) return [step('Roll the release back to protocol v3: backup, v4-only flags off, every agent renegotiated', 'release.rollbackToV3', {})]
      const name = deploymentName(intent, 'roll back')
      const module = await lookups.previousModule(name)
      if (!module) throw new IntentError('bad_request', `${name} has no earlier module in the audit log to roll back to; update it to a named module instead`)
      return [step(`Rolling update of ${name} back to ${module}`, 'edge.deployments.update', { name, module })]
    }
    case 'optimize': {
      const scope = p.target ? { name: deploymentName(intent, 'optimize') } : {}
      return [step('Find replicas that would score better elsewhere', 'edge.rebalance', { ...scope, apply: false }, true), step('Move them', 'edge.rebalance', { ...scope, apply: true })]
    }
    case 'query':
      return p.target
        ? [step(`Read deployment ${deploymentName(intent, 'show')}`, 'edge.deployments.get', { name: p.target }, true)]
        : [step('List the deployments', 'edge.deployments.list', {}, true), step('List the devices', 'edge.devices.list', { limit: 100 }, true)]
    case 'diagnose':
      return [
        p.target ? step(`Read deployment ${deploymentName(intent, 'diagnose')}`, 'edge.deployments.get', { name: p.target }, true) : step('List the deployments', 'edge.deployments.list', {}, true),
        step('Recent failures in the audit log', 'audit.query', { filter: { outcome: 'failed', ...(p.target ? { text: p.target } : {}) }, limit: 20 }, true),
      ]
    case 'monitor':
      return [
        p.target ? step(`Read deployment ${deploymentName(intent, 'monitor')}`, 'edge.deployments.get', { name: p.target }, true) : step('List the devices with their live load', 'edge.devices.list', { limit: 100 }, true),
        step('WASM pool figures', 'wasm.metrics', {}, true),
      ]
  }
}
