import { defineEstate } from '@atlas/generator';
import { iapetus } from './iapetus.js';

/** The whole estate `pnpm generate` renders. */
export default defineEstate({
  environments: [iapetus],
  repository: 'https://github.com/accuser-dev/atlas.git',
});
