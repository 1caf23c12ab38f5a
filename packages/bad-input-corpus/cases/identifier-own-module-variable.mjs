// expect: modules.echo.variables.the message: expected a variable name
import { labEstate, ownModule } from '../lab.mjs';

export default labEstate([ownModule({ variableName: 'the message' }).call('echo01', {})]);
