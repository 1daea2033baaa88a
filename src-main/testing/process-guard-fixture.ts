/**
 * For process-guard.test.ts: a long-running process with the guard installed, as a shell installs
 * it, that meets what argv[2] names: `rejection` (then keeps serving) or `exception` (then stops).
 */
import { createLogger } from '../log'
import { installProcessGuard } from '../process-guard'

const home = process.env.DWCP_HOME!
const log = createLogger(home, 'fixture')
const server = setInterval(() => {}, 1000)
installProcessGuard({
  name: 'fixture serve',
  home,
  logger: () => log,
  close: async () => {
    clearInterval(server)
    process.stdout.write('closed\n')
  },
})

const secret = 'dwcp-enrol-SECRETSECRETSECRETSECRET'
if (process.argv[2] === 'rejection') {
  void Promise.reject(new Error(`a request failed with token ${secret}`))
  setTimeout(() => {
    process.stdout.write('still serving\n')
    clearInterval(server)
  }, 200)
} else {
  setTimeout(() => {
    throw new Error(`a bug with ${secret} in its message\nand a second line`)
  }, 50)
}
