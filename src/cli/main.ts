#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { type Command, UsageError } from './command.js'
import { demo } from './commands/demo.js'
import { exportCommand } from './commands/export.js'
import { importCommand } from './commands/import.js'
import { migrate } from './commands/migrate.js'
import { prune } from './commands/prune.js'
import { report } from './commands/report.js'
import { serve } from './commands/serve.js'
import { share } from './commands/share.js'
import { sites } from './commands/sites.js'
import { tokens } from './commands/tokens.js'

/**
 * The `quietcount` command: one file per command in commands/, each validating its flags and
 * saying what was wrong and what is allowed; exit code 2 for a usage error, 1 for a failure.
 */
const COMMANDS: Record<string, Command> = { serve, demo, migrate, prune, sites, tokens, share, report, import: importCommand, export: exportCommand }

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  const command = name ? COMMANDS[name] : undefined
  if (!command) {
    console.log(
      `quietcount COMMAND [--help]\n\ncommands: ${Object.keys(COMMANDS).join(', ')}\n\n${Object.values(COMMANDS)
        .map((c) => c.usage.split('\n')[0])
        .join('\n')}`,
    )
    const asked = name === undefined || name === '--help' || name === '-h'
    if (!asked) console.error(`\nunknown command ${JSON.stringify(name)}`)
    return asked ? 0 : 2
  }
  try {
    const { values, positionals } = parseArgs({ args: rest, options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true })
    if (values.help) {
      console.log(command.usage)
      return 0
    }
    await command.run(values, positionals)
    return 0
  } catch (error) {
    const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    console.error(`quietcount ${name}: ${(error as Error).message}`)
    if (usage) console.error(`\n${command.usage}`)
    return usage ? 2 : 1
  }
}

// Whatever escapes a command (a stream's error event that nothing heard) still ends it in one
// line, never in a stack trace; QUIETCOUNT_DEBUG=1 shows the stack to whoever debugs it.
const fatal = (error: unknown) => {
  console.error(`quietcount ${process.argv[2] ?? ''}: ${error instanceof Error ? error.message : String(error)}`)
  if (process.env.QUIETCOUNT_DEBUG && error instanceof Error) console.error(error.stack)
  process.exit(1)
}
process.on('uncaughtException', fatal)
process.on('unhandledRejection', fatal)

const code = await main(process.argv.slice(2))
if (code) process.exitCode = code
