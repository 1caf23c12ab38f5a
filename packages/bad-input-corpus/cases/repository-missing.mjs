// expect: repository: expected the git URL of the repository
import { estate, lab } from '../lab.mjs';

export default estate([lab()], { repository: undefined });
