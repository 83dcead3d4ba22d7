// Validates reports against the JSON Schema shipped in the package (schema/report.v1.json).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type AjvType from 'ajv';

// ajv is CommonJS; require() gives the class under every loader (vitest, Node 20/22).
const Ajv = createRequire(import.meta.url)('ajv') as typeof AjvType.default;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const schema = JSON.parse(readFileSync(path.join(root, 'schema/report.v1.json'), 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(schema);

/** Throws with every schema error when the report does not follow contract v1. */
export function assertValidReport(report: unknown): void {
  if (!validate(report)) {
    throw new Error(`report does not match schema/report.v1.json:\n${ajv.errorsText(validate.errors, { separator: '\n' })}`);
  }
}
