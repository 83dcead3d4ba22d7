#!/usr/bin/env node
// Tiny launcher: runs the built CLI and exits once the output is flushed, even if a hung probe
// still holds a socket open (every probe has its own timeout, but exit must not wait for them).
import { main } from '../dist/src/cli.js';

const code = await main(process.argv);
const exit = () => process.exit(code);
if (process.stdout.writableLength || process.stderr.writableLength) {
  let pending = 2;
  const done = () => --pending === 0 && exit();
  process.stdout.write('', done);
  process.stderr.write('', done);
} else {
  exit();
}
