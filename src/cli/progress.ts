/** A progress bar for a terminal (called with the share done, 0–1), or nothing when the output is not one. */
export function progressBar(stream: NodeJS.WriteStream, label: string) {
  if (!stream.isTTY) return undefined
  return (done: number) => {
    const width = 30
    const filled = Math.round(done * width)
    stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(done * 100)}%${done >= 1 ? '\n' : ''}`)
  }
}
