/** The cost strategy: the device's price per hour. */
import type { Device } from '../types'

export const costScore = (d: Device): number => 1 / (1 + Math.max(0, d.costPerHour))

export const costReason = (d: Device): string => `cheapest ($${d.costPerHour.toFixed(2)}/h)`
