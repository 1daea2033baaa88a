import { useEffect, useState } from 'react'
import type { FeedbackItem } from '../../../src-main/api/contract'
import { api } from '../../api/client'
import { useRelease } from '../../stores/release'
import { reportError } from '../../stores/toasts'

type Clock = FeedbackItem['firstResponse']

/** Re-render once a second so the timers tick between refreshes. */
function useNow(): number {
  const [now, setNow] = useState(Date.now())
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(timer)
  }, [])
  return now
}

function duration(ms: number): string {
  const abs = Math.abs(ms)
  const h = Math.floor(abs / 3_600_000)
  const m = Math.floor((abs % 3_600_000) / 60_000)
  const s = Math.floor((abs % 60_000) / 1000)
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} m` : `${m} m ${String(s).padStart(2, '0')} s`
}

function Timer({ label, clock, now }: { label: string; clock: Clock | null; now: number }) {
  if (!clock) return null
  if (clock.state === 'met' || clock.state === 'late') return <span className={clock.state === 'met' ? 'release-timer release-ok' : 'release-timer release-overdue'}>{label} {clock.state === 'met' ? 'met' : 'late'}</span>
  const left = Date.parse(clock.dueAt) - now
  return (
    <span className={left < 0 ? 'release-timer release-overdue' : left < 4 * 3_600_000 ? 'release-timer release-soon' : 'release-timer'} data-testid="release-timer">
      {label} {left < 0 ? `overdue ${duration(left)}` : `${duration(left)} left`}
    </span>
  )
}

export function FeedbackCard() {
  const feedback = useRelease((s) => s.feedback)
  const now = useNow()
  const queue = feedback.filter((f) => f.status !== 'resolved')
  const resolved = feedback.length - queue.length
  return (
    <section className="card" data-testid="release-feedback">
      <header className="card-header">
        <h2>Feedback queue</h2>
        <p className="card-hint">First response within 24 h; a critical bug fixed within 48 h. {resolved > 0 && `${resolved} resolved.`}</p>
      </header>
      <div className="card-body">
        {queue.length === 0 ? (
          <p className="faint">Nothing waiting for an answer.</p>
        ) : (
          <ul className="release-queue">
            {queue.map((item) => (
              <FeedbackRow key={item.id} item={item} now={now} />
            ))}
          </ul>
        )}
      </div>
    </section>
  )
}

function FeedbackRow({ item, now }: { item: FeedbackItem; now: number }) {
  const [answer, setAnswer] = useState('')
  const run = async (call: () => Promise<unknown>, what: string) => {
    try {
      await call()
      setAnswer('')
    } catch (err) {
      reportError(what, err)
    }
  }
  return (
    <li className={item.overdue ? 'release-item release-item-overdue' : 'release-item'} data-testid="release-feedback-item">
      <div className="release-item-head">
        <span className={`release-sev release-sev-${item.severity}`}>{item.severity}</span>
        <strong>{item.title}</strong>
        <span className="faint">
          #{item.id} · {item.type} · {item.category}
        </span>
      </div>
      <div className="release-item-clocks">
        <Timer label="response" clock={item.firstResponse} now={now} />
        <Timer label="fix" clock={item.criticalFix} now={now} />
      </div>
      <form
        className="release-item-actions"
        onSubmit={(e) => {
          e.preventDefault()
          if (answer.trim()) void run(() => api.call('release.feedback.respond', { id: item.id, response: answer.trim() }), 'Could not send the answer')
        }}
      >
        <input className="input" placeholder={item.response ? `Answered: ${item.response}` : 'Answer…'} value={answer} onChange={(e) => setAnswer(e.target.value)} aria-label={`answer to feedback ${item.id}`} />
        <button className="btn btn-small" type="submit" disabled={!answer.trim()}>
          Answer
        </button>
        <button className="btn btn-small" type="button" onClick={() => void run(() => api.call('release.feedback.resolve', { id: item.id, resolution: item.type === 'bug' ? 'fixed' : 'accepted', ...(answer.trim() ? { response: answer.trim() } : {}) }), 'Could not resolve')}>
          {item.type === 'bug' ? 'Fixed' : 'Accept'}
        </button>
        <button className="btn btn-small btn-ghost" type="button" onClick={() => void run(() => api.call('release.feedback.resolve', { id: item.id, resolution: 'invalid' }), 'Could not resolve')}>
          Invalid
        </button>
      </form>
    </li>
  )
}
