/**
 * The review keys of the curation list (j/k next/previous pair, a/r/f accept/reject/flag, n new, e/Enter edit,
 * g regenerate, Del delete, + add pair, o show line, / search) and the palette's review commands, which the host
 * forwards as curation/command: both act on the current pair.
 */
import type { ReviewCommand, RowView } from '../../src/shared/protocol/curation';
import { mounted, scrollToIndex } from './list';
import { post, rows, sendEdit, session } from './state';

let onFind: () => void = () => undefined;

function isTyping(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLInputElement ||
    (target instanceof HTMLElement && target.tagName.startsWith('VSCODE-TEXT'))
  );
}

export function markCurrent(node: HTMLElement, index: number): void {
  const current = session.current;
  node.classList.toggle('cur-row--current', index === current.index);
  node.querySelectorAll<HTMLElement>('.cur-pair').forEach((section) => {
    section.classList.toggle('cur-pair--current', index === current.index && Number(section.dataset.pair) === current.pair);
  });
}

export function setCurrent(index: number, pair: number, scroll: boolean): void {
  session.current = { index, pair };
  for (const node of mounted.values()) {
    markCurrent(node, Number(node.dataset.index));
  }
  if (scroll) {
    scrollToCurrent();
  }
}

function scrollToCurrent(): void {
  const view = session.view;
  if (!view) {
    return;
  }
  const current = session.current;
  const node = mounted.get(view.lines[current.index]);
  const section = node?.querySelector<HTMLElement>(`.cur-pair[data-pair="${current.pair}"]`);
  if (section) {
    section.scrollIntoView({ block: 'nearest' });
    section.focus({ preventScroll: true });
  } else {
    scrollToIndex(current.index, 8);
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        const now = session.current;
        const later = mounted.get(session.view?.lines[now.index] ?? -1)?.querySelector<HTMLElement>(`.cur-pair[data-pair="${now.pair}"]`);
        later?.scrollIntoView({ block: 'nearest' });
        later?.focus({ preventScroll: true });
      }),
    );
  }
}

function move(delta: 1 | -1): void {
  const view = session.view;
  if (!view || view.lines.length === 0) {
    return;
  }
  const current = session.current;
  let { index, pair } = current;
  const count = (i: number): number => rows.get(view.lines[i])?.pairs.length ?? 1;
  pair += delta;
  if (pair < 0) {
    index = Math.max(0, index - 1);
    pair = index === current.index ? 0 : Math.max(0, count(index) - 1);
  } else if (pair >= count(index)) {
    if (index + 1 < view.lines.length) {
      index++;
      pair = 0;
    } else {
      pair = count(index) - 1;
    }
  }
  setCurrent(index, Math.max(0, pair), true);
}

function currentRow(): RowView | undefined {
  return session.view ? rows.get(session.view.lines[session.current.index]) : undefined;
}

export function review(command: ReviewCommand | 'new' | 'regenerate' | 'delete' | 'add' | 'reveal'): void {
  const row = currentRow();
  switch (command) {
    case 'next':
      return move(1);
    case 'previous':
      return move(-1);
    case 'find':
      onFind();
      return;
    case 'reveal':
      if (row) {
        post({ type: 'curation/reveal', line: row.line });
      }
      return;
    case 'add':
      if (row?.ok && row.canAdd) {
        sendEdit(row.line, { type: 'add' });
      }
      return;
  }
  const current = session.current;
  const pair = row?.pairs[current.pair];
  if (!row || !pair) {
    return;
  }
  switch (command) {
    case 'accept':
    case 'reject':
    case 'flag': {
      const status = ({ accept: 'accepted', reject: 'rejected', flag: 'flagged' } as const)[command];
      sendEdit(row.line, { type: 'setStatus', pair: current.pair, status: pair.status === status ? 'new' : status });
      if (pair.status !== status) {
        move(1);
      }
      return;
    }
    case 'new':
      sendEdit(row.line, { type: 'setStatus', pair: current.pair, status: 'new' });
      return;
    case 'edit':
      mounted.get(row.line)?.querySelector<HTMLTextAreaElement>(`.cur-pair[data-pair="${current.pair}"] textarea:not([readonly])`)?.focus();
      return;
    case 'regenerate':
      post({ type: 'curation/regenerate', line: row.line, hash: row.hash, pair: current.pair });
      return;
    case 'delete':
      if (row.canDelete) {
        sendEdit(row.line, { type: 'delete', pair: current.pair });
      }
      return;
  }
}

const KEYS: Record<string, Parameters<typeof review>[0]> = {
  j: 'next',
  ArrowDown: 'next',
  k: 'previous',
  ArrowUp: 'previous',
  a: 'accept',
  r: 'reject',
  f: 'flag',
  n: 'new',
  e: 'edit',
  Enter: 'edit',
  g: 'regenerate',
  Delete: 'delete',
  '+': 'add',
  o: 'reveal',
  '/': 'find',
};

/** Listens for the review keys; `find` focuses the search field. */
export function installReviewKeys(find: () => void): void {
  onFind = find;
  document.addEventListener('keydown', onKey);
}

function onKey(e: KeyboardEvent): void {
  if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target) || (e.target as HTMLElement | null)?.closest?.('.cur-toolbar')) {
    return;
  }
  const command = KEYS[e.key];
  if (command && !(e.key === 'Enter' && e.target instanceof HTMLButtonElement)) {
    e.preventDefault();
    review(command);
  }
}
