/** The walks that find the k best devices without looking at all of them: around users, within a budget, and fleet-wide. */
import type { Cell, CellGrid } from './cells'
import { lowestBit, RTT_BANDS } from './cells'
import { breaks, type Scan } from './fit'
import { accessRttMs, CELL_DEG, cellLowerBoundKm, geoLatencyMs, KM_PER_RTT_MS } from '../geo'
import { INTELLIGENT_WEIGHTS } from './intelligent'
import { latencyScore } from './latency'
import { rank, TopK, type Candidate } from './ranking'
import { BUCKETS, bucketOf, type Scope } from './scopes'
import type { GeoPoint } from '../types'

/** An occupied cell, and how near the users its nearest point can be. */
export interface CellDistance {
  key: number
  /** No device of the cell is nearer the users than this (ms of distance). */
  geoMs: number
}

/** How far users can be from the centre of their 1° cell (half its diagonal at the equator, the widest). */
const HALF_CELL_DIAGONAL_KM = 79

/**
 * Cells by a distance bound from anywhere in the users' cell, nearest first. The bound is taken
 * from the cell's centre less half its diagonal, so it holds for every origin in it and the order
 * can be kept for the next request from there. Links' RTT is not part of it (that moves with
 * heartbeats); the walks check it.
 */
export function cellDistances(originCell: number, keys: Iterable<number>): CellDistance[] {
  const centre = cellCentre(originCell)
  const order: CellDistance[] = []
  for (const key of keys) order.push({ key, geoMs: Math.max(0, cellLowerBoundKm(centre, key) - HALF_CELL_DIAGONAL_KM) / KM_PER_RTT_MS })
  return order.sort((a, b) => a.geoMs - b.geoMs || a.key - b.key)
}

function cellCentre(key: number): { lat: number; lon: number } {
  const cols = 360 / CELL_DEG
  return { lat: Math.floor(key / cols) * CELL_DEG - 90 + CELL_DEG / 2, lon: (key % cols) * CELL_DEG - 180 + CELL_DEG / 2 }
}

/** A cell within a budget, and how near the users its nearest point can be. */
interface CellNear {
  cell: Cell
  geoMs: number
}

/**
 * The groups' cells within a budget, nearest first, when looking at them beats walking the scopes'
 * rankings (null otherwise). A walk finds a device within reach about once per (scopes ÷ within
 * reach) visits, and needs k of them; the cells cost one look each plus the devices placed. Once
 * the cells cost more they always will (more cells only add to it), so counting stops there.
 */
export function cellsWithinReach(grids: CellGrid[], order: CellDistance[], budget: number, k: number, scopes: Scope[]): CellNear[] | null {
  let ranked = 0
  for (const scope of scopes) ranked += scope.devices.size
  const walk = (k + 1) * ranked
  const near: CellNear[] = []
  let within = 0
  let looks = k
  for (const { key, geoMs } of order) {
    if (geoMs > budget) break
    for (const grid of grids) {
      looks++
      const cell = grid.cells.get(key)
      if (!cell) continue
      within += cell.size
      near.push({ cell, geoMs })
    }
    if (looks * Math.max(1, within) >= walk) return null
  }
  return near
}

/**
 * The best devices within the budget for a strategy whose score does not depend on distance
 * (capacity, bandwidth, cost), into `top`. Inside a cell devices come best first, so the rest of a
 * cell is skipped as soon as its best remaining device cannot beat the k-th found, and the
 * distance (a haversine) is worked out only for a device that still could.
 */
export function bestInCells(near: CellNear[], top: TopK, scan: Scan, origin: GeoPoint, budget: number, figure: 'capacity' | 'bandwidth' | 'cost', counted: () => void): void {
  for (const { cell, geoMs } of near) {
    // The figure is the score itself, ties in id order: the first that cannot win ends the cell.
    const list = cell.ranked(figure)
    for (let i = 0; i < list.length; i++) {
      const { device, score } = list[i]
      if (!top.admits(score, device)) break
      counted()
      const rtt = accessRttMs(device)
      if (geoMs + rtt > budget || breaks(device, scan, 0) !== null) continue
      const est = geoLatencyMs(origin, device) + rtt
      if (est <= budget) top.offer({ device, estimatedMs: est, score })
    }
  }
}

/**
 * The k best devices for the weighted score around users, exactly. Each grid's cells come nearest
 * first (within the budget, if any). Inside a cell, a band's devices come by their score without
 * the latency term, and a band is left as soon as its next device, at the cell's nearest point with
 * the fastest RTT of the band, cannot beat the k-th found; a grid is left as soon as its best
 * device could not at the next cell's distance. The latency term falls with distance, so the walk
 * stays near the users however large the fleet.
 */
