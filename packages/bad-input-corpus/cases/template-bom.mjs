// expect: modules.echo.templates.templates/echo.tftpl: starts with a byte-order mark
import { ref } from '@atlas/hcl';
import { labEstate, ownModule } from '../lab.mjs';

export default labEstate([
  ownModule({ template: [{ kind: 'literal', value: '\ufeffhello\n' }] }).call('echo01', {}),
]);
