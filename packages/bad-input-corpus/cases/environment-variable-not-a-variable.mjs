// expect: lab.variables[0]: expected a variable made with envVariable
import { labEstate } from '../lab.mjs';

export default labEstate([], { variables: [{ name: 'db_password' }] });
