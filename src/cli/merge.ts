/** `t2vid merge DIR`: join the shard datasets of a sharded run. */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { OPTION_TABLE } from '../core/options';
import { mergeShards } from '../core/merge';
import { DATASET_FORMATS, datasetFileName, type DatasetFormat } from '../core/synth';
import { UsageError } from './common';

export async function mergeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { format: { type: 'string' }, json: { type: 'boolean' } },
  });
  if (positionals.length !== 1) {
    throw new UsageError('merge takes one folder: the --out folder of the sharded run');
  }
  const format = (values.format ?? OPTION_TABLE['output.format'].default) as DatasetFormat;
  if (format === 'none' || !DATASET_FORMATS.includes(format)) {
    throw new UsageError(`--format must be minicpm-v, got ${JSON.stringify(values.format)}`);
  }
  const result = await mergeShards(positionals[0], format);
  if (values.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
  } else {
    process.stderr.write(
      `merged ${result.shards} shards, ${result.entries} entries → ${path.join(positionals[0], datasetFileName(format))}\n`,
    );
  }
  return 0;
}
