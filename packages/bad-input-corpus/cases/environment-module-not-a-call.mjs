// expect: lab.modules[1]: expected a module call
import { labEstate } from '../lab.mjs';

export default labEstate([{ name: 'grafana01' }]);
