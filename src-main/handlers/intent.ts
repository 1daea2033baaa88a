/**
 * The intent engine's calls. A parse changes nothing but is recorded (what was asked and how it was
 * understood belongs in the record an operator reviews); an execution runs each step as a contract
 * call made by the same client, so every step is validated and audited by its own handler too, under
 * the intent's id. API keys never pass through here.
 */
import type { intentMethods } from '../api/contracts/intent'
import type { CallContext, Dispatch, HandlersFor } from '../api/dispatch'
import type { IntentEngine, ParsedIntent } from '../intent'

export function intentHandlers({ engine, dispatch }: { engine: IntentEngine; dispatch: () => Dispatch }): HandlersFor<keyof typeof intentMethods> {
  const parse = (text: string, offline: boolean | undefined, context: { lastTarget?: string } | undefined, ctx: CallContext, requestId?: string): Promise<ParsedIntent> =>
    engine.parse({
      text,
      ...(offline ? { offline } : {}),
      ...(context ? { context } : {}),
      ...(requestId ? { onPartial: (snapshot: string) => ctx.emit('intent:partial', { requestId, snapshot }) } : {}),
    })
  return {
    'intent.parse': ({ text, offline, context, requestId }, ctx) => parse(text, offline, context, ctx, requestId),
    'intent.execute': async ({ intentId, text, offline, context, ...rest }, ctx) => {
      const intent = text !== undefined ? await parse(text, offline, context, ctx) : undefined
      const id = intent?.id ?? intentId!
      const stepContext: CallContext = { ...ctx, intentId: id }
      const report = await engine.execute(
        { intentId: id, ...rest },
        {
          call: (method, input) => dispatch()(method, input, stepContext),
          progress: (p) => ctx.emit('intent:progress', p),
        },
      )
      return intent ? { ...report, intent } : report
    },
  }
}
