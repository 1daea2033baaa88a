import type { BackupInfo, BackupVerdict } from '../api/contract'

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`
  return `${(n / 1024 ** 3).toFixed(2)} GiB`
}

export function formatBackup(b: BackupInfo): string {
  return `${b.createdAt}  ${formatBytes(b.sizeBytes).padStart(10)}  ${b.name}${b.reason ? `  (${b.reason})` : ''}`
}

export function formatVerdict(v: BackupVerdict): string {
  if (v.ok) {
    const schema = Object.entries(v.schema).map(([engine, version]) => `${engine} v${version}`).join(', ')
    return `OK: ${v.file} is a sound DWCP backup (${formatBytes(v.sizeBytes)}; schema ${schema || 'empty'}).`
  }
  return [`FAILED: ${v.file} cannot be restored:`, ...v.problems.map((p) => `  - ${p}`)].join('\n')
}
