import { type ChildAnswer, type ChildJob, importInto, writePlausibleYear } from './import.js'

/**
 * A step of the import bench in a process of its own (import.ts forks this file): its job comes as
 * the one IPC message, its answer goes back the same way, and the process exits, so that the RSS it
 * measures is the step's alone.
 */
process.once('message', async (message) => {
  const job = message as ChildJob
  let answer: ChildAnswer
  try {
    answer = {
      ok: true,
      result: job.command === 'generate' ? await writePlausibleYear(job.dir, job.perMonth, job.days) : await importInto(job.kind, job.url, job.generated, job.runs, job.target),
    }
  } catch (error) {
    answer = { ok: false, error: (error as Error).stack ?? String(error) }
  }
  process.send!(answer, () => process.exit(answer.ok ? 0 : 1))
})
