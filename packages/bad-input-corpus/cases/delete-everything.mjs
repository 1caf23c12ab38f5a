// expect: environments: this estate would delete all
// expect: --allow-delete-all
import { defineEstate } from '@atlas/generator';
import { REPOSITORY } from '../lab.mjs';

// Renders nothing: every file the earlier generate wrote would go.
export default defineEstate({ repository: REPOSITORY, environments: [] });
