// expect: modules.echo.templates.templates/echo.tftpl: starts with a byte-order mark
import { ref } from '@atlas/hcl';
import { labEstate, ownModule } from '../lab.mjs';

export default labEstate([
  ownModule({
    template: [
      { kind: 'literal', value: '\ufeff' },
      { kind: 'interp', expr: ref('var.message') },
      { kind: 'literal', value: '\n' },
    ],
  }).call('echo01', {}),
]);
