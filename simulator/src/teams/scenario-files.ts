// Loads scenario files from simulator/scenarios (works from source and from dist/); SIM_SCENARIOS_DIR overrides.
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parseScenario, type Scenario } from './scenario.js';

export function scenariosDir(): string {
  if (process.env.SIM_SCENARIOS_DIR) return process.env.SIM_SCENARIOS_DIR;
  const here = fileURLToPath(new URL('.', import.meta.url));
  // simulator/src/teams → ../../scenarios ; dist/simulator/src/teams → ../../../../simulator/scenarios
  for (const rel of ['../../scenarios', '../../../../simulator/scenarios']) {
    const dir = join(here, rel);
    if (existsSync(dir)) return dir;
  }
  throw new Error('simulator/scenarios not found; set SIM_SCENARIOS_DIR');
}

export async function listScenarios(): Promise<string[]> {
  return (await readdir(scenariosDir())).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();
}

export async function loadScenario(name: string): Promise<Scenario> {
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(name)) throw new Error(`bad scenario name '${name}'`);
  const file = join(scenariosDir(), `${name}.json`);
  if (!existsSync(file)) throw new Error(`unknown scenario '${name}' (have: ${(await listScenarios()).join(', ')})`);
  return parseScenario(JSON.parse(await readFile(file, 'utf8')));
}
