// expect: incus_metrics.enabledBy: expected a root switch (the value enableSwitch(…) returns)
import { incusMetrics } from '@atlas/incus-metrics';
import { labEstate } from '../lab.mjs';

// Plain JavaScript: the types would refuse a boolean where the switch variable belongs.
export default labEstate([incusMetrics({ address: '10.20.0.1:8443', enabledBy: true })]);
