// expect: echo 01.name: expected a module name that is an HCL identifier
import { labEstate, ownModule } from '../lab.mjs';

export default labEstate([ownModule().call('echo 01', {})]);
