/**
 * Where Claude may be asked. The API key travels in every request's headers, so an endpoint must be
 * https://, except on this machine (a local proxy or test server), where nothing crosses a network.
 */
import { isIP } from 'node:net'

/** Why `url` may not be used as the model endpoint, or null when it may. */
export function modelEndpointProblem(url: string): string | null {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return `the model endpoint "${url}" is not a URL`
  }
  if (parsed.protocol === 'https:') return null
  if (parsed.protocol !== 'http:') return `the model endpoint must be an https:// URL (got ${parsed.protocol}//)`
  if (isLoopbackHost(parsed.hostname)) return null
  return `the model endpoint ${parsed.origin} is plain http:// on another machine, which would send the API key in clear; use https://, or http:// only on this machine (localhost, 127.0.0.1, [::1])`
}

/** localhost, 127.0.0.0/8 and ::1: names that never leave this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/^\[|\]$/g, '')
  if (name === 'localhost' || name === '::1') return true
  return isIP(name) === 4 && name.startsWith('127.')
}
