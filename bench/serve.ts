import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'

/** The built `quietcount serve`, started as a user starts it: resolves with its URL once it listens. */
export async function startServe(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv /** Node's own flags, before the script. */; execArgv?: string[] /** An IPC channel to the child. */; ipc?: boolean },
): Promise<{ url: string; server: ChildProcess; stop(): Promise<void> }> {
  const { execArgv = [], ipc = false, ...spawnOptions } = options
  const server = spawn(process.execPath, [...execArgv, join(process.cwd(), 'dist/node/cli/main.js'), 'serve', '--port', '0', ...args], {
    ...spawnOptions,
    stdio: ipc ? ['pipe', 'pipe', 'pipe', 'ipc'] : 'pipe',
  })
  const url = await new Promise<string>((resolve, reject) => {
    let output = ''
    server.stdout!.on('data', (chunk: Buffer) => {
      output += chunk
      const match = /collector on (http:\/\/\S+)/.exec(output)
      if (match) resolve(match[1]!)
    })
    server.stderr!.on('data', (chunk: Buffer) => (output += chunk))
    server.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${output}`)))
  })
  return {
    url,
    server,
    /** SIGTERM, which commits what waits, and the exit. */
    async stop() {
      if (server.exitCode !== null) return
      const exited = new Promise((resolve) => server.once('exit', resolve))
      server.kill('SIGTERM')
      await exited
    },
  }
}
