// expect: modules.Echo Module.name: expected a module name
import { labEstate, ownModule } from '../lab.mjs';

export default labEstate([ownModule({ name: 'Echo Module' }).call('echo01', {})]);
