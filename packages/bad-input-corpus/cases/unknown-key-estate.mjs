// expect: repo: Unrecognized key
import { estate, lab } from '../lab.mjs';

export default estate([lab()], { repo: 'https://example.com/estate.git' });
