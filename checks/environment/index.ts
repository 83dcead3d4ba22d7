import type { Check } from '../../src/core/model.js';
import { platformCheck } from './platform.js';
import { variablesCheck } from './variables.js';

export const environmentChecks: Check[] = [platformCheck, variablesCheck];
