/**
 * DNS rebinding protection for `dwcp serve`: a page on evil.example whose name is made to resolve to
 * 127.0.0.1 reaches the server with `Host: evil.example`. Only names this server is known by are
 * answered; every other Host is refused before any route runs (health, sign-in, files, WebSocket).
 */
import { hostname, networkInterfaces } from 'node:os'

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1']
const WILDCARDS = new Set(['0.0.0.0', '::', ''])

/** The names a server listening on `listenAddress` answers to, plus the ones the operator added. */
export function allowedHostNames(listenAddress: string, extra: string[] = []): Set<string> {
  const names = new Set([...LOOPBACK_NAMES, listenAddress, ...extra].map(normaliseName))
  if (!isLoopbackAddress(listenAddress)) {
    // Reachable from the network: the machine's own addresses and names are how others reach it.
    const own = hostname()
    names.add(normaliseName(own))
    names.add(normaliseName(own.split('.')[0]!))
    for (const list of Object.values(networkInterfaces())) for (const nic of list ?? []) names.add(normaliseName(nic.address))
  }
  for (const wildcard of WILDCARDS) names.delete(wildcard)
  return names
}

/** The name part of a Host header (`[::1]:8080` → `::1`, `Example.COM.:80` → `example.com`), or '' when unreadable. */
export function hostHeaderName(header: string | undefined): string {
  if (!header) return ''
  const value = header.trim()
  if (value.startsWith('[')) {
    const end = value.indexOf(']')
    return end > 0 ? normaliseName(value.slice(1, end)) : ''
  }
  const colon = value.indexOf(':')
  // More than one colon without brackets is not a valid Host header.
  if (colon >= 0 && value.indexOf(':', colon + 1) >= 0) return ''
  return normaliseName(colon >= 0 ? value.slice(0, colon) : value)
}

/** Why a request with this Host header is refused, or null when it is allowed. */
export function hostRefusal(header: string | undefined, allowed: Set<string>): string | null {
  const name = hostHeaderName(header)
  if (!name) return 'this request has no readable Host header; DWCP Console answers only requests addressed to it'
  if (allowed.has(name)) return null
  return `DWCP Console does not answer to the name "${name}" (protection against DNS rebinding); open it as ${[...allowed].slice(0, 3).join(' or ')}, or start it with \`dwcp serve --allow-host ${name}\``
}

export function isLoopbackAddress(address: string): boolean {
  const name = normaliseName(address)
  return name === 'localhost' || name === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)
}

function normaliseName(name: string): string {
  return name.trim().toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '')
}
