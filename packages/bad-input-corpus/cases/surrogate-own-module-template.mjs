// expect: modules.echo.templates.templates/echo.tftpl: contains a lone surrogate
import { labEstate, ownModule } from '../lab.mjs';

export default labEstate([
  ownModule({ template: [{ kind: 'literal', value: 'hi \udbff\n' }] }).call('echo01', {}),
]);
