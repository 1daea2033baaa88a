/**
 * What an intent will do, step by step, and the same as `dwcp` commands. Built from the intent's
 * type and parameters only, so the plan shown before confirmation is the plan that runs.
 */
import { BACKUP_FIRST } from './safety'
import type { IntentParameters, IntentType, PlanStep } from './types'

const quote = (value: string) => (/^[a-z0-9._:@/-]+$/i.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`)
const name = (p: IntentParameters) => p.target ?? 'NAME'

function requirementFlags(p: IntentParameters): string {
  return [
    p.memoryMB !== undefined ? ` --memory ${p.memoryMB}MB` : '',
    p.cpu !== undefined ? ` --cpu ${p.cpu}` : '',
    p.region ? ` --region ${quote(p.region)}` : '',
    p.strategy ? ` --strategy ${p.strategy}` : '',
  ].join('')
}

function requirementWords(p: IntentParameters): string {
  const parts = [p.memoryMB !== undefined ? `${p.memoryMB} MB memory` : '', p.cpu !== undefined ? `${p.cpu} CPU` : '', p.region ? `in ${p.region}` : ''].filter(Boolean)
  return parts.length ? ` (${parts.join(', ')})` : ''
}

const step = (description: string, call: string | undefined, readOnly: boolean): PlanStep => ({ description, ...(call ? { call } : {}), readOnly })

export function planFor(type: IntentType, p: IntentParameters): { plan: PlanStep[]; commands: string[] } {
  const n = name(p)
  const plan: PlanStep[] = []
  const commands: string[] = []
  if (BACKUP_FIRST.has(type)) plan.push(step('Make sure a verified backup younger than the configured age exists (take one if not)', 'backup.create', false))
  switch (type) {
    case 'deploy': {
      const replicas = p.replicas ?? 1
      const module = p.module ?? 'trivial'
      plan.push(step(`Place ${replicas} replica${replicas === 1 ? '' : 's'} of ${module}${requirementWords(p)} with the ${p.strategy ?? 'intelligent'} strategy`, 'edge.place', true))
      plan.push(step(`Create deployment ${n} and start its replicas on their devices`, 'edge.deployments.create', false))
      commands.push(`dwcp deploy ${quote(n)} --module ${quote(module)} --replicas ${replicas}${requirementFlags(p)}`)
      break
    }
    case 'scale':
      plan.push(step(`Scale ${n} to ${p.replicas ?? 'N'} replicas (new ones placed by its strategy, extra ones stopped)`, 'edge.deployments.scale', false))
      commands.push(`dwcp scale ${quote(n)} ${p.replicas ?? 'N'}`)
      break
    case 'update': {
      const module = p.module ?? (p.version ? `${n}@${p.version}` : 'MODULE')
      plan.push(step(`Rolling update of ${n} to ${p.version ? `version ${p.version}` : module}: one replica at a time, health-checked, stopping at the first failure`, 'edge.deployments.update', false))
      commands.push(`dwcp update ${quote(n)} --module ${quote(p.module ?? 'MODULE')}`)
      break
    }
    case 'destroy':
      plan.push(step(`Stop every replica of ${n} and delete the deployment`, 'edge.deployments.delete', false))
      commands.push(`dwcp destroy ${quote(n)}`)
      break
    case 'migrate':
      plan.push(step(`Find places for every replica of ${n}${p.region ? ` in ${p.region}` : ''} before anything moves, then move them one by one`, 'edge.deployments.migrate', false))
      commands.push(`dwcp migrate ${quote(n)}${p.region ? ` --region ${quote(p.region)}` : ' --region REGION'}`)
      break
    case 'backup':
      plan.push(step('Back up the whole state (SQLite online backup, sealed with a SHA-256 sidecar) and verify it', 'backup.create', false))
      commands.push('dwcp backup create')
      break
    case 'restore':
      plan.push(step(`Verify ${p.backupId ? `backup ${p.backupId}` : 'the newest backup'}, keep the current state as a backup, then restore`, 'backup.restore', false))
      commands.push(`dwcp backup restore ${p.backupId ? quote(p.backupId) : 'FILE'}`)
      break
    case 'rollback':
      if (p.protocol || !p.target) {
        plan.push(step('Take a verified backup, turn off the v4-only flags, pin the protocol to v3 and renegotiate every connected agent live', 'release.rollback', false))
        commands.push('dwcp rollback v3')
      } else {
        plan.push(step(`Rolling update of ${n} back to its previous module${p.version ? ` (version ${p.version})` : ''}`, 'edge.deployments.update', false))
        commands.push(`dwcp update ${quote(n)} --module PREVIOUS_MODULE`)
      }
      break
    case 'optimize':
      plan.push(step(`Find replicas${p.target ? ` of ${n}` : ''} that would score better elsewhere${p.strategy ? ` for ${p.strategy}` : ''}, and show the gain`, 'edge.rebalance', true))
      plan.push(step('Move them', 'edge.rebalance', false))
      commands.push(`dwcp edge rebalance${p.target ? ` --name ${quote(p.target)}` : ''} --apply`)
      break
    case 'query':
      plan.push(step(p.target ? `Show deployment ${n} with its replicas` : 'List the devices and deployments', p.target ? 'edge.deployments.get' : 'edge.deployments.list', true))
      commands.push(p.target ? `dwcp deployments ${quote(n)}` : 'dwcp deployments', ...(p.target ? [] : ['dwcp edge list']))
      break
    case 'diagnose':
      plan.push(step(`Read ${p.target ? `${n}'s replicas, their devices' health and` : 'every deployment, device health and'} recent failures in the audit log`, 'edge.deployments.list', true))
      commands.push(p.target ? `dwcp deployments ${quote(n)}` : 'dwcp deployments', `dwcp audit list --text ${quote(p.target ?? 'failed')}`)
      break
    case 'monitor':
      // One reading, not a watch: the Fleet and WASM views keep the figures current after it.
      plan.push(step(`Read ${p.target ? `${n}'s replicas and their devices'` : "every device's"} live figures and the WASM pool's, now`, p.target ? 'edge.deployments.get' : 'edge.devices.list', true))
      commands.push(p.target ? `dwcp deployments ${quote(n)}` : 'dwcp edge list', 'dwcp wasm stats')
      break
  }
  return { plan, commands }
}
