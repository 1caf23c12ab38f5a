// expect: modules.echo.description: expected one line
import { estate, lab, ownModule } from '../lab.mjs';

// A module published under generated/modules without being called.
export default estate([lab()], { modules: [ownModule({ description: 'One.\nTwo.' })] });
