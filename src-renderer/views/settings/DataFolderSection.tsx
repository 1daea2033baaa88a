import { useEffect, useState } from 'react'
import { Icon } from '../../components/Icon'
import { copyText } from '../../lib/clipboard'
import { useSettings } from '../../stores/settings'
import { reportError } from '../../stores/toasts'
import { Section } from './Section'

export function DataFolderSection() {
  const dataDir = useSettings((s) => s.settings?.dataDir)
  const [copied, setCopied] = useState(false)

  useEffect(() => {
    if (!copied) return
    const timer = setTimeout(() => setCopied(false), 1500)
    return () => clearTimeout(timer)
  }, [copied])

  const copy = async () => {
    if (!dataDir) return
    try {
      await copyText(dataDir)
      setCopied(true)
    } catch (err) {
      reportError('Could not copy the path', err)
    }
  }

  return (
    <Section title="Data folder" hint="Where this installation keeps its database, backups and secrets. Set DWCP_HOME to use another folder.">
      <div className="path-field">
        <code className="path-value" data-testid="data-dir" title={dataDir}>
          {dataDir ?? '…'}
        </code>
        <button type="button" className="btn btn-small" onClick={copy} disabled={!dataDir} data-testid="data-dir-copy">
          <Icon name={copied ? 'check' : 'copy'} size={14} />
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
    </Section>
  )
}
