// expect: modules.echo.description: expected one line
import { labEstate, ownModule } from '../lab.mjs';

export default labEstate([ownModule({ description: 'Echoes.\nTwice.' }).call('echo01', {})]);
