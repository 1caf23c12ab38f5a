// expect: modules.echo.variables.message.description: expected one line
import { labEstate, ownModule } from '../lab.mjs';

export default labEstate([
  ownModule({ variableDescription: 'What.\nTo echo.' }).call('echo01', {}),
]);
