// expect: environments[0]: expected an environment made with defineEnvironment
import { REPOSITORY } from '../lab.mjs';

export default { kind: 'estate', environments: ['lab'], modules: [], repository: REPOSITORY };
