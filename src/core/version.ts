import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from './fonts';

let version: string | undefined;

/** This package's version, recorded in every manifest so that frames can be traced to the engine that drew them. */
export function engineVersion(): string {
  version ??= (JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}
