/**
 * One row of the curation list as DOM: its head (line, id, actions), its frame strip (real engine PNGs, rendered
 * on demand), its context and its Q&A pairs as editable fields. Every change is sent to the host, which edits the
 * file (so undo/redo/save are VS Code's own). Dataset text is untrusted: it is only ever set as textContent or a
 * form value, never parsed as HTML.
 */
import type { PairView, ReviewStatus, RowView } from '../../src/shared/protocol/curation';
import { el } from '../shared/dom';
import { mounted, schedule } from './list';
import { setCurrent } from './reviewKeys';
import { STATUS_LABELS, busy, frames, framesRequested, number, post, rows, sendEdit, session } from './state';

/** A field's edit is sent after this pause in typing (and on blur / Escape / Ctrl+Enter at once). */
const COMMIT_DELAY = 700;

function statusLabel(status: ReviewStatus): string {
  return STATUS_LABELS[status];
}

/** One row's element: a placeholder (`height` high, up to 600 px) until its contents arrive. */
export function buildRow(index: number, line: number, data: RowView | undefined, height: number): HTMLElement {
  const node = el('article', 'cur-row');
  node.dataset.line = String(line);
  node.dataset.index = String(index);
  node.dataset.hash = data?.hash ?? '';
  node.setAttribute('role', 'listitem');
  if (!data) {
    node.classList.add('cur-row--loading');
    node.style.minHeight = `${Math.min(height, 600)}px`;
    node.append(el('div', 'cur-row__head', `Line ${number.format(line + 1)} · loading…`));
    return node;
  }
  node.setAttribute('aria-label', data.ok ? `Line ${line + 1}, ${data.id}` : `Line ${line + 1}, invalid`);
  const head = el('div', 'cur-row__head');
  const where = el('span', 'cur-row__line', `Line ${number.format(line + 1)}`);
  const id = el('span', 'cur-row__id', data.id);
  head.append(where, id);
  if (data.schema) {
    head.append(el('span', 'cur-chip', data.schema));
  }
  const actions = el('span', 'cur-row__actions');
  if (session.view?.mode !== 'large') {
    actions.append(smallButton('Show line', 'Show this line in a text editor (o)', () => post({ type: 'curation/reveal', line })));
  }
  if (data.ok && data.canAdd) {
    actions.append(smallButton('Add pair', 'Add an empty question and answer (+)', () => sendEdit(line, { type: 'add' })));
  }
  head.append(actions);
  node.append(head);
  if (!data.ok) {
    node.classList.add('cur-row--error');
    const error = el('div', 'cur-row__error', `${data.error ?? 'invalid line'}`);
    error.setAttribute('role', 'alert');
    const raw = el('pre', 'cur-row__raw', data.contextHead + (data.contextLength > data.contextHead.length ? ' …' : ''));
    const note = el('div', 'cur-row__note', 'Kept exactly as it is in the file. Fix it in the text editor ("Show line").');
    node.append(error, raw, note);
    return node;
  }
  for (const warning of data.warnings) {
    node.append(el('div', 'cur-row__warning', warning));
  }
  node.append(buildStrip(data));
  const context = el('div', 'cur-row__context', data.contextHead.trimStart() + (data.contextLength > data.contextHead.length ? ' …' : ''));
  context.title = `${number.format(data.contextLength)} characters`;
  node.append(context);
  const pairs = el('div', 'cur-pairs');
  if (data.pairs.length === 0) {
    pairs.append(
      el('div', 'cur-row__note', data.canAdd ? 'No questions yet: "Add pair" or regenerate from the palette.' : 'No questions.'),
    );
  }
  data.pairs.forEach((pair, p) => pairs.append(buildPair(data, p, pair)));
  node.append(pairs);
  const key = `${line}:${data.hash}`;
  if (!frames.has(key) && !framesRequested.has(key)) {
    framesRequested.add(key);
    post({ type: 'curation/requestFrames', line, hash: data.hash });
  }
  return node;
}

function smallButton(label: string, tooltip: string, onClick: () => void, className = ''): HTMLButtonElement {
  const b = el('button', `cur-button ${className}`.trim(), label);
  b.type = 'button';
  b.title = tooltip;
  b.addEventListener('click', (e) => {
    e.stopPropagation();
    onClick();
  });
  return b;
}

