/**
 * The two pages the server renders itself: sign-in, and "the UI is not built". Plain HTML with no
 * script, so they work under the strict CSP before any session exists.
 */
const STYLE = `
  :root { color-scheme: light dark; --bg: #f6f7f9; --panel: #fff; --text: #1b1f24; --muted: #5b6470; --accent: #2563eb; --border: #d5dae1; --danger: #b42318; }
  @media (prefers-color-scheme: dark) { :root { --bg: #111418; --panel: #1a1f25; --text: #e6e9ee; --muted: #9aa4b1; --accent: #6ea0ff; --border: #2c333c; --danger: #ff8b80; } }
  body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: var(--bg); color: var(--text); font: 15px/1.5 system-ui, sans-serif; }
  main { width: min(440px, 92vw); background: var(--panel); border: 1px solid var(--border); border-radius: 10px; padding: 28px 32px; }
  h1 { font-size: 20px; margin: 0 0 4px; } p { color: var(--muted); margin: 0 0 18px; }
  label { display: block; font-weight: 600; margin-bottom: 6px; }
  input { width: 100%; box-sizing: border-box; padding: 9px 10px; border: 1px solid var(--border); border-radius: 6px; background: var(--bg); color: var(--text); font: 14px ui-monospace, monospace; }
  button { margin-top: 14px; padding: 9px 16px; border: 0; border-radius: 6px; background: var(--accent); color: #fff; font-weight: 600; cursor: pointer; }
  .error { color: var(--danger); margin-bottom: 14px; } code { font-family: ui-monospace, monospace; }`

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

export function loginPage(error?: string): string {
  return page(
    'Sign in — DWCP Console',
    `<h1>DWCP Console</h1><p>Open the sign-in link that <code>dwcp serve</code> printed, or paste this installation's API token (<code>dwcp token</code> prints it).</p>
    ${error ? `<div class="error" role="alert">${escapeHtml(error)}</div>` : ''}
    <form method="post" action="/login"><label for="token">API token</label><input id="token" name="token" type="password" autocomplete="off" autofocus required><button type="submit">Sign in</button></form>`,
  )
}

export function notBuiltPage(): string {
  return page('DWCP Console — not built', `<h1>The user interface is not built</h1><p>Run <code>npm run build</code> in the project folder, then reload this page.</p>`)
}
