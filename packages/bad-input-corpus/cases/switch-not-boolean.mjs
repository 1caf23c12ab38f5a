// expect: incus_loki.enabledBy: expected a root switch (the value enableSwitch(…) returns)
import { secret } from '@atlas/core';
import { incusLoki } from '@atlas/incus-loki';
import { loki } from '@atlas/loki';
import { labEstate, management } from '../lab.mjs';

// A string variable cannot be a count's condition: only enableSwitch(…) makes a switch.
const loki01 = loki({ name: 'loki01', network: management });
export default labEstate([
  loki01,
  incusLoki({ loki: loki01, enabledBy: secret('enable_incus_loki', 'Not a switch.') }),
]);