function buildStrip(data: RowView): HTMLElement {
  const strip = el('div', 'cur-strip');
  strip.dataset.strip = String(data.line);
  fillStrip(strip, data);
  return strip;
}

export function fillStrip(strip: HTMLElement, data: RowView): void {
  const entry = frames.get(`${data.line}:${data.hash}`);
  strip.replaceChildren();
  if (!entry) {
    strip.append(
      el(
        'span',
        'cur-strip__note',
        data.frameCount !== null ? `${number.format(data.frameCount)} frames · rendering…` : 'rendering frames…',
      ),
    );
    return;
  }
  if (entry.error) {
    strip.append(el('span', 'cur-strip__note cur-strip__note--error', `Frames could not be rendered: ${entry.error}`));
    return;
  }
  strip.setAttribute('aria-label', `${entry.thumbs.length} frames`);
  for (const thumb of entry.thumbs) {
    const img = el('img', 'cur-thumb');
    img.src = thumb.src;
    img.alt = `Frame ${thumb.index + 1}`;
    img.title = thumb.clipped
      ? `Frame ${thumb.index + 1}: its recorded text does not fit a frame at the current settings (it was made with others); shown cut at the edge`
      : `Frame ${thumb.index + 1} (double-click to open)`;
    img.classList.toggle('cur-thumb--clipped', thumb.clipped);
    img.loading = 'lazy';
    img.decoding = 'async';
    img.dataset.frame = String(thumb.index);
    img.style.aspectRatio = session.view ? `${session.view.frameWidth} / ${session.view.frameHeight}` : '1';
    img.addEventListener('dblclick', () => post({ type: 'curation/openFrame', line: data.line, hash: data.hash, index: thumb.index }));
    strip.append(img);
  }
}

function provenanceText(pair: PairView): string {
  const parts: string[] = [];
  if (pair.kind) {
    parts.push(pair.kind);
  }
  if (pair.generator) {
    parts.push(pair.model ? `${pair.generator} · ${pair.model}` : pair.generator);
  }
  if (pair.editedByUser) {
    parts.push('edited');
  }
  if (pair.supportingFrames.length) {
    parts.push(`frames ${pair.supportingFrames.map((f) => f + 1).join(', ')}`);
  }
  return parts.join(' · ');
}

/** Pending (typed, not yet sent) text per field, so a re-render never loses it. */
const drafts = new Map<string, { value: string; timer: ReturnType<typeof setTimeout> }>();
const fieldKey = (line: number, pair: number, field: string): string => `${line}:${pair}:${field}`;

function buildPair(data: RowView, p: number, pair: PairView): HTMLElement {
  const section = el('section', `cur-pair cur-pair--${pair.status}`);
  section.dataset.pair = String(p);
  section.tabIndex = -1;
  section.setAttribute('aria-label', `Pair ${p + 1}, ${statusLabel(pair.status)}`);
  const meta = el('div', 'cur-pair__meta');
  meta.append(el('span', 'cur-pair__number', `#${p + 1}`), el('span', `cur-status cur-status--${pair.status}`, statusLabel(pair.status)));
  const prov = provenanceText(pair);
  if (prov) {
    meta.append(el('span', 'cur-pair__prov', prov));
  }
  if (busy.has(`${data.line}:${p}`)) {
    meta.append(el('span', 'cur-pair__busy', 'regenerating…'));
  }
  section.append(meta);
  section.append(textField(data, p, 'question', pair.question, pair.questionReadOnly), textField(data, p, 'answer', pair.answer, false));
  const actions = el('div', 'cur-pair__actions');
  const status = (s: ReviewStatus, label: string, tip: string): HTMLButtonElement => {
    const b = smallButton(
      label,
      tip,
      () => sendEdit(data.line, { type: 'setStatus', pair: p, status: pair.status === s ? 'new' : s }),
      `cur-button--${s}`,
    );
    b.setAttribute('aria-pressed', String(pair.status === s));
    return b;
  };
  actions.append(
    status('accepted', 'Accept', 'Accept this pair (a)'),
    status('rejected', 'Reject', 'Reject this pair (r)'),
    status('flagged', 'Flag', 'Flag this pair for another look (f)'),
    smallButton('Regenerate', 'Replace with a new question from the configured generator (g)', () =>
      post({ type: 'curation/regenerate', line: data.line, hash: data.hash, pair: p }),
    ),
  );
  if (data.canDelete) {
    actions.append(
      smallButton('Delete', 'Delete this pair (Del)', () => sendEdit(data.line, { type: 'delete', pair: p }), 'cur-button--delete'),
    );
  }
  section.append(actions);
  section.addEventListener('focusin', () => {
    const i = Number((section.closest('.cur-row') as HTMLElement | null)?.dataset.index);
    if (Number.isInteger(i)) {
      setCurrent(i, p, false);
    }
  });
  section.addEventListener('mouseenter', () => highlightFrames(section, pair.supportingFrames));
  section.addEventListener('mouseleave', () => highlightFrames(section, []));
  return section;
}