export function bestIntelligentAround(grids: CellGrid[], order: CellDistance[], scan: Scan, origin: GeoPoint, k: number, counted: () => void): Candidate[] {
  const top = new TopK(k)
  const budget = scan.req.maxLatencyMs ?? Infinity
  const W = INTELLIGENT_WEIGHTS
  let worst = -Infinity
  for (const grid of grids) {
    for (const { key, geoMs } of order) {
      if (geoMs > budget || grid.maxIntelligentStatic + W.capacity + W.latency * latencyScore(geoMs) < worst) break
      const cell = grid.cells.get(key)
      if (!cell) continue
      // Bands fastest first: once a band's fastest link cannot win, slower ones cannot either.
      for (let bits = cell.occupiedBands; bits !== 0; bits &= bits - 1) {
        const band = lowestBit(bits)
        if (geoMs + RTT_BANDS[band] > budget) break
        const fastest = W.latency * latencyScore(geoMs + RTT_BANDS[band])
        if (cell.bestStanding + fastest < worst) break
        for (const { device, score, rttMs } of cell.bands[band]) {
          if (score + fastest < worst) break
          counted()
          if (geoMs + rttMs > budget || score + W.latency * latencyScore(geoMs + rttMs) < worst) continue
          if (breaks(device, scan, 0) !== null) continue
          const est = geoLatencyMs(origin, device) + rttMs
          if (est > budget) continue
          top.consider(device, est, rank(device, est, 'intelligent'))
          worst = top.bar
        }
      }
    }
  }
  return top.items
}

/**
 * The k best devices for the weighted score without users (the latency term is the access RTT's),
 * exactly. Each grid's bands come fastest first, each band's devices by buckets of their score
 * without the latency term; a band is left as soon as its next bucket, with the band's fastest
 * RTT, cannot beat the k-th found, and a grid as soon as its next band could not.
 */
export function bestIntelligentAnywhere(grids: CellGrid[], scan: Scan, k: number, counted: () => void): Candidate[] {
  const top = new TopK(k)
  const budget = scan.req.maxLatencyMs ?? Infinity
  const W = INTELLIGENT_WEIGHTS
  let worst = -Infinity
  for (const grid of grids) {
    const first = bucketOf(grid.maxIntelligentStatic + W.capacity)
    for (let band = 0; band < RTT_BANDS.length; band++) {
      if (RTT_BANDS[band] > budget) break
      const fastest = W.latency * latencyScore(RTT_BANDS[band])
      if (grid.maxIntelligentStatic + W.capacity + fastest < worst) break
      for (let bucket = first; bucket < BUCKETS; bucket++) {
        // The best score a bucket can hold, with the band's fastest link.
        if (1 - bucket / BUCKETS + fastest < worst) break
        const list = grid.anywhere[band * BUCKETS + bucket]
        if (list === undefined) continue
        for (const { device, score, rttMs } of list) {
          if (score + fastest < worst) continue
          counted()
          if (rttMs > budget || score + W.latency * latencyScore(rttMs) < worst || breaks(device, scan, 0) !== null) continue
          top.consider(device, rttMs, rank(device, rttMs, 'intelligent'))
          worst = top.bar
        }
      }
    }
  }
  return top.items
}

/**
 * The k nearest devices to users, exactly: each scope's cells nearest first (within the budget, if
 * any), inside a cell the fastest links first; a scope is left when its next cell is farther than
 * the k-th found.
 */
export function bestLatencyAround(grids: CellGrid[], order: CellDistance[], scan: Scan, origin: GeoPoint, k: number, counted: () => void): Candidate[] {
  const top = new TopK(k)
  const budget = scan.req.maxLatencyMs ?? Infinity
  let worst = -Infinity
  for (const grid of grids) {
    for (const { key, geoMs } of order) {
      if (geoMs > budget || latencyScore(geoMs) < worst) break
      const cell = grid.cells.get(key)
      if (!cell) continue
      for (let bits = cell.occupiedBands; bits !== 0; bits &= bits - 1) {
        const band = lowestBit(bits)
        if (geoMs + RTT_BANDS[band] > budget || latencyScore(geoMs + RTT_BANDS[band]) < worst) break
        for (const { device, rttMs } of cell.bands[band]) {
          counted()
          if (geoMs + rttMs > budget || latencyScore(geoMs + rttMs) < worst || breaks(device, scan, 0) !== null) continue
          const est = geoLatencyMs(origin, device) + rttMs
          if (est > budget) continue
          top.consider(device, est, latencyScore(est))
          worst = top.bar
        }
      }
    }
  }
  return top.items
}
