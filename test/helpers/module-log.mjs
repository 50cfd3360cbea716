// Registers module-log-hooks.mjs: `node --import <this file> dist/cli/bin.js …`.
import { register } from 'node:module';

register('./module-log-hooks.mjs', import.meta.url);
