// expect: modules.echo.templates.templates/echo.tftpl: has a carriage return without a line feed
import { ref } from '@atlas/hcl';
import { labEstate, ownModule } from '../lab.mjs';

export default labEstate([
  ownModule({
    template: [
      {
        kind: 'for',
        value: 'm',
        collection: ref('var.message'),
        body: [{ kind: 'literal', value: 'a\rb' }],
      },
      { kind: 'literal', value: '\n' },
    ],
  }).call('echo01', {}),
]);
