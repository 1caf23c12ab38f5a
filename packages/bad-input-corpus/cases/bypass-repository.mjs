// expect: repository: expected the git URL of the repository
import { lab } from '../lab.mjs';

// A hand-made estate object instead of defineEstate(…).
export default { kind: 'estate', environments: [lab()], modules: [], repository: undefined };
