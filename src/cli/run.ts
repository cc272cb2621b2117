// runCli(argv): finds the command, parses its flags strictly (node:util parseArgs), runs it and
// prints its table or JSON. Returns the exit code (see EXIT); every failure is one line on stderr.
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../config';
import type { Database } from '../db/client';
import { CliError, COMMON_OPTIONS, EXIT, usageError, type Command } from './command';
import { openCliDatabase } from './database';
import { commandHelp, groupHelp, topHelp } from './help';

interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export async function runCli(argv: readonly string[], commands: readonly Command[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  let database: Database | undefined;
  try {
    const found = findCommand(argv, commands);
    if (found.kind === 'help') {
      io.out(found.text);
      return EXIT.ok;
    }
    const { command, rest } = found;
    const { values, positionals } = parseFlags(command, rest);
    if (values.help) {
      io.out(commandHelp(command));
      return EXIT.ok;
    }
    const expected = command.args ?? [];
    if (positionals.length !== expected.length) {
      const what = positionals.length < expected.length ? `missing ${expected.slice(positionals.length).join(' ')}` : `unexpected argument "${positionals[expected.length]}"`;
      throw usageError(`${what}; usage: ${commandHelp(command).split('\n')[0]!.slice('usage: '.length)}`);
    }
    const config = readConfig(env);
    const output = await command.run(
      { values, args: positionals },
      {
        config,
        database: async () => (database ??= await openCliDatabase(config, { create: command.createsDatabase ?? false })),
      },
    );
    io.out(values.json ? JSON.stringify(output.json, null, 2) : output.text);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CliError) {
      io.err(`callgate: ${err.message}`);
      if (err.exitCode === EXIT.usage) io.err('run `callgate --help` for the commands, `callgate <command> --help` for their flags');
      return err.exitCode;
    }
    io.err(`callgate: ${messageOf(err)}`);
    return EXIT.failure;
  } finally {
    await database?.close();
  }
}

type Found = { kind: 'help'; text: string } | { kind: 'command'; command: Command; rest: string[] };

/** The command whose words start argv; a bare group (`callgate jobs`) or `--help` asks for help. */
function findCommand(argv: readonly string[], commands: readonly Command[]): Found {
  const [first, second] = argv;
  if (first === undefined) throw usageError('no command given');
  if (first === '--help' || first === '-h' || first === 'help') return { kind: 'help', text: topHelp(commands) };
  const command = commands.find((c) => c.path.every((word, i) => argv[i] === word));
  if (command) return { kind: 'command', command, rest: argv.slice(command.path.length) };
  const group = commands.filter((c) => c.path[0] === first);
  if (group.length === 0) throw usageError(`unknown command "${first}"`);
  if (second === undefined || second === '--help' || second === '-h') return { kind: 'help', text: groupHelp(first, group) };
  throw usageError(`unknown command "${first} ${second}"; ${first} has: ${group.map((c) => c.path.slice(1).join(' ')).join(', ')}`);
}

function parseFlags(command: Command, rest: string[]) {
  const options = Object.fromEntries(Object.entries({ ...command.options, ...COMMON_OPTIONS }).map(([name, o]) => [name, { type: o.type }]));
  try {
    return parseArgs({ args: rest, options, strict: true, allowPositionals: true });
  } catch (err) {
    // Node's messages go on to explain `--` for positionals that start with a dash; the first sentence is the point.
    const message = (err as Error).message.split('. ')[0]!.replace(/^Unknown option/, 'unknown flag');
    throw usageError(`${command.path.join(' ')}: ${message}`);
  }
}

function readConfig(env: NodeJS.ProcessEnv): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.failure);
  }
}

/** Drizzle wraps a failed statement in "Failed query: <the whole SQL>"; its cause is the part that says what went wrong. */
function messageOf(err: unknown): string {
  const { cause, message } = err as Error;
  return cause instanceof Error ? cause.message : message;
}
