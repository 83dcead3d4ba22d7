// The composition root: options -> checks -> runner -> report -> renderer -> redacted output.
// Only commander is loaded up front; everything else is imported when a run needs it, so that
// --version and --help start about as fast as bare Node.

import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { DoctorOptions, OutputFormat, ResourceOption } from './core/options.js';
import { DEFAULT_TIMEOUT_MS } from './core/options.js';
import { selectChecks } from './core/select.js';

// dist/src/cli.js when built, src/cli.ts under the test runner: the package root is 2 or 1 levels up.
function readVersion(): string {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'azmcp-doctor') return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0';
}
export const VERSION = readVersion();

const collect = (value: string, previous: string[]) => [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
const collectOne = (value: string, previous: string[]) => [...previous, value];

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 600) throw new InvalidArgumentError('expected a number of seconds between 0 and 600.');
  return Math.round(n * 1000);
}

function buildProgram(): Command {
  const program = new Command('azmcp-doctor');
  program
    .description(
      'Diagnose Azure MCP Server authentication: which credential the server would use and why others fail, DNS, proxy, TLS trust and TCP/443 reachability of Entra, ARM and resource endpoints.',
    )
    .version(VERSION, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help')
    .addOption(new Option('-f, --format <format>', 'report format').choices(['text', 'json', 'markdown']).default('text'))
    .option('-o, --output <file>', 'write the report to FILE (a one-line summary goes to stderr)')
    .option('--only <ids>', 'run only these groups or check ids (comma-separated, repeatable)', collect, [])
    .option('--skip <ids>', 'skip these groups or check ids (comma-separated, repeatable)', collect, [])
    .option('--list-checks', 'list the checks and their groups, then exit')
    .addOption(new Option('--fail-on <severity>', 'lowest severity that makes the exit code 1').choices(['warning', 'error']).default('error'))
    .option('--timeout <seconds>', `deadline for the whole run (default ${DEFAULT_TIMEOUT_MS / 1000})`, seconds)
    .option('--cloud <name>', 'Azure cloud as the server names it (default: AZURE_CLOUD, else AzureCloud)')
    .addOption(new Option('--launched-by <how>', 'how the MCP client starts the server (default: vscode when VSCODE_PID is set, else server)').choices(['vscode', 'cli', 'server']))
    .option('--interactive', 'allow interactive sign-in probes (browser, device code); never used otherwise', false)
    .option('--redact', 'also mask identities (GUIDs, user names) in the report; secrets are always removed', false)
    .option('--export-ca <file>', 'write the root certificate presented for the Entra endpoint to FILE (PEM)')
    .option('--storage <name>', 'probe a storage account (repeatable)', collectOne, [])
    .option('--keyvault <name>', 'probe a key vault (repeatable)', collectOne, [])
    .option('--cosmos <name>', 'probe a Cosmos DB account (repeatable)', collectOne, [])
    .option('--servicebus <name>', 'probe a Service Bus namespace (repeatable)', collectOne, [])
    .option('--eventhubs <name>', 'probe an Event Hubs namespace (repeatable)', collectOne, [])
    .option('--endpoint <host[:port]>', 'probe any other endpoint (repeatable)', collectOne, [])
    .option('--subscription <id>', 'subscription to check access to (default: as the server resolves it)')
    .option('--authority-host <url>', 'override the Entra authority (custom environments, tests)')
    .option('--arm-endpoint <url>', 'override the ARM endpoint')
    .option('--graph-endpoint <url>', 'override the Microsoft Graph endpoint')
    .option('--imds-endpoint <url>', 'override the managed-identity endpoint (default: as the environment selects it)')
    .option('--verbose', 'show evidence, timings and a log of what the doctor did (redacted)', false)
    .option('--no-color', 'plain output without colour (also NO_COLOR=1)');
  program.addHelpText(
    'after',
    `
Exit codes: 0 no errors; 1 at least one error (or warning with --fail-on warning), timeout or crash; 2 the doctor could not run.
Examples:
  azmcp-doctor                                   # everything, human-readable
  azmcp-doctor --format json --output report.json # CI preflight
  azmcp-doctor --format markdown --redact        # paste into a ticket
  azmcp-doctor --only network --storage myacct   # network checks, plus a storage account`,
  );
  return program;
}

/** The --help text exactly as commander prints it (written to dist/help.txt at build time). */
export function helpText(): string {
  const program = buildProgram();
  let text = '';
  program.configureOutput({ writeOut: (s) => (text += s) });
  program.outputHelp();
  return text;
}

interface RawOptions {
  format: OutputFormat;
  output?: string;
  only: string[];
  skip: string[];
  listChecks?: boolean;
  failOn: 'warning' | 'error';
  timeout?: number;
  cloud?: string;
  launchedBy?: DoctorOptions['launchedBy'];
  interactive: boolean;
  redact: boolean;
  exportCa?: string;
  storage: string[];
  keyvault: string[];
  cosmos: string[];
  servicebus: string[];
  eventhubs: string[];
  endpoint: string[];
  subscription?: string;
  authorityHost?: string;
  armEndpoint?: string;
  graphEndpoint?: string;
  imdsEndpoint?: string;
  verbose: boolean;
  color: boolean;
}

function wantsColor(raw: RawOptions, env: NodeJS.ProcessEnv, stream: NodeJS.WriteStream): boolean {
  if (!raw.color) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return !!stream.isTTY && env.TERM !== 'dumb';
}

/** Runs the doctor; returns the exit code. Never throws. */
export async function main(argv: string[]): Promise<number> {
  const env = { ...process.env };
  const { Redactor } = await import('./core/redact.js');
  // Until options are known, redact secrets only.
  let redactor = new Redactor(env, false);
  const errOut = (s: string) => process.stderr.write(redactor.redact(s));

  const program = buildProgram();
  program.exitOverride();
  program.configureOutput({
    writeOut: (s) => process.stdout.write(s),
    writeErr: (s) => errOut(s),
    outputError: (s, write) => write(s.startsWith('error:') ? `azmcp-doctor: ${s}` : s),
  });

  let raw: RawOptions;
  try {
    program.parse(argv);
    raw = program.opts<RawOptions>();
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      errOut('Run azmcp-doctor --help for the options.\n');
      return 2;
    }
    errOut(`azmcp-doctor: ${String(err)}\n`);
    return 2;
  }
  if (program.args.length) {
    errOut(`azmcp-doctor: unexpected argument '${program.args[0]}'. Run azmcp-doctor --help for the options.\n`);
    return 2;
  }

  try {
    return await run(raw, env, (r) => (redactor = r), () => redactor);
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    if (e.name === 'UsageError') {
      errOut(`azmcp-doctor: ${e.message}\n`);
      return 2;
    }
    errOut(`azmcp-doctor: internal error: ${e.message}\n`);
    if (raw.verbose) errOut(`${e.stack ?? ''}\n`);
    return 2;
  }
}

