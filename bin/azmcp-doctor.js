#!/usr/bin/env node
// Tiny launcher. --version and --help are answered from files written at build time, so they start
// about as fast as bare Node; everything else loads the built CLI and exits once the output is
// flushed, even if a hung probe still holds a socket open (every probe has its own timeout too).
import { readFileSync } from 'node:fs';

// DNS look-ups (getaddrinfo) run on libuv's thread pool and cannot be cancelled; with a dead resolver
// the default 4 threads would also stall file reads. Must be set before the pool's first use.
process.env.UV_THREADPOOL_SIZE ??= '16';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) {
  let help;
  try {
    help = readFileSync(new URL('../dist/help.txt', import.meta.url), 'utf8');
  } catch {
    help = undefined; // not built with the help file: let commander print it
  }
  if (help) process.stdout.write(help);
  else await launch();
} else {
  await launch();
}

async function launch() {
  const { main } = await import('../dist/src/cli.js');
  const code = await main(process.argv);
  let pending = 2;
  const done = () => --pending === 0 && process.exit(code);
  process.stdout.write('', done);
  process.stderr.write('', done);
}
