import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { redact, redactText, REDACTED, rememberSecret } from './redact'

describe('redaction of secrets', () => {
  it('replaces a remembered secret of any shape, wherever it appears', () => {
    const key = `plain-${randomBytes(12).toString('hex')}`
    expect(redactText(`401 invalid x-api-key ${key}`)).toContain(key)
    rememberSecret(key)
    expect(redactText(`401 invalid x-api-key ${key} (sent ${key})`)).toBe(`401 invalid x-api-key ${REDACTED} (sent ${REDACTED})`)
    expect(redact({ reason: `Claude did not answer (${key})`, nested: [{ note: key }] })).toEqual({ reason: `Claude did not answer (${REDACTED})`, nested: [{ note: REDACTED }] })
  })

  it('still catches credential-shaped strings it was never told about', () => {
    expect(redactText('key sk-ant-api03-abcdefghijk and Bearer abcdefghijklmnopqrstu')).toBe(`key ${REDACTED} and ${REDACTED}`)
  })

  it('ignores values too short to be secrets, so ordinary words survive', () => {
    rememberSecret('ok')
    rememberSecret('')
    expect(redactText('ok, done')).toBe('ok, done')
  })
})