async function run(
  raw: RawOptions,
  env: NodeJS.ProcessEnv,
  setRedactor: (r: import('./core/redact.js').Redactor) => void,
  redactor: () => import('./core/redact.js').Redactor,
): Promise<number> {
  const [{ Redactor }, endpointsMod, { loadChecks }, { runChecks, withDependencies }, model, { MODELLED_RELEASE }] = await Promise.all([
    import('./core/redact.js'),
    import('./core/endpoints.js'),
    import('./core/registry.js'),
    import('./core/runner.js'),
    import('./core/model.js'),
    import('./chain/effective-chain.js'),
  ]);
  setRedactor(new Redactor(env, raw.redact));
  const out = (s: string) => process.stdout.write(redactor().redact(s));
  const err = (s: string) => process.stderr.write(redactor().redact(s));

  // --cloud must be valid (as in the server); an invalid AZURE_CLOUD is reported as a finding instead.
  let cloud: string;
  if (raw.cloud !== undefined) cloud = endpointsMod.resolveCloud(raw.cloud).name;
  else {
    try {
      cloud = endpointsMod.resolveCloud(env.AZURE_CLOUD).name;
    } catch {
      cloud = 'AzureCloud';
    }
  }
  const resources: ResourceOption[] = [
    ...raw.storage.map((name) => ({ kind: 'storage' as const, name })),
    ...raw.keyvault.map((name) => ({ kind: 'keyvault' as const, name })),
    ...raw.cosmos.map((name) => ({ kind: 'cosmos' as const, name })),
    ...raw.servicebus.map((name) => ({ kind: 'servicebus' as const, name })),
    ...raw.eventhubs.map((name) => ({ kind: 'eventhubs' as const, name })),
    ...raw.endpoint.map((name) => ({ kind: 'endpoint' as const, name })),
  ];
  const options: DoctorOptions = {
    format: raw.format,
    output: raw.output,
    only: raw.only,
    skip: raw.skip,
    failOn: raw.failOn,
    verbose: raw.verbose,
    color: raw.color,
    redact: raw.redact,
    timeoutMs: raw.timeout ?? DEFAULT_TIMEOUT_MS,
    cloud,
    launchedBy: raw.launchedBy,
    interactive: raw.interactive,
    exportCa: raw.exportCa,
    resources,
    authorityHost: raw.authorityHost,
    armEndpoint: raw.armEndpoint,
    graphEndpoint: raw.graphEndpoint,
    imdsEndpoint: raw.imdsEndpoint,
    subscription: raw.subscription,
  };
  if (raw.imdsEndpoint) endpointsMod.parseUrlOption('--imds-endpoint', raw.imdsEndpoint, true);
  const endpoints = endpointsMod.buildEndpointModel(options, env);
  const all = await loadChecks(endpoints, options);

  if (raw.listChecks) {
    const width = Math.max(...all.map((c) => c.id.length));
    out(all.map((c) => `${c.id.padEnd(width)}  ${c.group.padEnd(13)}  ${c.title}`).join('\n') + '\n');
    return 0;
  }

  const selected = selectChecks(all, options.only, options.skip);
  const checks = withDependencies(all, selected);

  // One deadline for the whole run, and Ctrl-C, abort every check that is still going.
  const stop = new AbortController();
  const deadline = setTimeout(() => stop.abort(new Error(`the run's ${options.timeoutMs / 1000} s deadline passed`)), options.timeoutMs);
  deadline.unref();
  const onSigint = () => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort(new Error('interrupted (Ctrl-C)'));
  };
  process.on('SIGINT', onSigint);

  const useSpinner = !!process.stderr.isTTY && !options.verbose && !env.CI;
  const spinner = useSpinner ? (await import('ora')).default({ stream: process.stderr, text: 'Starting checks' }).start() : undefined;
  const startedAt = new Date();
  const t0 = performance.now();
  const results = await runChecks(checks, {
    signal: stop.signal,
    base: {
      options,
      env,
      endpoints,
      log: (m) => {
        if (options.verbose) err(`[${((performance.now() - t0) / 1000).toFixed(2)}s] ${m}\n`);
      },
    },
    onStart: (c) => options.verbose && err(`[${((performance.now() - t0) / 1000).toFixed(2)}s] start ${c.id}\n`),
    onDone: (r, done, total) => {
      if (spinner) spinner.text = `Checking ${done}/${total} (${r.id} ${r.status})`;
      if (options.verbose) err(`[${((performance.now() - t0) / 1000).toFixed(2)}s] done ${r.id}: ${r.status} in ${r.durationMs} ms\n`);
    },
  });
  clearTimeout(deadline);
  process.off('SIGINT', onSigint);
  spinner?.stop();

  const report: import('./core/model.js').Report = redactor().redactDeep({
    schemaVersion: 1,
    tool: { name: 'azmcp-doctor', version: VERSION },
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    platform: { os: `${process.platform}`, node: process.version, arch: process.arch },
    cloud,
    serverModel: MODELLED_RELEASE,
    summary: model.summarise(results),
    checks: results,
  });

  let text: string;
  if (options.format === 'json') text = (await import('./render/json.js')).renderJson(report);
  else if (options.format === 'markdown') text = (await import('./render/markdown.js')).renderMarkdown(report);
  else {
    const { Chalk } = await import('chalk');
    const color = wantsColor(raw, env, options.output ? process.stderr : process.stdout) && !options.output;
    text = (await import('./render/text.js')).renderText(report, { chalk: new Chalk({ level: color ? 1 : 0 }), verbose: options.verbose });
  }

  if (options.output) {
    const { writeFile } = await import('node:fs/promises');
    try {
      await writeFile(options.output, redactor().redact(text));
    } catch (e) {
      err(`azmcp-doctor: cannot write ${options.output}: ${(e as Error).message}\n`);
      return 2;
    }
    const { summaryLine } = await import('./render/common.js');
    err(`${summaryLine(report)} Report written to ${options.output}.\n`);
  } else {
    out(text);
  }

  const failing = report.summary.errors > 0 || (options.failOn === 'warning' && report.summary.warnings > 0);
  return failing ? 1 : 0;
}

