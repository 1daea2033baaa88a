import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { dwcp, dwcpBackground } from '../testing/cli'
import { waitFor } from '../testing/context'
import { tempHome } from '../testing/home'

describe('dwcp CLI', () => {
  it('lists its commands and prints the product and protocol versions', () => {
    const home = tempHome()
    const help = dwcp(home, '--help')
    expect(help.status).toBe(0)
    for (const command of ['serve', 'token', 'info', 'backup']) expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'))
    const version = dwcp(home, '--version')
    const pkg = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8'))
    expect(version.stdout.trim()).toBe(`dwcp ${pkg.version} (protocol 4.0.0, 3.0.0)`)
  })

  it('makes the API token at first run in a file only the owner can read, and prints the same one after', () => {
    const home = tempHome()
    const first = dwcp(home, 'token').stdout.trim()
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(statSync(join(home, 'api-token')).mode & 0o777).toBe(0o600)
    expect(dwcp(home, 'token').stdout.trim()).toBe(first)
  })

  it('backs up, lists, verifies and restores from the command line', () => {
    const home = tempHome()
    const created = JSON.parse(dwcp(home, 'backup', 'create', '--json').stdout)
    expect(created.file).toContain(join(home, 'backups'))
    const listed = JSON.parse(dwcp(home, 'backup', 'list', '--json').stdout)
    expect(listed.map((b: { name: string }) => b.name)).toEqual([created.name])
    const verified = dwcp(home, 'backup', 'verify', created.file)
    expect(verified.status).toBe(0)
    expect(verified.stdout).toMatch(/^OK: /)
    const restored = dwcp(home, 'backup', 'restore', created.file)
    expect(restored.status).toBe(0)
    expect(restored.stdout).toMatch(/previous state was kept at .*pre-restore-/)

    const custom = join(home, 'elsewhere.db')
    expect(dwcp(home, 'backup', 'create', custom).status).toBe(0)
    writeFileSync(custom, 'garbage')
    const bad = dwcp(home, 'backup', 'verify', custom)
    expect(bad.status).toBe(1)
    expect(bad.stdout).toMatch(/FAILED: .*\n  - /)
  })

  it('names the damaged database and the backup to restore, then recovers with that command', () => {
    const home = tempHome()
    const backup = JSON.parse(dwcp(home, 'backup', 'create', '--json').stdout)
    writeFileSync(join(home, 'dwcp.db'), Buffer.alloc(8192, 0x33))
    const broken = dwcp(home, 'info')
    expect(broken.status).toBe(1)
    expect(broken.stderr).toContain(join(home, 'dwcp.db'))
    expect(broken.stderr).toContain(`dwcp backup restore ${backup.file}`)
    // The backup's audit log is shorter than the one the damaged file held (its high-water mark says so).
    const refused = dwcp(home, 'backup', 'restore', backup.file)
    expect(refused.status).toBe(1)
    expect(refused.stderr).toMatch(/would roll history back.*--allow-shorter-history/)
    const restored = dwcp(home, 'backup', 'restore', backup.file, '--allow-shorter-history')
    expect(restored.status).toBe(0)
    expect(restored.stderr).toContain('moved aside')
    expect(dwcp(home, 'info').status).toBe(0)
  })

  it('rejects bad arguments with a clear message', () => {
    const home = tempHome()
    const result = dwcp(home, 'serve', '--port', 'many')
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('--port must be a whole number from 0 to 65535, not many')
    expect(dwcp(home, 'frobnicate').stderr).toMatch(/unknown command 'frobnicate'/)
  })

  it('serve prints the URL it listens on as its first line and answers /v4/health', async () => {
    const home = tempHome()
    const server = dwcpBackground(home, 'serve', '--port', '0')
    try {
      const url = await server.firstLine
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
      const health = await (await fetch(`${url}v4/health`)).json()
      expect(health.status).toBe('ok')
      const signIn = /one-time sign-in link\): http:\/\/127\.0\.0\.1:\d+\/login\?code=/
      await waitFor(() => signIn.test(server.output()), 'the sign-in link')
    } finally {
      server.child.kill('SIGTERM')
    }
    const code = await new Promise((r) => server.child.once('exit', r))
    expect(code).toBe(0)
  })

  it('serve answers only the names it is known by, and those --allow-host adds', async () => {
    const home = tempHome()
    const server = dwcpBackground(home, 'serve', '--port', '0', '--agent-port', '0', '--allow-host', 'console.example.test')
    try {
      const url = new URL(await server.firstLine)
      const healthAs = (host: string) =>
        new Promise<number>((resolve, reject) => {
          const req = request({ host: url.hostname, port: url.port, path: '/v4/health', headers: { host } }, (res) => {
            res.resume()
            resolve(res.statusCode ?? 0)
          })
          req.once('error', reject)
          req.end()
        })
      expect(await healthAs(url.host)).toBe(200)
      expect(await healthAs(`localhost:${url.port}`)).toBe(200)
      expect(await healthAs(`console.example.test:${url.port}`)).toBe(200)
      expect(await healthAs(`evil.example:${url.port}`)).toBe(421)
    } finally {
      server.child.kill('SIGTERM')
    }
    await new Promise((r) => server.child.once('exit', r))
  })
})