function highlightFrames(section: HTMLElement, indices: number[]): void {
  const strip = section.closest('.cur-row')?.querySelector('.cur-strip');
  strip
    ?.querySelectorAll<HTMLElement>('.cur-thumb')
    .forEach((img) => img.classList.toggle('cur-thumb--support', indices.includes(Number(img.dataset.frame))));
}

/** Chromium sizes a textarea to its content by CSS (`field-sizing`), without a forced layout per field. */
const CSS_SIZED = typeof CSS !== 'undefined' && CSS.supports('field-sizing', 'content');

function autosize(area: HTMLTextAreaElement): void {
  if (CSS_SIZED) {
    return;
  }
  area.style.height = 'auto';
  area.style.height = `${area.scrollHeight + 2}px`;
}

function textField(data: RowView, p: number, field: 'question' | 'answer', value: string, readOnly: boolean): HTMLElement {
  const wrap = el('label', `cur-field cur-field--${field}`);
  wrap.append(el('span', 'cur-field__label', field === 'question' ? 'Question' : 'Answer'));
  const area = el('textarea', 'cur-field__input');
  area.dataset.field = field;
  area.rows = 1;
  area.spellcheck = true;
  const key = fieldKey(data.line, p, field);
  area.value = drafts.get(key)?.value ?? value;
  area.readOnly = readOnly;
  if (readOnly) {
    area.title = "This question is part of the record's instruction text: edit it in the text editor";
  }
  const commit = (): void => {
    const draft = drafts.get(key);
    if (!draft) {
      return;
    }
    clearTimeout(draft.timer);
    drafts.delete(key);
    const row = rows.get(data.line);
    const shownValue = row?.pairs[p]?.[field];
    if (row && shownValue !== draft.value) {
      sendEdit(data.line, { type: 'setText', pair: p, field, value: draft.value });
    }
  };
  area.addEventListener('input', () => {
    const old = drafts.get(key);
    if (old) {
      clearTimeout(old.timer);
    }
    drafts.set(key, { value: area.value, timer: setTimeout(commit, COMMIT_DELAY) });
    autosize(area);
    schedule();
  });
  area.addEventListener('blur', commit);
  area.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' || (e.key === 'Enter' && (e.ctrlKey || e.metaKey))) {
      e.preventDefault();
      commit();
      (area.closest('.cur-pair') as HTMLElement | null)?.focus();
    }
  });
  if (!CSS_SIZED) {
    requestAnimationFrame(() => autosize(area));
  }
  wrap.append(area);
  return wrap;
}

/** Replace a mounted row with its new build, keeping a focused field (its caret and any draft) in place; returns the new one. */
export function patchOrReplace(old: HTMLElement, fresh: HTMLElement): HTMLElement {
  const active = document.activeElement;
  const line = Number(old.dataset.line);
  if (active instanceof HTMLTextAreaElement && old.contains(active)) {
    const section = active.closest('.cur-pair') as HTMLElement | null;
    const target = fresh.querySelector<HTMLTextAreaElement>(
      `.cur-pair[data-pair="${section?.dataset.pair}"] textarea[data-field="${active.dataset.field}"]`,
    );
    if (target) {
      const { selectionStart, selectionEnd } = active;
      old.replaceWith(fresh);
      mounted.set(line, fresh);
      target.focus();
      target.setSelectionRange(selectionStart, selectionEnd);
      return fresh;
    }
  }
  const hadFocus = old.contains(active);
  old.replaceWith(fresh);
  mounted.set(line, fresh);
  if (hadFocus) {
    (fresh.querySelector('.cur-pair[data-pair="' + session.current.pair + '"]') as HTMLElement | null)?.focus();
  }
  return fresh;
}
