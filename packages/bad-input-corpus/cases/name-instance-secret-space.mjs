// expect: variables.grafana01_admin password: expected a variable name
import { instanceSecret } from '@atlas/core';
import { labEstate } from '../lab.mjs';

export default labEstate([], {
  variables: [instanceSecret('grafana01', 'admin password', 'The admin password.')],
});
