/** `cachee init`: writes cachee.json with every setting, from the flags and the defaults. */
import type { CliDeps } from './deps.js';
import { resolveConfig, writeConfigFile, type ConfigLocation, type FlagValues } from './config.js';
import { describeConfig } from './start.js';
import { formatAddress } from './status.js';

export async function runInit(flags: FlagValues, location: ConfigLocation, force: boolean, deps: CliDeps): Promise<number> {
  // Environment variables are not read: they override the file when the proxy starts, and
  // baking one into the file would make it outlive the shell that set it.
  const { config } = resolveConfig({ flags });
  await writeConfigFile(location, config, force);
  deps.stdout(`wrote ${location.display}: listen on ${formatAddress(config.host, config.port)}, ${describeConfig(config)}\n`);
  return 0;
}
