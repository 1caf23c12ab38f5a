// expect: lab.echo01.comment: expected comment lines without line breaks
import { labEstate, ownModule } from '../lab.mjs';

export default labEstate([
  ownModule().call('echo01', {}, { comment: 'Says hello.\nmodule "evil" {}' }),
]);
