import { createCipheriv, createHmac } from 'node:crypto'

/**
 * Noise for public views (share links): discrete Laplace noise, drawn with integer arithmetic
 * only, from a keyed cryptographic stream, so that one cell always gets the same noise.
 *
 * - The sampler is Canonne, Kamath and Steinke's (NeurIPS 2020, "The Discrete Gaussian for
 *   Differential Privacy", Algorithms 1 and 2): exact, with rational parameters and uniform
 *   integers, never floating point. Textbook Laplace noise in floating point leaks through the
 *   low bits of its result (Mironov, CCS 2012).
 * - Its uniform integers come from a keyed stream: AES-256 in counter mode, under a key that
 *   HMAC-SHA256 derives from the link's secret seed and the name of a series of cells (one value
 *   of one counter), at a place given by the day. A cell's noise depends on nothing but the seed,
 *   the series and the day, so asking again, or asking an equivalent question, gives the same
 *   draw and never averages the noise away. One key and one cipher call serve a series' days at
 *   once, where a hash per cell cost ten times more.
 */

/** A discrete Laplace distribution with P(x) ∝ exp(-|x|·s/t): scale t/s, as two whole numbers. */
export interface Scale {
  s: number
  t: number
}

/** Uniform whole numbers in [0, n), for n from 1 to 2^32. */
export type Uniform = (n: number) => number

const TWO_32 = 2 ** 32
/** Words of the stream each day has; a draw takes about ten, and the rare one that needs more goes on with HMAC blocks. */
export const WORDS_PER_DAY = 32
const BLOCKS_PER_DAY = (WORDS_PER_DAY * 4) / 16

/** A uniform source over 32-bit words: rejection sampling, so that `word % n` has no bias. */
function uniformOf(word: () => number): Uniform {
  return (n) => {
    const limit = TWO_32 - (TWO_32 % n)
    for (;;) {
      const w = word()
      if (w < limit) return w % n
    }
  }
}

/** The key of a series of cells: HMAC-SHA256(seed, series). */
export const seriesKey = (seed: Buffer, series: string) => createHmac('sha256', seed).update(series).digest()

/**
 * The uniform sources of the days [from, to) of a series: each day reads its own WORDS_PER_DAY
 * words of AES-256-CTR(key) at block day·BLOCKS_PER_DAY, then HMAC(key, day ‖ n) blocks, so a
 * day's draw is the same whichever days are asked with it.
 */
export function dayUniforms(key: Buffer, from: number, to: number): (day: number) => Uniform {
  const iv = Buffer.alloc(16)
  // Days since 1970 fit in 32 bits; the block index, a little more, in the counter's low 8 bytes.
  iv.writeBigUInt64BE(BigInt(from) * BigInt(BLOCKS_PER_DAY), 8)
  const stream = createCipheriv('aes-256-ctr', key, iv).update(Buffer.alloc((to - from) * WORDS_PER_DAY * 4))
  const words = new Uint32Array(stream.buffer, stream.byteOffset, (to - from) * WORDS_PER_DAY)
  return (day) => {
    let next = (day - from) * WORDS_PER_DAY
    const end = next + WORDS_PER_DAY
    let extra = new Uint32Array(0)
    let block = 0
    let used = 8
    return uniformOf(() => {
      if (next < end) return words[next++]!
      if (used === 8) {
        const digest = createHmac('sha256', key).update(`${day} ${block++}`).digest()
        extra = new Uint32Array(digest.buffer, digest.byteOffset, 8)
        used = 0
      }
      return extra[used++]!
    })
  }
}

/** A uniform source from a keyed hash alone (HMAC-SHA256(seed, name ‖ block)), for tests of the sampler. */
export function keyedUniform(seed: Buffer, name: string): Uniform {
  let block = 0
  let words = new Uint32Array(0)
  let used = 8
  return uniformOf(() => {
    if (used === 8) {
      const digest = createHmac('sha256', seed).update(`${name} ${block++}`).digest()
      words = new Uint32Array(digest.buffer, digest.byteOffset, 8)
      used = 0
    }
    return words[used++]!
  })
}

/** Bernoulli(n/d) for whole numbers 0 ≤ n ≤ d. */
const bernoulli = (uniform: Uniform, n: number, d: number) => uniform(d) < n

/** Bernoulli(exp(-n/d)) for whole numbers n ≥ 0, d ≥ 1 (CKS Algorithm 1). */
export function bernoulliExp(uniform: Uniform, n: number, d: number): boolean {
  if (n <= d) {
    let k = 1
    while (bernoulli(uniform, n, d * k)) k++
    return k % 2 === 1
  }
  for (let i = Math.floor(n / d); i > 0; i--) if (!bernoulliExp(uniform, 1, 1)) return false
  return bernoulliExp(uniform, n % d, d)
}

/** A draw of the discrete Laplace distribution of scale t/s (CKS Algorithm 2). */
export function discreteLaplace(uniform: Uniform, { s, t }: Scale): number {
  for (;;) {
    const u = uniform(t)
    if (!bernoulliExp(uniform, u, t)) continue
    let v = 0
    while (bernoulliExp(uniform, 1, 1)) v++
    const y = Math.floor((u + t * v) / s)
    const negative = bernoulli(uniform, 1, 2)
    if (negative && y === 0) continue
    return negative ? -y : y
  }
}

/** exp(-s/t): the ratio of successive probabilities of the distribution. */
const ratio = ({ s, t }: Scale) => Math.exp(-s / t)

/** The variance of one draw: 2p / (1 - p)². */
export function variance(scale: Scale): number {
  const p = ratio(scale)
  return (2 * p) / (1 - p) ** 2
}

/**
 * A bound on P(N₁ + … + N_days ≥ a) for independent draws (exact for one): Chernoff's, the infimum over λ of
 * exp(days·ln M(λ) − λa), where M is the distribution's moment generating function,
 * M(λ) = (1 − p)² / ((1 − p·e^λ)(1 − p·e^−λ)) for 0 < λ < −ln p. The exponent is convex in λ,
 * so a ternary search finds its minimum. Floating point is fine here: this is a bound used to
 * set a threshold, not a draw.
 */
export function tailBound(scale: Scale, days: number, a: number): number {
  const p = ratio(scale)
  // One draw's tail is known exactly: P(N ≥ a) = p^a / (1 + p) for a ≥ 1.
  if (days === 1 && a >= 1) return p ** a / (1 + p)
  const top = -Math.log(p)
  const exponent = (l: number) => days * (2 * Math.log(1 - p) - Math.log(1 - p * Math.exp(l)) - Math.log(1 - p * Math.exp(-l))) - l * a
  let lo = 0
  let hi = top * (1 - 1e-9)
  for (let i = 0; i < 200; i++) {
    const m1 = lo + (hi - lo) / 3
    const m2 = hi - (hi - lo) / 3
    if (exponent(m1) < exponent(m2)) hi = m2
    else lo = m1
  }
  return Math.min(1, Math.exp(exponent((lo + hi) / 2)))
}

/** The least whole a ≥ 0 with P(N₁ + … + N_days ≥ a) ≤ delta, by tailBound. */
export function tailQuantile(scale: Scale, days: number, delta: number): number {
  let lo = 0
  let hi = 1
  while (tailBound(scale, days, hi) > delta) hi *= 2
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2)
    if (tailBound(scale, days, mid) > delta) lo = mid + 1
    else hi = mid
  }
  return lo
}
