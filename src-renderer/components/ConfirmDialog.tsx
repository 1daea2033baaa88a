import { useEffect, useRef, type KeyboardEvent, type ReactNode } from 'react'

interface Props {
  title: string
  children: ReactNode
  confirmLabel: string
  /** Style the confirm button as destructive. */
  danger?: boolean
  /** The confirm button waits for something (a name typed, an override). */
  confirmDisabled?: boolean
  cancelLabel?: string
  /** Start in the first text field of the body instead of on the confirm button. */
  focusInput?: boolean
  testId?: string
  onConfirm(): void
  onCancel(): void
}

/**
 * A modal question on the native <dialog>: showModal() makes the page behind inert and Esc fires
 * `cancel`. Focus starts on the confirm button, so Enter confirms; Tab cycles inside the dialog.
 * Rendered only while open: mounting opens it, unmounting closes it.
 */
export function ConfirmDialog({ title, children, confirmLabel, danger, confirmDisabled, cancelLabel = 'Cancel', focusInput, testId = 'confirm-dialog', onConfirm, onCancel }: Props) {
  const dialogRef = useRef<HTMLDialogElement>(null)
  const confirmRef = useRef<HTMLButtonElement>(null)
  const returnFocusTo = useRef<Element | null>(null)

  useEffect(() => {
    const dialog = dialogRef.current
    if (!dialog) return
    returnFocusTo.current = document.activeElement
    if (!dialog.open) dialog.showModal()
    if (focusInput) dialog.querySelector<HTMLInputElement>('.dialog-body input[type="text"], .dialog-body input:not([type])')?.focus()
    return () => {
      if (dialog.open) dialog.close()
      if (returnFocusTo.current instanceof HTMLElement) returnFocusTo.current.focus()
    }
  }, [])

  // Focus starts on the confirm button, or moves there once it stops waiting (disabled) — unless the dialog asks for typing.
  useEffect(() => {
    if (!confirmDisabled && !focusInput) confirmRef.current?.focus()
  }, [confirmDisabled, focusInput])

  const keepFocusInside = (event: KeyboardEvent<HTMLDialogElement>) => {
    if (event.key !== 'Tab') return
    const focusable = dialogRef.current?.querySelectorAll<HTMLElement>('button:not([disabled]), [href], input, select, textarea')
    if (!focusable || focusable.length === 0) return
    const first = focusable[0]
    const last = focusable[focusable.length - 1]
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault()
      last.focus()
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault()
      first.focus()
    }
  }

  return (
    <dialog
      ref={dialogRef}
      className="dialog"
      aria-labelledby="confirm-title"
      data-testid={testId}
      onKeyDown={keepFocusInside}
      onCancel={(event) => {
        event.preventDefault()
        onCancel()
      }}
    >
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault()
          if (!confirmDisabled) onConfirm()
        }}
      >
        <h2 id="confirm-title" className="dialog-title">
          {title}
        </h2>
        <div className="dialog-body">{children}</div>
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onCancel} data-testid="confirm-cancel">
            {cancelLabel}
          </button>
          <button ref={confirmRef} type="submit" className={danger ? 'btn btn-danger' : 'btn btn-primary'} data-testid="confirm-ok" disabled={confirmDisabled}>
            {confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  )
}
