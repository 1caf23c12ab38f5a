// expect: modules.echo.variables.message.description: expected a description
import { labEstate, ownModule } from '../lab.mjs';

export default labEstate([ownModule({ variableDescription: '' }).call('echo01', {})]);
