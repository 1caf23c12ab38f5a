// expect: echo01.message: expected a value HCL can hold
import { labEstate, ownModule } from '../lab.mjs';

export default labEstate([ownModule().call('echo01', { message: () => 'hi' })]);
