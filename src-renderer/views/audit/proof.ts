/**
 * Check an inclusion proof in this window with WebCrypto, independently of the host (RFC 9162
 * §2.1.3.2), so what the detail panel says "verified" is verified here.
 */
const decode = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const input = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    input.set(p, at)
    at += p.length
  }
  return new Uint8Array(await crypto.subtle.digest("SHA-256", input)) as Uint8Array
}

const NODE = new Uint8Array([1])

export async function checkInclusion(seq: number, treeSize: number, leafHashB64: string, path: string[], rootB64: string): Promise<boolean> {
  if (!crypto?.subtle) return false
  let fn = seq
  let sn = treeSize - 1
  let r: Uint8Array = decode(leafHashB64)
  for (const p of path.map(decode)) {
    if (sn === 0) return false
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(NODE, p, r)
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2)
        sn = Math.floor(sn / 2)
      }
    } else {
      r = await sha256(NODE, r, p)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  const root = decode(rootB64)
  return sn === 0 && r.length === root.length && r.every((b, i) => b === root[i])
}
