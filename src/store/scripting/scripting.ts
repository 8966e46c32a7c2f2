/** The store's scripting: EVAL's scripts cache and the function libraries, run by one runner. */
import { EvalScripts } from './eval-scripts.js';
import { FunctionLibraries } from './function-libraries.js';
import { ScriptRunner } from './script-runner.js';

export class Scripting {
  readonly runner: ScriptRunner;
  readonly scripts: EvalScripts;
  readonly functions: FunctionLibraries;

  /** `timeLimit`: ms a script may run without writing before it is stopped. */
  constructor(timeLimit: number) {
    this.runner = new ScriptRunner(timeLimit);
    this.scripts = new EvalScripts(this.runner);
    this.functions = new FunctionLibraries(this.runner);
  }
}
