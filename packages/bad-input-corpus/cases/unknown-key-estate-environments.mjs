// expect: enviroments: Unrecognized key
// expect: environments: expected a list of environments
import { defineEstate } from '@atlas/generator';
import { REPOSITORY, lab } from '../lab.mjs';

export default defineEstate({ repository: REPOSITORY, enviroments: [lab()] });
