/** 1234567 → "1.2 MB". Decimal units, as file managers show them. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`
  const units = ['kB', 'MB', 'GB', 'TB']
  let value = bytes / 1000
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

/** An ISO timestamp in the reader's locale; the raw text when it is not a date. */
export function formatDate(iso: string): string {
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? iso : dateFormat.format(date)
}

/** Shorten a long path in the middle, where it is least informative: "/home/ann/…/dwcp/data". */
export function truncateMiddle(text: string, max = 44): string {
  if (text.length <= max) return text
  const head = Math.ceil((max - 1) * 0.35)
  const tail = max - 1 - head
  return `${text.slice(0, head)}…${text.slice(text.length - tail)}`
}

/** The last part of a path: "/usr/bin/bash" → "bash". */
export function baseName(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).pop() ?? path
}

const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' })

/** How long ago, coarsely: "now", "5 min. ago", "3 hr. ago", "2 days ago". */
export function formatRelative(iso: string, now = Date.now()): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000)
  if (Number.isNaN(seconds)) return iso
  const abs = Math.abs(seconds)
  if (abs < 45) return relativeFormat.format(0, 'second')
  if (abs < 45 * 60) return relativeFormat.format(Math.round(seconds / 60), 'minute')
  if (abs < 22 * 3600) return relativeFormat.format(Math.round(seconds / 3600), 'hour')
  return relativeFormat.format(Math.round(seconds / 86400), 'day')
}

const timeOfDay = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })
const dayAndTime = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' })
const fullDate = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })

/** A timestamp as short as it can be for a table cell: the time today, the day this year, else the date. */
export function formatCompactTime(iso: string, now = new Date()): string {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  if (date.toDateString() === now.toDateString()) return timeOfDay.format(date)
  if (date.getFullYear() === now.getFullYear()) return dayAndTime.format(date)
  return fullDate.format(date)
}
