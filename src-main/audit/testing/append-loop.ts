// Test helper: appends to the audit log of the data folder in argv[2] forever, printing the seq of
// each entry once its append has returned (committed). The test kills it with SIGKILL.
import { Store } from '../../store'
import { AuditService } from '../index'

const store = Store.open({ home: process.argv[2] })
const audit = new AuditService(store, { product: 'append-loop' })
let i = 0
async function loop(): Promise<void> {
  for (;;) {
    const batch = Array.from({ length: 50 }, () => audit.log.append({ actor: 'system', action: 'load', target: `item-${i++}`, outcome: 'ok' }))
    const entries = await Promise.all(batch)
    process.stdout.write(entries.map((e) => e.seq).join('\n') + '\n')
  }
}
void loop()
