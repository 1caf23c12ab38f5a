// expect: modules.echo.outputs.message.description: expected one line
import { labEstate, ownModule } from '../lab.mjs';

export default labEstate([ownModule({ outputDescription: 'The\nmessage.' }).call('echo01', {})]);
