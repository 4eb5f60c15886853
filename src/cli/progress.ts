/**
 * Progress of a long command, called with the share done (0–1): a bar redrawn in place on a
 * terminal; elsewhere (a log file, CI) a plain line at each tenth, so a log shows it is moving
 * without a line per step.
 */
export function progressBar(stream: NodeJS.WriteStream, label: string): (done: number) => void {
  if (!stream.isTTY) {
    let shown = -1
    return (done) => {
      const tenth = Math.floor(done * 10)
      if (tenth <= shown) return
      shown = tenth
      stream.write(`${label}: ${tenth * 10}%\n`)
    }
  }
  return (done: number) => {
    const width = 30
    const filled = Math.round(done * width)
    stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(done * 100)}%${done >= 1 ? '\n' : ''}`)
  }
}
