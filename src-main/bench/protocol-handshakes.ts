/**
 * Child process of the protocol bench: an agent on its own CPU connecting N times to the console in
 * the parent (the first with a token, then by its enrolled key), printing each handshake time as JSON.
 * A separate process, because in production each side's ML-DSA work runs on its own machine. From
 * the second connection on, the agent's hello is the one it prepared while idle, and the handshake is
 * resumed (the console proves itself with its ML-KEM key instead of signing). Full handshakes (the
 * console signs, as at enrolment or after it changed its KEM key) are timed separately.
 */
import { connectToConsole, createClientHello, EdgeAgent, FEATURES, PROTOCOL_VERSIONS } from '../protocol'

const [port, token, count, home] = process.argv.slice(2)
const times: number[] = []
const agent = new EdgeAgent({ host: '127.0.0.1', port: Number(port), name: 'bench-handshake', token: token!, home: home!, capabilities: { region: 'bench', cpu: 1, memoryMb: 512 }, onRequest: () => null, state: () => ({}) })
for (let i = 0; i < Number(count); i++) {
  const r = await agent.connect()
  times.push(r.handshakeMs)
  r.link.close('bench: next connection')
  await new Promise((resolve) => setTimeout(resolve, 30))
}
const fullTimes: number[] = []
for (let i = 0; i < 40; i++) {
  const hello = createClientHello({ identity: agent.identity, name: 'bench-handshake', versions: PROTOCOL_VERSIONS, features: FEATURES })
  const r = await connectToConsole({ host: '127.0.0.1', port: Number(port), identity: agent.identity, name: 'bench-handshake', versions: PROTOCOL_VERSIONS, capabilities: {}, hello, consoleFingerprint: agent.lastResult!.consoleFingerprint! })
  if (r.auth !== 'signature') throw new Error('expected a full handshake')
  fullTimes.push(r.handshakeMs)
  r.link.close('bench: next connection')
  await new Promise((resolve) => setTimeout(resolve, 30))
}
const prepareMs: number[] = []
const identity = new EdgeAgent({ host: '127.0.0.1', port: 1, name: 'x', home: home!, capabilities: {}, onRequest: () => null, state: () => ({}) }).identity
for (let i = 0; i < 20; i++) {
  const start = performance.now()
  createClientHello({ identity, name: 'bench-handshake', versions: ['4.0.0', '3.0.0'], features: FEATURES })
  prepareMs.push(performance.now() - start)
}
process.stdout.write(JSON.stringify({ times, fullTimes, prepareMs }) + '\n')
process.exit(0)
