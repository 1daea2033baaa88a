/**
 * The protocol peer's calls. Issuing a token, allowing v3 and forgetting an agent are audited here;
 * connections, enrolments and refusals are audited by the console as they happen. A token is
 * returned to the caller once and never written to the audit log.
 */
import type { protocolMethods } from '../api/contracts/protocol'
import type { HandlersFor } from '../api/dispatch'
import { agreeFeatures, decodeToJson, FEATURES, negotiate, parseHex, PROTOCOL_VERSIONS, zstdReady, type ProtocolConsole } from '../protocol'
import type { Audited } from './audited'

export function protocolHandlers({ protocol, audited }: { protocol: ProtocolConsole; audited: Audited }): HandlersFor<keyof typeof protocolMethods> {
  return {
    'protocol.features': () => ({ versions: [...PROTOCOL_VERSIONS], features: FEATURES.map((f) => ({ ...f })) }),
    'protocol.negotiate': (input) => ({ version: negotiate(input.versions, PROTOCOL_VERSIONS), features: agreeFeatures(input.features ?? FEATURES) }),
    'protocol.decode': async (input) => {
      await zstdReady
      return decodeToJson(parseHex(input.hex), input.as)
    },
    'protocol.status': () => protocol.status(),
    'protocol.token': (input, ctx) => audited(ctx, { action: 'protocol.token.issue', target: 'enrolment', details: { validMinutes: input.minutes ?? 60 } }, () => protocol.issueToken(input.minutes ?? 60), (t) => ({ expiresAt: t.expiresAt })),
    'protocol.allowV3': (input, ctx) =>
      audited(ctx, { action: 'protocol.allow-v3', target: 'console', safety: input.allow ? 'dangerous' : 'safe', details: { allow: input.allow } }, () => ({ allowV3: protocol.setAllowV3(input.allow) })),
    'protocol.forget': (input, ctx) => audited(ctx, { action: 'protocol.forget', target: input.name, safety: 'caution' }, () => protocol.forget(input.name)),
    'protocol.call': (input, ctx) =>
      audited(
        ctx,
        { action: 'protocol.call', target: input.agent, details: { module: input.builtin ?? 'upload', invoke: input.invoke ?? null } },
        async () => {
          const started = performance.now()
          const result = await protocol.callAgent(
            input.agent,
            'wasm.execute',
            { module: input.builtin ? { builtin: input.builtin } : { base64: input.moduleBase64 }, ...(input.invoke ? { invoke: input.invoke } : {}), ...(input.args ? { args: input.args } : {}), ...(input.inputText !== undefined ? { inputText: input.inputText } : {}) },
            { timeoutMs: input.timeoutMs ?? 30_000 },
          )
          return { agent: input.agent, result, roundTripMs: Math.round((performance.now() - started) * 1000) / 1000 }
        },
        (r) => ({ roundTripMs: r.roundTripMs }),
      ),
  }
}
