/**
 * Scrolling through more rows than a browser can lay out.
 *
 * A million 32-pixel rows is 32 million pixels. Browsers cap an element's height (Chromium near 33.5
 * million, Firefox near 17.9 million), and long before that Chromium places layers with 32-bit floats:
 * past 2^24 device pixels rows visibly jitter by a pixel or two and scrollIntoView lands elsewhere.
 * So the table scrolls a "virtual" list: the real scroll area is at most MAX_REAL_HEIGHT, a real offset
 * maps to a virtual one by a ratio (1 for logs up to a quarter of a million entries), the wheel moves
 * virtual pixels so it keeps its natural speed, and the virtualizer sees only virtual coordinates,
 * through a small stand-in for the scroll element.
 */
import type { Virtualizer } from '@tanstack/react-virtual'

/** 2^23 CSS pixels, exact in a 32-bit float even at a device pixel ratio of 2. */
export const MAX_REAL_HEIGHT = 8_000_000

/**
 * A stand-in for the real scroll element, in virtual pixels. It has exactly what the virtualizer
 * reads and calls (scroll offsets and sizes, scrollTo, scroll events, the document).
 */
export class ScaledScroll {
  private height = 0
  /**
   * The last virtual offset written, with the real offset it became. A real offset is whole pixels, so
   * re-deriving the virtual one from it would lose up to `ratio` pixels a step; while the element is
   * where the write left it, the exact value stands.
   */
  private written: { real: number; virtual: number } | null = null

  constructor(readonly element: HTMLElement) {}

  /** The virtual offset just before the height last changed: where the user was, for keeping them there. */
  offsetBeforeResize = 0

  /** Virtual height of the whole list. */
  get virtualHeight(): number {
    return this.height
  }

  set virtualHeight(height: number) {
    if (height === this.height) return
    this.offsetBeforeResize = this.scrollTop
    this.written = null
    this.height = height
  }

  /** Height of the real spacer inside the scroll element. */
  get realHeight(): number {
    return realHeightOf(this.height)
  }

  /** Virtual pixels per real pixel, chosen so both ends of the real scroll meet both ends of the list. */
  get ratio(): number {
    const view = this.element.clientHeight
    const real = this.realHeight
    if (this.virtualHeight <= real || real <= view) return 1
    return (this.virtualHeight - view) / (real - view)
  }

  get scrollTop(): number {
    const real = this.element.scrollTop
    if (this.written && Math.abs(real - this.written.real) < 1) return this.written.virtual
    return real * this.ratio
  }

  set scrollTop(top: number) {
    const virtual = Math.max(0, Math.min(top, this.height - this.element.clientHeight))
    this.element.scrollTop = virtual / this.ratio
    this.written = this.ratio === 1 ? null : { real: this.element.scrollTop, virtual }
  }

  get scrollLeft(): number {
    return this.element.scrollLeft
  }

  get scrollHeight(): number {
    return this.virtualHeight
  }

  get scrollWidth(): number {
    return this.element.scrollWidth
  }

  get clientHeight(): number {
    return this.element.clientHeight
  }

  get clientWidth(): number {
    return this.element.clientWidth
  }

  get ownerDocument(): Document {
    return this.element.ownerDocument
  }

  scrollTo(options: ScrollToOptions): void {
    if (options.top === undefined) this.element.scrollTo(options)
    else this.scrollTop = options.top
  }

  /**
   * Where a row at virtual offset `start` sits inside the real spacer. Rows are laid out near the
   * viewport, never at tens of millions of pixels, so their positions stay exact.
   */
  realTop(start: number): number {
    return this.element.scrollTop + (start - this.scrollTop)
  }

  /**
   * Past the cap, a wheel turn moves the list by its own delta in virtual pixels: a real pixel is
   * `ratio` rows' worth of pixels there, and a native scroll would race through the log.
   */
  wheel(event: WheelEvent): void {
    if (this.ratio === 1 || event.ctrlKey || event.deltaY === 0) return
    event.preventDefault()
    const unit = event.deltaMode === WheelEvent.DOM_DELTA_LINE ? 32 : event.deltaMode === WheelEvent.DOM_DELTA_PAGE ? this.element.clientHeight : 1
    this.scrollTop = this.scrollTop + event.deltaY * unit
  }

  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: AddEventListenerOptions | boolean): void {
    this.element.addEventListener(type, listener, options)
  }

  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: EventListenerOptions | boolean): void {
    this.element.removeEventListener(type, listener, options)
  }
}

/** The real spacer's height for a list this tall. */
export function realHeightOf(virtualHeight: number): number {
  return Math.min(virtualHeight, MAX_REAL_HEIGHT)
}

/** The virtualizer measures the viewport with a ResizeObserver, which needs the real element. */
export function observeScaledRect(instance: Virtualizer<HTMLElement, HTMLDivElement>, cb: (rect: { width: number; height: number }) => void): () => void {
  const element = (instance.scrollElement as unknown as ScaledScroll | null)?.element
  if (!element) return () => {}
  const report = () => cb({ width: element.clientWidth, height: element.clientHeight })
  report()
  const observer = new ResizeObserver(report)
  observer.observe(element)
  return () => observer.disconnect()
}
