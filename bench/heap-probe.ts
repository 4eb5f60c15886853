/**
 * Loaded into `quietcount serve` by the soak (`node --expose-gc --import heap-probe.js`): asked
 * 'heap' over the IPC channel, it runs a full collection and answers the live heap in bytes.
 */
const collect = (globalThis as { gc?: () => void }).gc
process.on('message', (message) => {
  if (message !== 'heap') return
  collect?.()
  process.send?.({ heapUsed: process.memoryUsage().heapUsed, collected: !!collect })
})
// The channel must not keep serve running once it stops.
process.channel?.unref()
