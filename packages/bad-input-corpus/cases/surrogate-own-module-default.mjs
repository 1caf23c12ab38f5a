// expect: modules.echo: contains a lone surrogate
import { defineModule } from '@atlas/core';
import { str } from '@atlas/hcl';
import { labEstate } from '../lab.mjs';

const echo = defineModule({
  name: 'echo',
  package: { name: 'corpus', version: '0.0.0' },
  description: 'Echoes its input.',
  providers: [],
  variables: {},
  build: () => ({ resources: [], outputs: {}, locals: { message: str('hi \ud800') } }),
});
export default labEstate([echo.call('echo01', {})]);
