/**
 * A token bucket per client address, in memory only: the address is a map key for a few
 * seconds and is never stored or logged. The map is bounded; when it is full the oldest
 * buckets go, which errs on the side of letting beacons in.
 */
export function rateLimiter({ perSecond = 20, burst = 200, maxClients = 50_000 } = {}) {
  const buckets = new Map<string, { tokens: number; at: number }>()
  return (address: string | undefined, now = Date.now()): boolean => {
    if (!address) return true
    const bucket = buckets.get(address) ?? { tokens: burst, at: now }
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond)
    bucket.at = now
    buckets.delete(address)
    if (buckets.size >= maxClients) buckets.delete(buckets.keys().next().value!)
    buckets.set(address, bucket)
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }
}
