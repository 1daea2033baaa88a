import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

/** The flags this machine's Chromium needs: no sandbox as root, and no calls home on a closed network. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

/** Debian's /usr/bin/chromium, else Playwright's own download, else a clear way to get one. */
export function chromiumPath(): string {
  const candidates = [process.env.DWCP_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', safePlaywrightPath()]
  const found = candidates.find((c): c is string => !!c && existsSync(c))
  if (!found) {
    throw new Error(
      'No Chromium for the end-to-end tests. Install one: `sudo apt-get install chromium` (Debian/Ubuntu), or `npx playwright install chromium`, or point DWCP_CHROMIUM at a Chromium binary.',
    )
  }
  return found
}

function safePlaywrightPath(): string | undefined {
  try {
    return chromium.executablePath()
  } catch {
    return undefined
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true })
}
