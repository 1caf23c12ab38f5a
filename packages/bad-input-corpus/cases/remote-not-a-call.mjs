// expect: fromEnvironment.other: expected a module call
import { fromEnvironment } from '@atlas/core';
import { estate, lab } from '../lab.mjs';

// In plain JavaScript nothing stops a URL string where a service instance belongs.
fromEnvironment('other', 'http://prometheus01.incus:9090');
export default estate([lab([])]);
