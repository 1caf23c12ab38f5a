// expect: modules[0]: expected a module definition
import { REPOSITORY, lab } from '../lab.mjs';

export default {
  kind: 'estate',
  environments: [lab()],
  modules: [{ name: 'echo' }],
  repository: REPOSITORY,
};
