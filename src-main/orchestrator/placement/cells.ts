/** The map of a group of scopes: 1° cells whose devices are in bands of access RTT, and the same bands fleet-wide. */
import { bandwidthScore } from './bandwidth'
import { capacityScore } from './capacity'
import { costScore } from './cost'
import { accessRttMs, cellKey } from '../geo'
import { intelligentStanding } from './intelligent'
import { BUCKETS, bucketOf, FitBounds } from './scopes'
import type { Device } from '../types'

type RankedFigure = 'cost' | 'bandwidth' | 'capacity'

interface Ranked {
  device: Device
  score: number
}

/**
 * Lower edges of the access-RTT bands inside a cell (ms): 1 ms wide where edge links sit, so the
 * fastest link of a band is never far from a device's own.
 */
export const RTT_BANDS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 20, 24, 32, 48, 64, 96, 128]
if (RTT_BANDS.length > 32) throw new Error('a cell keeps its occupied bands in a 32-bit mask')
const rttBand = (rtt: number): number => {
  let band = 0
  while (band + 1 < RTT_BANDS.length && rtt >= RTT_BANDS[band + 1]) band++
  return band
}

const byScoreThenId = (a: Ranked, b: Ranked): number => b.score - a.score || (a.device.id < b.device.id ? -1 : a.device.id > b.device.id ? 1 : 0)

/** A device in a grid, with the live figures a walk checks first (so most devices are passed over without reading them). */
interface Standing extends Ranked {
  /** intelligentStanding of the device. */
  score: number
  rttMs: number
  /** Its RTT band in its cell. */
  band: number
  /** Where it sits in its grid's buckets (CellGrid.anywhere): which bucket, and where in it. */
  bucket: number
  slot: number
}

/**
 * The devices of one lat/lon cell, in the orders walks and scans read: in bands of access RTT, each
 * best first by the weighted score without its latency term (so a walk bounds a band by its fastest
 * link and its first device), and by price, bandwidth and capacity for budget scans. Live changes
 * move a device inside its band, or to another band.
 */
export class Cell {
  /** Devices of band b at b. */
  readonly bands: Standing[][] = RTT_BANDS.map(() => [])
  /** Bit b is set when band b has devices: a cell holds a handful of devices and walks look only at those bands. */
  occupiedBands = 0
  /** The best score without the latency term of any device here: a walk passes the cell on this alone when it cannot win. */
  bestStanding = -Infinity
  private readonly where = new Map<Device, Standing>()
  /** Devices by price and by bandwidth, kept in order as they come and go. */
  private readonly byCost: Ranked[] = []
  private readonly byBandwidth: Ranked[] = []
  /** By live capacity: sorted when a scan asks after a change. */
  private byCapacity: Ranked[] | null = null

  get size(): number {
    return this.where.size
  }

  /** Live figures of a device here changed (or it arrived): its entry, up to date. */
  put(d: Device): Standing {
    this.byCapacity = null
    const rttMs = accessRttMs(d)
    const band = rttBand(rttMs)
    const score = intelligentStanding(d)
    let entry = this.where.get(d)
    if (!entry) {
      insertSorted(this.byCost, { device: d, score: costScore(d) })
      insertSorted(this.byBandwidth, { device: d, score: bandwidthScore(d) })
      this.where.set(d, (entry = { device: d, score, rttMs, band, bucket: -1, slot: -1 }))
      this.enter(entry)
      this.rescored(-Infinity, score)
      return entry
    }
    const list = this.bands[entry.band]
    const i = list.indexOf(entry)
    const old = entry.score
    entry.score = score
    entry.rttMs = rttMs
    // Most heartbeats leave a device where it was: same band, still between its neighbours.
    const inPlace = entry.band === band && (i === 0 || byScoreThenId(list[i - 1], entry) < 0) && (i === list.length - 1 || byScoreThenId(entry, list[i + 1]) < 0)
    if (!inPlace) {
      this.leave(entry, i)
      entry.band = band
      this.enter(entry)
    }
    this.rescored(old, score)
    return entry
  }

