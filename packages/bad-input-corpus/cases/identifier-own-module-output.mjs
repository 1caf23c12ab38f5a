// expect: modules.echo.outputs.the-message!: expected an output name
import { labEstate, ownModule } from '../lab.mjs';

export default labEstate([ownModule({ outputName: 'the-message!' }).call('echo01', {})]);
