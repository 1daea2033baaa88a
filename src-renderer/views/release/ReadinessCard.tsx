import { useRelease } from '../../stores/release'

export function ReadinessCard() {
  const readiness = useRelease((s) => s.status?.readiness)
  return (
    <section className="card" data-testid="release-readiness">
      <header className="card-header">
        <h2>Readiness</h2>
        <p className="card-hint">Measured, not typed in: the feedback queue, the adopter list and the latest `npm run bench` results.</p>
      </header>
      <div className="card-body release-parts">
        {!readiness ? (
          <p className="faint">Loading…</p>
        ) : (
          <>
            {readiness.parts.map((p) => (
              <div key={p.id} className="release-part" data-testid={`release-part-${p.id}`}>
                <div className="release-part-head">
                  <span>{p.label}</span>
                  <span className="numeric">
                    {p.points} / {p.weight}
                  </span>
                </div>
                <div className="release-bar" role="meter" aria-valuemin={0} aria-valuemax={p.weight} aria-valuenow={p.points} aria-label={p.label}>
                  <div className="release-bar-fill" style={{ width: `${(100 * p.points) / p.weight}%` }} />
                </div>
                <div className="faint release-part-detail">{p.detail}</div>
              </div>
            ))}
            {readiness.benchmarks.length > 0 && (
              <ul className="release-bench">
                {readiness.benchmarks.map((b) => (
                  <li key={`${b.bench}.${b.key}`} className={b.met ? 'release-ok' : 'release-overdue'}>
                    {b.met ? '✓' : '✗'} {b.bench}.{b.key} = {b.value} <span className="faint">(goal {b.goal})</span>
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </div>
    </section>
  )
}
