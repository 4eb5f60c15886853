import { readFileSync } from 'node:fs'

/**
 * Node flags that make a child process write its peak resident memory, as the kernel counts it
 * (getrusage's ru_maxrss, through process.resourceUsage()), to `file` when it exits, however it
 * exits; peakMiB(file) reads it back. A heap limit alone would say what V8 may hold, not what
 * the process took.
 */
export const peakMemoryFlags = (file: string) => [
  '--import',
  `data:text/javascript,import{writeFileSync}from'node:fs';process.on('exit',()=>writeFileSync(${JSON.stringify(file)},String(process.resourceUsage().maxRSS)))`,
]

/** The peak written by a child started with peakMemoryFlags(file), in MiB. */
export const peakMiB = (file: string) => Number(readFileSync(file, 'utf8')) / 1024
