import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

// Each case is a node process: two at a time keep both cores busy without crowding the
// other packages' tests that nx runs beside this one.
export default mergeConfig(shared, defineConfig({ test: { maxConcurrency: 2 } }));
