/** `t2vid preflight FILE`: check an exported dataset before training on it. */
import { parseArgs } from 'node:util';
import { describePreflight, formatProblem, preflight } from '../core/assemble/preflight';
import { escapeControlKeepLines, escapeJsonControl } from '../core/util/terminal';
import { EXPORT_FORMATS, MODEL_PROFILE_IDS, type ExportFormat } from '../shared/profiles';
import { oneOf } from './export';
import { UsageError, wholeNumber } from './common';

export const PREFLIGHT_HELP = `t2vid preflight FILE [--format F] [--profile P] [--json]

Checks an exported dataset: JSON array or JSONL as its trainer reads it; every record has the format's
fields; every image exists and decodes; placeholders match the images; roles alternate user/assistant
and end with the assistant; no duplicate ids; frames and text + visual tokens within the profile's limits.
Each problem is printed as FILE:LINE: kind: message (FILE:LINE: element K: … in a JSON array).

  --format ${EXPORT_FORMATS.join('|')}   (default: from the file name)
  --profile ${MODEL_PROFILE_IDS.join('|')}   (default: the format's model)
  --max-frames N, --token-budget N, --max-first-turn-words N   override the profile's limits (0: none)
  --media-dir DIR              base of relative image paths (default: InternVL's meta root, else the file's folder)
  --max-problems N             problems listed (default 1000; all are counted)
  --json                       the report as one JSON object on stdout
Exit codes: 0 every check passed, 1 problems found or an error, 2 bad usage.
`;

export async function preflightCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      profile: { type: 'string' },
      'max-frames': { type: 'string' },
      'token-budget': { type: 'string' },
      'max-first-turn-words': { type: 'string' },
      'media-dir': { type: 'string' },
      'max-problems': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) {
    throw new UsageError('preflight takes one FILE: an exported dataset');
  }
  const r = await preflight(positionals[0], {
    format: oneOf<ExportFormat>(values.format, EXPORT_FORMATS, '--format'),
    profile: oneOf(values.profile, MODEL_PROFILE_IDS, '--profile'),
    limits: {
      maxFrames: wholeNumber(values['max-frames'], '--max-frames', 0),
      tokenBudget: wholeNumber(values['token-budget'], '--token-budget', 0),
      maxFirstTurnWords: wholeNumber(values['max-first-turn-words'], '--max-first-turn-words', 0),
    },
    mediaDir: values['media-dir'],
    maxProblems: wholeNumber(values['max-problems'], '--max-problems', 0),
  });
  if (values.json) {
    process.stdout.write(escapeJsonControl(JSON.stringify(r)) + '\n');
  } else {
    const lines = [...r.problems.map((p) => formatProblem(r.file, p)), describePreflight(r)];
    process.stderr.write(escapeControlKeepLines(lines.join('\n')) + '\n');
  }
  return r.ok ? 0 : 1;
}
