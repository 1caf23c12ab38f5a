// expect: modules.echo.description: expected a description
import { labEstate, ownModule } from '../lab.mjs';

export default labEstate([ownModule({ description: '' }).call('echo01', {})]);
