// Build step: writes dist/help.txt from the CLI's own option definitions, so the launcher can answer
// --help without loading commander (cold start), and the text never drifts from the real options.
import { writeFileSync } from 'node:fs';

const { helpText } = await import('../dist/src/cli.js');
writeFileSync(new URL('../dist/help.txt', import.meta.url), helpText());
