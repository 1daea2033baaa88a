import type { AuditEntry, BackupInfo, BackupVerdict, VerifyReport } from '../api/contract'

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

export function formatAuditEntry(e: AuditEntry): string {
  return [String(e.seq).padStart(8), e.time, e.actor.padEnd(14), e.action.padEnd(20), e.target.padEnd(20), (e.safety ?? '-').padEnd(9), e.outcome].join('  ')
}

type Review = { verdict: VerifyReport; keyFingerprint: string; origin: string; fromThisInstallation?: boolean; entryCount: number; complete: boolean; file?: string }

export function formatAuditReport(report: VerifyReport | Review): string {
  const verdict = 'verdict' in report ? report.verdict : report
  const lines: string[] = []
  if (verdict.ok) lines.push(`OK: verified ${verdict.entries} entries and ${verdict.heads} signed heads in ${verdict.durationMs} ms; root ${verdict.rootHash}`)
  else lines.push(`FAILED: ${verdict.problem?.message}${verdict.problem?.seq != null ? ` (first bad entry: #${verdict.problem.seq})` : ''}`)
  if ('verdict' in report) {
    if (report.keyFingerprint) {
      lines.push(`Bundle of ${report.entryCount} ${report.complete ? '(complete log)' : '(filtered)'} entries from ${report.origin}`)
      lines.push(`Signed by key ${report.keyFingerprint}: ${report.fromThisInstallation ? 'this installation' : 'another installation (compare this fingerprint with the one its owner gives you)'}`)
    }
  } else if (verdict.keyFingerprints.length) lines.push(`Signing key(s): ${verdict.keyFingerprints.join(', ')}`)
  return lines.join('\n')
}
