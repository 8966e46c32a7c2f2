/**
 * The README's table of `cachee start` options lists every setting, with its flag, variable and
 * cachee.json key, so the manual cannot fall behind the code.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SETTINGS } from '../../src/cli/settings.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const tableRows = readme
  .slice(readme.indexOf('## Options of `cachee start`'))
  .split('\n')
  .filter((line) => line.startsWith('| `--'));

describe("README's options table", () => {
  for (const setting of SETTINGS) {
    it(`has ${setting.flag}, ${setting.env} and ${setting.key}`, () => {
      const row = tableRows.find((line) => line.startsWith(`| \`${setting.flag} `) || line.startsWith(`| \`${setting.flag}\``));
      assert.ok(row, `no row for ${setting.flag}`);
      assert.match(row, new RegExp(`\\| \`${setting.env}\` \\|`), `${setting.flag}: variable`);
      assert.ok(row.includes(`\`${setting.key}\``), `${setting.flag}: cachee.json key`);
    });
  }
});
