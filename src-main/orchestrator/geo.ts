import type { Device, GeoPoint } from './types'

const EARTH_RADIUS_KM = 6371
const RAD = Math.PI / 180

/** Great-circle distance. */
export function haversineKm(a: GeoPoint, b: GeoPoint): number {
  const dLat = (b.lat - a.lat) * RAD
  const dLon = (b.lon - a.lon) * RAD
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(s)))
}

/**
 * Round trip added by distance: light in fiber covers ~200 km per ms one way, and real routes are
 * longer than the great circle, so one millisecond of round trip per 100 km is the usual rule.
 */
export const KM_PER_RTT_MS = 100
/** A device nobody measured yet is assumed to sit on a good access network. */
export const DEFAULT_ACCESS_RTT_MS = 2

export function geoLatencyMs(origin: GeoPoint | undefined, device: GeoPoint): number {
  return origin ? haversineKm(origin, device) / KM_PER_RTT_MS : 0
}

export function accessRttMs(device: Pick<Device, 'rttMs'>): number {
  return device.rttMs ?? DEFAULT_ACCESS_RTT_MS
}

/** Cells of the latency index: 1° squares (about 111 km north–south). */
export const CELL_DEG = 1

export function cellKey(lat: number, lon: number, deg = CELL_DEG): number {
  const rows = 180 / deg
  const cols = 360 / deg
  const row = Math.min(rows - 1, Math.max(0, Math.floor((lat + 90) / deg)))
  const col = Math.min(cols - 1, Math.max(0, Math.floor(((((lon + 180) % 360) + 360) % 360) / deg)))
  return row * cols + col
}

/**
 * A distance no point of the cell can be closer than. The point of the cell nearest in lat/lon is
 * not quite the nearest on the sphere, so the figure is shrunk by 10% to stay a true lower bound.
 */
export function cellLowerBoundKm(origin: GeoPoint, key: number, deg = CELL_DEG): number {
  const cols = 360 / deg
  const row = Math.floor(key / cols)
  const col = key % cols
  const latMin = row * deg - 90
  const lonMin = col * deg - 180
  const lat = Math.min(latMin + deg, Math.max(latMin, origin.lat))
  let lon = origin.lon
  if (lon < lonMin || lon > lonMin + deg) {
    const toMin = angularGap(lon, lonMin)
    const toMax = angularGap(lon, lonMin + deg)
    lon = toMin <= toMax ? lonMin : lonMin + deg
  }
  if (lat === origin.lat && lon === origin.lon) return 0
  return Math.max(0, haversineKm(origin, { lat, lon }) * 0.9 - 1)
}

function angularGap(a: number, b: number): number {
  const d = Math.abs(a - b) % 360
  return d > 180 ? 360 - d : d
}