  /** The device left: its entry, or undefined when it was not here. */
  remove(d: Device): Standing | undefined {
    const entry = this.where.get(d)
    if (!entry) return undefined
    this.leave(entry, this.bands[entry.band].indexOf(entry))
    dropFrom(this.byCost, d)
    dropFrom(this.byBandwidth, d)
    this.where.delete(d)
    this.byCapacity = null
    if (entry.score === this.bestStanding) this.updateBest()
    return entry
  }

  private enter(entry: Standing): void {
    insertSorted(this.bands[entry.band], entry)
    this.occupiedBands |= 1 << entry.band
  }

  private leave(entry: Standing, i: number): void {
    const list = this.bands[entry.band]
    list.splice(i, 1)
    if (list.length === 0) this.occupiedBands &= ~(1 << entry.band)
  }

  /** Keeps the cell's best an exact bound: raised at once, worked out again only when the best fell. */
  private rescored(old: number, score: number): void {
    if (score >= this.bestStanding) this.bestStanding = score
    else if (old === this.bestStanding) this.updateBest()
  }

  /** A band's first device is its best, so the cell's best is the best of a few firsts. */
  private updateBest(): void {
    let best = -Infinity
    for (let bits = this.occupiedBands; bits !== 0; bits &= bits - 1) best = Math.max(best, this.bands[lowestBit(bits)][0].score)
    this.bestStanding = best
  }

  /** The cell's devices best first by a figure. */
  ranked(figure: RankedFigure): Ranked[] {
    if (figure === 'cost') return this.byCost
    if (figure === 'bandwidth') return this.byBandwidth
    if (!this.byCapacity) this.byCapacity = [...this.where.keys()].map((device) => ({ device, score: capacityScore(device) })).sort(byScoreThenId)
    return this.byCapacity
  }
}

/** Insert keeping best-first order: a cell's lists are short. */
function insertSorted<T extends Ranked>(list: T[], entry: T): void {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (byScoreThenId(list[mid], entry) < 0) lo = mid + 1
    else hi = mid
  }
  list.splice(lo, 0, entry)
}

/** Take a device out of a best-first list. */
function dropFrom(list: Ranked[], d: Device): void {
  const i = list.findIndex((entry) => entry.device === d)
  if (i >= 0) list.splice(i, 1)
}

/**
 * A group's devices on the map, in 1° cells; and, for the weighted walk without users, all of them
 * in buckets by RTT band and score without the latency term. A device's entry is the same object in
 * its cell and its bucket, and knows its place in both, so a heartbeat moves it without a lookup.
 */
export class CellGrid extends FitBounds {
  readonly cells = new Map<number, Cell>()
  /** Bucket (band b, score bucket s) at b × BUCKETS + s, made when first used; unordered inside. */
  readonly anywhere: (Standing[] | undefined)[] = new Array(RTT_BANDS.length * BUCKETS)

  override add(d: Device): void {
    super.add(d)
    const key = cellKey(d.lat, d.lon)
    let cell = this.cells.get(key)
    if (!cell) this.cells.set(key, (cell = new Cell()))
    this.file(cell.put(d))
  }

  remove(d: Device): void {
    const key = cellKey(d.lat, d.lon)
    const cell = this.cells.get(key)
    const entry = cell?.remove(d)
    if (!cell || !entry) return
    if (cell.size === 0) this.cells.delete(key)
    this.unfile(entry)
  }

  /** Live figures of a device changed. */
  refresh(d: Device): void {
    const cell = this.cells.get(cellKey(d.lat, d.lon))
    if (cell) this.file(cell.put(d))
  }

  /** Into the bucket of its band and score, unless it is there already. */
  private file(entry: Standing): void {
    const bucket = entry.band * BUCKETS + bucketOf(entry.score)
    if (entry.bucket === bucket) return
    if (entry.bucket >= 0) this.unfile(entry)
    const list = (this.anywhere[bucket] ??= [])
    entry.bucket = bucket
    entry.slot = list.length
    list.push(entry)
  }

  /** Out of its bucket: the last entry takes its slot. */
  private unfile(entry: Standing): void {
    const list = this.anywhere[entry.bucket]!
    const last = list.pop()!
    if (last !== entry) {
      list[entry.slot] = last
      last.slot = entry.slot
    }
    entry.bucket = -1
    entry.slot = -1
  }
}

/** The index of the lowest set bit. */
export const lowestBit = (bits: number): number => 31 - Math.clz32(bits & -bits)
