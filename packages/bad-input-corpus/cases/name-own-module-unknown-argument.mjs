// expect: echo01.mesage: module "echo" has no variable "mesage"
import { labEstate, ownModule } from '../lab.mjs';

export default labEstate([ownModule().call('echo01', { mesage: 'hi' })]);
