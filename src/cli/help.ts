// The --help texts, generated from the commands' own declarations so a new flag or command is
// documented by declaring it.
import { COMMON_OPTIONS, EXIT, type Command, type OptionSpec } from './command';
import { renderFields } from './table';

const DATABASE_NOTE =
  'Runs against DATABASE_URL, else the embedded database in CALLGATE_DATA_DIR (default ./.callgate) ' +
  'of a stopped local gateway: a running one holds it locked.';

const EXIT_CODES = renderFields([
  [`  ${EXIT.ok}`, 'ok'],
  [`  ${EXIT.failure}`, 'failure: database unreachable, missing or locked by a running gateway; anything unexpected'],
  [`  ${EXIT.usage}`, 'usage error: unknown command or flag, missing argument, malformed value'],
  [`  ${EXIT.notFound}`, 'not found: no such job or service'],
  [`  ${EXIT.refused}`, "refused: the job's status does not allow the action"],
]);

const usageOf = (c: Command) =>
  [
    'callgate',
    ...c.path,
    ...(c.args ?? []),
    ...Object.entries(c.options ?? {}).map(([name, o]) => `[${flag(name, o)}]`),
    '[--json]',
  ].join(' ');

const flag = (name: string, o: OptionSpec) => (o.value ? `--${name} <${o.value}>` : `--${name}`);

const commandList = (commands: readonly Command[]) =>
  renderFields(commands.map((c) => [`  ${[...c.path, ...(c.args ?? [])].join(' ')}`, c.summary]));

export function topHelp(commands: readonly Command[]): string {
  return [
    'callgate: inspect and operate the job queue of a callgate gateway',
    'usage: callgate <command> [flags]    (callgate <command> --help for its flags)',
    `commands:\n${commandList(commands)}`,
    `every command takes --json (print JSON, for scripts) and --help.\n${DATABASE_NOTE}`,
    `exit codes:\n${EXIT_CODES}`,
  ].join('\n\n');
}

export function groupHelp(group: string, commands: readonly Command[]): string {
  return [`usage: callgate ${group} <command> [flags]`, `commands:\n${commandList(commands)}`].join('\n\n');
}

export function commandHelp(c: Command): string {
  const options = { ...c.options, ...COMMON_OPTIONS };
  return [
    `usage: ${usageOf(c)}`,
    [c.summary, c.help].filter(Boolean).join('. '),
    `flags:\n${renderFields(Object.entries(options).map(([name, o]) => [`  ${flag(name, o)}`, o.description]))}`,
    DATABASE_NOTE,
  ].join('\n\n');
}
