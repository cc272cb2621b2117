#!/usr/bin/env node
// `callgate <command>` (package bin, `npm run callgate --`): the operator's CLI. This file only lists
// the command groups; each lives in src/cli/<group>.ts, and a new group is one file and one line here.
import { jobsCommands } from './cli/jobs';
import { keysCommands } from './cli/keys';
import { migrateCommands } from './cli/migrate';
import { queueCommands } from './cli/queue';
import { runCli } from './cli/run';
import { servicesCommands } from './cli/services';

const COMMANDS = [...migrateCommands, ...servicesCommands, ...jobsCommands, ...queueCommands, ...keysCommands];

process.exitCode = await runCli(process.argv.slice(2), COMMANDS, process.env, {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
});
