// expect: modules.echo.description: contains a lone surrogate
import { labEstate, ownModule } from '../lab.mjs';

export default labEstate([ownModule({ description: 'Echoes \ud800.' }).call('echo01', {})]);
