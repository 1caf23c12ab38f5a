// expect: modules.echo.templates.templates/echo.tftpl: has a carriage return without a line feed
import { ref } from '@atlas/hcl';
import { labEstate, ownModule } from '../lab.mjs';

export default labEstate([
  ownModule({
    template: [
      { kind: 'if', cond: ref('var.message'), then: [{ kind: 'literal', value: 'yes\rno' }] },
      { kind: 'literal', value: '\n' },
    ],
  }).call('echo01', {}),
]);
