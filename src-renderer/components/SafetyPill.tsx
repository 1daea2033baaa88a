import type { AuditEntry } from '../../src-main/api/contract'

/** A safety level as a coloured pill (the same in the Audit view and the Chat), or a dash when there is none. */
export function SafetyPill({ level, title, testId }: { level: AuditEntry['safety']; title?: string; testId?: string }) {
  if (!level) return <span className="faint">—</span>
  return (
    <span className={`safety safety-${level}`} title={title} data-testid={testId}>
      {level}
    </span>
  )
}
