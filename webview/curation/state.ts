/**
 * What the curation webview's modules share: the connection to the host (validated with the curation protocol),
 * the current view, the row contents and frame strips received so far, and the pair the review keys act on.
 */
import {
  parseCurationToWebview,
  type CurationEdit,
  type CurationFromWebview,
  type CurationToWebview,
  type FrameThumb,
  type RowView,
  type ViewMessage,
} from '../../src/shared/protocol/curation';
import { createIpc } from '../shared/ipc';

export const ipc = createIpc<CurationToWebview, CurationFromWebview>(parseCurationToWebview);

export function post(message: CurationFromWebview): void {
  ipc.post(message);
}

export const number = new Intl.NumberFormat('en');

export const STATUS_LABELS: Record<string, string> = {
  all: 'All statuses',
  new: 'New',
  accepted: 'Accepted',
  rejected: 'Rejected',
  flagged: 'Flagged',
  error: 'Invalid lines',
};

export const GENERATOR_LABELS: Record<string, string> = {
  all: 'All generators',
  builtin: 'Built-in',
  llm: 'LLM',
  source: 'From the dataset',
  human: 'Added by hand',
  none: 'No provenance',
};

export interface Session {
  /** The rows listed (after the filter), from the host's last curation/view. */
  view: ViewMessage | undefined;
  /** The pair the review keys act on: a position in view.lines and a pair index. */
  current: { index: number; pair: number };
  /** A field to put the caret in once its row has arrived (after "add pair"). */
  pendingFocus: { line: number; pair: number; field: 'question' | 'answer' } | undefined;
}

export const session: Session = { view: undefined, current: { index: 0, pair: 0 }, pendingFocus: undefined };

/** Row contents by line, and the lines asked for and not yet received. */
export const rows = new Map<number, RowView>();
export const requested = new Set<number>();
/** Frame strips by `line:hash`, and those asked for. */
export const frames = new Map<string, { thumbs: FrameThumb[]; error: string | null }>();
export const framesRequested = new Set<string>();
/** Pairs being regenerated, by `line:pair`. */
export const busy = new Set<string>();

/** Sends an edit of a row, addressed by its line and the hash of the text it was shown with. */
export function sendEdit(line: number, edit: CurationEdit): void {
  const row = rows.get(line);
  if (!row) {
    return;
  }
  post({ type: 'curation/edit', line, hash: row.hash, edit });
}
