// expect: lab.echo01.message: contains a lone surrogate
import { labEstate, ownModule } from '../lab.mjs';

export default labEstate([ownModule().call('echo01', { message: 'hi \ud800' })]);
