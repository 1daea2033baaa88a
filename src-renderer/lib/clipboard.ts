/**
 * Copy text. The async Clipboard API needs a permission the desktop shell may refuse, so fall back to
 * the old execCommand path, which only needs the user gesture we are already inside.
 */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text)
    return
  } catch {
    /* fall through */
  }
  const previousFocus = document.activeElement as HTMLElement | null
  const scratch = document.createElement('textarea')
  scratch.value = text
  scratch.setAttribute('readonly', '')
  scratch.style.position = 'fixed'
  scratch.style.opacity = '0'
  document.body.appendChild(scratch)
  scratch.select()
  const copied = document.execCommand('copy')
  scratch.remove()
  previousFocus?.focus()
  if (!copied) throw new Error('the clipboard is not available')
}
