// expect: modules.echo.templates.templates/echo.tftpl: has a carriage return without a line feed
import { ref } from '@atlas/hcl';
import { labEstate, ownModule } from '../lab.mjs';

export default labEstate([
  ownModule({ template: [{ kind: 'literal', value: 'a\r\r\nb\n' }] }).call('echo01', {}),
]);
