/** The store's scripting: EVAL's scripts cache and the function libraries, run by one runner. */
import { EvalScripts } from './eval-scripts.js';
import { FunctionLibraries } from './function-libraries.js';
import { ScriptRunner } from './script-runner.js';

export class Scripting {
  readonly runner = new ScriptRunner();
  readonly scripts = new EvalScripts(this.runner);
  readonly functions = new FunctionLibraries(this.runner);
}
