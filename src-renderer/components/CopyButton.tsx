import { useEffect, useState } from 'react'
import { copyText } from '../lib/clipboard'
import { reportError } from '../stores/toasts'
import { Icon } from './Icon'

/** A small icon button that copies a value (a hash, a fingerprint) and says so for a moment. */
export function CopyButton({ value, label, testId }: { value: string; label: string; testId?: string }) {
  const [copied, setCopied] = useState(false)

  useEffect(() => {
    if (!copied) return
    const timer = setTimeout(() => setCopied(false), 1500)
    return () => clearTimeout(timer)
  }, [copied])

  const copy = async () => {
    try {
      await copyText(value)
      setCopied(true)
    } catch (err) {
      reportError(`Could not copy the ${label}`, err)
    }
  }

  return (
    <button type="button" className="icon-button copy-button" onClick={copy} aria-label={copied ? 'Copied' : `Copy the ${label}`} title={copied ? 'Copied' : `Copy the ${label}`} data-testid={testId}>
      <Icon name={copied ? 'check' : 'copy'} size={13} />
    </button>
  )
}
