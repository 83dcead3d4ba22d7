// The simulated-internet test harness (see test/README.md).
export * from './net.js';
export * from './pki.js';
export * from './proc.js';
export * from './azure-sim.js';
export * from './proxies.js';
export * from './azcli.js';
export * from './azmcp.js';
