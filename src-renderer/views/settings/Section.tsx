import { useId, type ReactNode } from 'react'

/** One card of the Settings view: a heading, a line saying what it is for, and its controls. */
export function Section({ title, hint, children, testId }: { title: string; hint?: ReactNode; children: ReactNode; testId?: string }) {
  const id = useId()
  return (
    <section className="card" aria-labelledby={id} data-testid={testId}>
      <header className="card-header">
        <h2 id={id}>{title}</h2>
        {hint && <p className="card-hint">{hint}</p>}
      </header>
      <div className="card-body">{children}</div>
    </section>
  )
}
