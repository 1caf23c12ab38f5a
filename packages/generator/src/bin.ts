#!/usr/bin/env node
// The `atlas` executable. Kept apart from cli.ts so that importing the package
// (as an estate file does) never runs the command.
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));
