/**
 * The intent engine's calls. A parse changes nothing but is recorded (what was asked and how it was
 * understood belongs in the record an operator reviews); an execution runs each step as a contract
 * call made by the same client, so every step is validated and audited by its own handler too, under
 * the intent's id. API keys never pass through here.
 */
import type { ParsedInput } from '../api/contract'
import type { intentMethods } from '../api/contracts/intent'
import type { CallContext, Dispatch, HandlersFor } from '../api/dispatch'
import type { IntentEngine } from '../intent'

export function intentHandlers({ engine, dispatch }: { engine: IntentEngine; dispatch: () => Dispatch }): HandlersFor<keyof typeof intentMethods> {
  const parse = ({ text, offline, context, requestId }: ParsedInput<'intent.parse'>, ctx: CallContext) =>
    engine.parse({ text, offline, context, onPartial: requestId ? (snapshot) => ctx.emit('intent:partial', { requestId, snapshot }) : undefined })
  return {
    'intent.parse': parse,
    'intent.execute': async ({ intentId, text, offline, context, ...rest }, ctx) => {
      const intent = text !== undefined ? await parse({ text, offline, context }, ctx) : undefined
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
