#!/usr/bin/env node
// The CLI runs the TypeScript engine directly through tsx's loader, so there is no separate build step
// between editing the engine and using it.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../core/host/cli.ts');
const code = await main(process.argv.slice(2));
process.exit(code);
